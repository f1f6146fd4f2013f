// Unit tests of the core: value codec, op generator, oracle, contract and the verifier's
// verdicts on store images built from real oracle states, every class produced on purpose.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "src/contract.h"
#include "src/families.h"
#include "src/key.h"
#include "src/oracle.h"
#include "src/store_scan.h"
#include "src/value_codec.h"
#include "src/verifier.h"
#include "workloads/generator.h"

using namespace powercut;

namespace {

workloads::WorkloadSpec SmallSpec(uint32_t keys = 40) {
  workloads::WorkloadSpec s;
  REQUIRE(workloads::ProfileSpec("default", &s).ok());
  s.key_count = keys;
  s.weight(OpKind::kFlush) = 0;
  s.weight(OpKind::kCheckpoint) = 0;  // checkpoints are checked on their own, end to end
  return s;
}

Oracle StateAfter(const OpSource& ops, uint32_t keys, uint64_t r) {
  Oracle o(keys);
  o.AdvanceTo(r, ops);
  return o;
}

// The store a correct recovery to `state` would hold, written through the real codec.
StoreImage ImageOf(const Oracle& state, uint64_t seed) {
  StoreImage image(state.key_count());
  for (uint32_t k = 0; k < state.key_count(); ++k) {
    const Slot& s = state.at(k);
    if (!s.present()) continue;
    image.Add(KeyFor(k), s.merge_count > 0 ? EncodeMergeResult(k, s)
                                           : EncodeValue(seed, k, s.op, s.value_bytes));
  }
  return image;
}

bool SameState(const Oracle& a, const Oracle& b) {
  for (uint32_t k = 0; k < a.key_count(); ++k) {
    if (a.at(k).present() != b.at(k).present()) return false;
    if (a.at(k).present() && a.at(k) != b.at(k)) return false;
  }
  return true;
}

uint64_t ClassCount(const Verdict& v, const std::string& klass) {
  auto it = v.classes.find(klass);
  return it == v.classes.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("values describe themselves and catch damage") {
  const std::string v = EncodeValue(7, 123, 456, 100);
  REQUIRE(v.size() == 100);
  DecodedValue d = DecodeValue(123, v);
  CHECK(d.ok());
  CHECK(d.slot.op == 456);
  CHECK(d.kind == DecodedValue::Kind::kPut);
  CHECK(d.slot.value_bytes == 100);
  CHECK(DecodeValue(124, v).problem == DecodedValue::Problem::kWrongKey);
  std::string flipped = v;
  flipped[60] ^= 1;
  CHECK(DecodeValue(123, flipped).problem == DecodedValue::Problem::kBadChecksum);
  CHECK(DecodeValue(123, v.substr(0, 50)).problem == DecodedValue::Problem::kBadLength);
  CHECK(DecodeValue(123, "garbage").problem == DecodedValue::Problem::kTooShort);
  CHECK(DecodeValue(123, std::string(40, 'x')).problem == DecodedValue::Problem::kBadMagic);
  CHECK(EncodeValue(7, 123, 456, 100) == v);
  CHECK(EncodeValue(8, 123, 456, 100) != v);
}

// The bytes a store holds for 400 values of 4 KiB at `ratio`, flushed under LZ4.
uint64_t CompressedStoreBytes(double ratio) {
  const std::string dir = "/tmp/powercut-core-test-ratio-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (uint32_t k = 0; k < 400; ++k)
    REQUIRE(db->Put({}, KeyFor(k), EncodeValue(3, k, k + 1, 4096, ratio)).ok());
  REQUIRE(db->Flush({}).ok());
  uint64_t bytes = 0;
  REQUIRE(db->GetIntProperty("rocksdb.total-sst-files-size", &bytes));
  db.reset();
  std::filesystem::remove_all(dir);
  return bytes;
}

TEST_CASE("values compress to about the ratio asked for, and decode at every ratio") {
  for (double ratio : {0.0, 0.1, 0.5, 0.9, 1.0}) {
    for (uint32_t bytes : {kValueHeaderBytes, kValueHeaderBytes + 1, 100u, 4096u}) {
      const std::string v = EncodeValue(9, 5, 77, bytes, ratio);
      REQUIRE(v.size() == bytes);
      CHECK(DecodeValue(5, v).ok());
      CHECK(EncodeValue(9, 5, 77, bytes, ratio) == v);
    }
  }
  // The payload of a 0.25 value is a fragment of a quarter of it, repeated.
  const std::string v = EncodeValue(9, 5, 77, 4096, 0.25);
  const size_t payload = 4096 - kValueHeaderBytes, fresh = (payload + 3) / 4;
  for (size_t i = fresh; i < payload; ++i)
    REQUIRE(v[kValueHeaderBytes + i] == v[kValueHeaderBytes + i % fresh]);
  CHECK(EncodeValue(9, 5, 77, 4096, 0.25) != EncodeValue(9, 5, 77, 4096, 0.5));
  // Real compression, measured in one run: a ratio's store is about that share of an
  // incompressible one's (LZ4 on 4 KiB blocks does a little worse than ideal).
  const double incompressible = static_cast<double>(CompressedStoreBytes(1.0));
  CHECK(CompressedStoreBytes(0.1) < 0.2 * incompressible);
  CHECK(CompressedStoreBytes(0.5) < 0.65 * incompressible);
  CHECK(CompressedStoreBytes(0.5) > 0.35 * incompressible);
}

TEST_CASE("keys round-trip and foreign keys are recognised") {
  CHECK(KeyFor(0) == "k000000000");
  CHECK(KeyFor(1234) == "k000001234");
  CHECK(KeyId(KeyFor(99999999)) == 99999999u);
  CHECK_FALSE(KeyId("zzz").has_value());
  CHECK_FALSE(KeyId("k00000000x").has_value());
}

TEST_CASE("op i is a pure function of seed, spec and i") {
  const auto spec = SmallSpec(1000);
  workloads::OpGenerator a(11, spec), b(11, spec), c(12, spec);
  int differ = 0, batches = 0, flushes = 0;
  for (uint64_t i = 300; i >= 1; --i) {  // any order gives the same ops
    const Op x = a.Get(i), y = b.Get(i), z = c.Get(i);
    REQUIRE(x.kind == y.kind);
    REQUIRE(x.writes.size() == y.writes.size());
    for (size_t j = 0; j < x.writes.size(); ++j) {
      REQUIRE(x.writes[j].key_id == y.writes[j].key_id);
      REQUIRE(x.writes[j].value_bytes == y.writes[j].value_bytes);
      REQUIRE(x.writes[j].key_id < 1000);
    }
    differ += x.kind != z.kind || x.writes.size() != z.writes.size() ||
              (!x.writes.empty() && x.writes[0].key_id != z.writes[0].key_id);
    batches += x.kind == OpKind::kBatch;
  }
  workloads::WorkloadSpec with_flush;
  REQUIRE(workloads::ProfileSpec("default", &with_flush).ok());
  workloads::OpGenerator f(3, with_flush);
  for (uint64_t i = 1; i <= 2000; ++i) flushes += f.Get(i).kind == OpKind::kFlush;
  CHECK(differ > 100);  // another seed is another workload
  CHECK(batches > 20);
  CHECK(flushes > 0);
}

TEST_CASE("the oracle snapshot round-trips and rejects damage") {
  const auto spec = SmallSpec();
  workloads::OpGenerator ops(5, spec);
  Oracle o = StateAfter(ops, spec.key_count, 200);
  const std::string path = "/tmp/powercut-core-test-oracle.bin";
  REQUIRE(o.Save(path).ok());
  Oracle back;
  REQUIRE(Oracle::Load(path, &back).ok());
  CHECK(back.index() == 200);
  CHECK(SameState(o, back));
  {
    std::FILE* f = std::fopen(path.c_str(), "r+b");
    std::fseek(f, 40, SEEK_SET);
    std::fputc(0x5a, f);
    std::fclose(f);
  }
  CHECK(Oracle::Load(path, &back).code() == Status::Code::kCorruption);
  std::filesystem::remove(path);
}

// A hand-written op stream for the contract: op i is ops[i - 1].
class ListedOps : public OpSource {
 public:
  explicit ListedOps(std::vector<Op> ops) : ops_(std::move(ops)) {}
  Op Get(uint64_t index) const override {
    Op op = ops_.at(index - 1);
    op.index = index;
    return op;
  }
  uint64_t size() const { return ops_.size(); }

 private:
  std::vector<Op> ops_;
};

Op W(bool sync = false) {  // a put
  Op op;
  op.kind = OpKind::kPut;
  op.sync = sync;
  op.writes.push_back({});
  return op;
}

Op N(OpKind kind, bool sync = false) {  // an op that writes no key
  Op op;
  op.kind = kind;
  op.sync = sync;
  return op;
}

StoreConfig Options(std::initializer_list<const char*> assignments) {
  StoreConfig c;
  for (const char* a : assignments) REQUIRE(c.Add(a).ok());
  return c;
}

// The durable point after a cycle that recovered to r and then had every later op acked.
Durability After(Fault fault, const StoreConfig& config, const std::vector<Op>& ops, uint64_t r = 0,
                 bool expect_acked = false) {
  const ListedOps listed(ops);
  return DurableAfter(ContractFor(fault, config, expect_acked), listed, RecoveredReach(r, r), r + 1,
                      listed.size());
}
uint64_t Lo(Fault fault, const StoreConfig& config, const std::vector<Op>& ops, uint64_t r = 0) {
  return After(fault, config, ops, r).lo;
}

const OpKind kFlushing[] = {OpKind::kFlush, OpKind::kCompactRange, OpKind::kCheckpoint};

TEST_CASE("contracts follow the DESIGN table") {
  const StoreConfig wal, nowal = Options({"disableWAL=true"});
  const StoreConfig manual = Options({"manual_wal_flush=true"});
  CHECK(ContractFor(Fault::kKill, wal, false).rule == Rule::kInFile);
  CHECK(ContractFor(Fault::kStall, manual, false).rule == Rule::kInFile);
  CHECK(ContractFor(Fault::kPowerCut, wal, false).rule == Rule::kOnDisk);
  CHECK(ContractFor(Fault::kClean, nowal, false).rule == Rule::kAcked);
  CHECK(ContractFor(Fault::kKill, nowal, true).rule == Rule::kAcked);
  CHECK(ContractFor(Fault::kKill, nowal, true).forced);
  CHECK(ContractFor(Fault::kKill, manual, false).manual_wal_flush);
  CHECK_FALSE(ContractFor(Fault::kKill, nowal, false).wal);
  // Every report names the contract it applied, in words a user can check against RocksDB.
  CHECK(ContractFor(Fault::kKill, wal, false).Describe(Fault::kKill) ==
        "kill: lo = last acked op (its WAL bytes are in the kernel)");
  CHECK(ContractFor(Fault::kKill, manual, false)
            .Describe(Fault::kKill)
            .find("SyncWAL alone does not flush the WAL buffer") != std::string::npos);
  CHECK(ContractFor(Fault::kPowerCut, wal, false)
            .Describe(Fault::kPowerCut)
            .find("sync write, SyncWAL or FlushWAL(sync), or a waited-for Flush") !=
        std::string::npos);
  CHECK(ContractFor(Fault::kPowerCut, nowal, false)
            .Describe(Fault::kPowerCut)
            .find("waited-for Flush") != std::string::npos);
  CHECK(ContractFor(Fault::kPowerCut, wal, true).Describe(Fault::kPowerCut) ==
        "power-cut (--expect acked): lo = last acked op");
}

TEST_CASE("contract: a kill spares what the WAL handed to the kernel") {
  const StoreConfig wal;
  CHECK(Lo(Fault::kKill, wal, {W(), W()}) == 2);
  CHECK(Lo(Fault::kStall, wal, {W(), W(), N(OpKind::kSyncWal)}) == 3);
  CHECK(Lo(Fault::kKill, wal, {W(), W()}, 1) == 2);
  CHECK(Lo(Fault::kKill, wal, {W(), W()}, 2) == 2);  // nothing acked: what was recovered
}

TEST_CASE("contract: manual_wal_flush under a kill (RocksDB documents SyncWAL alone)") {
  const StoreConfig m = Options({"manual_wal_flush=true"});
  CHECK(Lo(Fault::kKill, m, {W(), W()}) == 0);
  CHECK(Lo(Fault::kKill, m, {W(), W()}, 1) == 1);  // recovered ops were read from the disk
  CHECK(Lo(Fault::kKill, m, {W(), W(true), W()}) == 2);
  CHECK(Lo(Fault::kKill, m, {W(), N(OpKind::kFlushWal), W()}) == 2);
  CHECK(Lo(Fault::kKill, m, {W(), N(OpKind::kFlushWal, true), W()}) == 2);
  // SyncWAL() does not flush the WAL buffer (RocksDB PR 15191 for issue 12287).
  CHECK(Lo(Fault::kKill, m, {W(), N(OpKind::kSyncWal), W()}) == 0);
  CHECK(Lo(Fault::kKill, m, {W(), N(OpKind::kFlushWal), N(OpKind::kSyncWal)}) == 3);
  for (OpKind k : kFlushing) {
    INFO(OpKindName(k));
    CHECK(Lo(Fault::kKill, m, {W(), N(k), W()}) == 2);
  }
  // Every write synced: every acked op is in the file.
  CHECK(Lo(Fault::kKill, Options({"manual_wal_flush=true", "sync=true"}), {W(), W()}) == 2);
  // The stricter reading stays available.
  CHECK(After(Fault::kKill, m, {W(), N(OpKind::kSyncWal), W()}, 0, true).lo == 3);
}

TEST_CASE("contract: a power cut with the WAL on spares synced WAL bytes and flushed SSTs") {
  const StoreConfig wal;
  CHECK(Lo(Fault::kPowerCut, wal, {W(), W()}) == 0);
  CHECK(Lo(Fault::kPowerCut, wal, {W(), W(true), W()}) == 2);
  CHECK(Lo(Fault::kPowerCut, wal, {W(), N(OpKind::kSyncWal), W()}) == 2);
  CHECK(Lo(Fault::kPowerCut, wal, {W(), N(OpKind::kFlushWal), W()}) == 0);
  CHECK(Lo(Fault::kPowerCut, wal, {W(), N(OpKind::kFlushWal, true), W()}) == 2);
  for (OpKind k : kFlushing) {  // a waited-for flush makes the ops before it durable in SSTs
    INFO(OpKindName(k));
    CHECK(Lo(Fault::kPowerCut, wal, {W(), W(), N(k), W()}) == 3);
    CHECK(Lo(Fault::kPowerCut, wal, {W(), N(k), W(), N(OpKind::kFlushWal)}) == 2);
  }
  CHECK(Lo(Fault::kPowerCut, Options({"sync=true"}), {W(), W(), N(OpKind::kFlushWal)}) == 3);
}

TEST_CASE("contract: manual_wal_flush under a power cut: SyncWAL saves what FlushWAL handed") {
  const StoreConfig m = Options({"manual_wal_flush=true"});
  CHECK(Lo(Fault::kPowerCut, m, {W(), N(OpKind::kSyncWal), W()}) == 0);
  CHECK(Lo(Fault::kPowerCut, m, {W(), N(OpKind::kFlushWal), W(), N(OpKind::kSyncWal), W()}) == 2);
  CHECK(Lo(Fault::kPowerCut, m, {W(), N(OpKind::kFlushWal), N(OpKind::kSyncWal), W()}) == 3);
  CHECK(Lo(Fault::kPowerCut, m, {W(), N(OpKind::kFlushWal)}) == 0);  // in the file, not synced
  CHECK(Lo(Fault::kPowerCut, m, {W(), N(OpKind::kFlushWal, true), W()}) == 2);
  CHECK(Lo(Fault::kPowerCut, m, {W(), W(true), W()}) == 2);
  CHECK(Lo(Fault::kPowerCut, m, {W(), W(true), W(), N(OpKind::kSyncWal)}) == 2);
  for (OpKind k : kFlushing) {
    INFO(OpKindName(k));
    CHECK(Lo(Fault::kPowerCut, m, {W(), N(k), W(), N(OpKind::kSyncWal)}) == 2);
  }
}

TEST_CASE("contract: without a WAL only a flush is durable, whatever the fault") {
  const StoreConfig nowal = Options({"disableWAL=true"});
  for (Fault f : {Fault::kKill, Fault::kStall, Fault::kPowerCut}) {
    INFO(FaultName(f));
    CHECK(Lo(f, nowal, {W(true), N(OpKind::kSyncWal), N(OpKind::kFlushWal, true), W()}) == 0);
    for (OpKind k : kFlushing) {
      INFO(OpKindName(k));
      CHECK(Lo(f, nowal, {W(), N(k), W()}) == 2);
    }
  }
}

TEST_CASE("contract: a clean close and --expect acked promise every acked op") {
  for (const StoreConfig& c :
       {StoreConfig(), Options({"disableWAL=true"}), Options({"manual_wal_flush=true"})}) {
    CHECK(Lo(Fault::kClean, c, {W(), W()}) == 2);
    for (Fault f : {Fault::kKill, Fault::kPowerCut})
      CHECK(After(f, c, {W(), W()}, 0, true).lo == 2);
  }
}

TEST_CASE("contract: a stronger fault never promises more, and a flush always holds") {
  rc::prop("kill and power cut against acked, on any op stream", [] {
    const auto kinds = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, kOpKindCount));
    std::vector<Op> ops;
    uint64_t last_flush = 0;
    for (int k : kinds) {
      const bool sync = *rc::gen::arbitrary<bool>();
      const OpKind kind = static_cast<OpKind>(k);
      const bool writes = kind == OpKind::kPut || kind == OpKind::kDelete ||
                          kind == OpKind::kBatch || kind == OpKind::kMerge ||
                          kind == OpKind::kDeleteRange;
      ops.push_back(writes ? W(sync) : N(kind, sync));
      ops.back().kind = kind;
      for (OpKind f : kFlushing) last_flush = kind == f ? ops.size() : last_flush;
    }
    for (const StoreConfig& c :
         {StoreConfig(), Options({"disableWAL=true"}), Options({"manual_wal_flush=true"}),
          Options({"sync=true"}), Options({"manual_wal_flush=true", "sync=true"})}) {
      const uint64_t acked = Lo(Fault::kClean, c, ops);
      const uint64_t kill = Lo(Fault::kKill, c, ops);
      const uint64_t cut = Lo(Fault::kPowerCut, c, ops);
      RC_ASSERT(acked == ops.size());
      RC_ASSERT(cut <= kill);
      RC_ASSERT(kill <= acked);
      RC_ASSERT(cut >= last_flush);
    }
  });
}

TEST_CASE("contract: every acked checkpoint is listed, and its flush raises lo") {
  for (const StoreConfig& c :
       {StoreConfig(), Options({"disableWAL=true"}), Options({"manual_wal_flush=true"})}) {
    for (Fault f : {Fault::kKill, Fault::kPowerCut, Fault::kClean}) {
      const Durability d =
          After(f, c, {W(), N(OpKind::kCheckpoint), W(), N(OpKind::kCheckpoint), W()}, 1);
      CHECK(d.checkpoints == std::vector<uint64_t>{2, 4});
      CHECK(d.lo >= 4);
    }
  }
}

TEST_CASE("store options are checked by RocksDB's own parser") {
  StoreConfig c;
  CHECK(c.Add("write_buffer_size=1048576").ok());
  CHECK(c.Add("max_open_files=100").ok());
  CHECK(c.Add("sync=true").ok());
  CHECK(c.sync);
  Status unknown = c.Add("no_such=1");
  CHECK(unknown.code() == Status::Code::kBadInput);
  CHECK(unknown.message().find("unknown RocksDB option 'no_such'") != std::string::npos);
  Status bad = c.Add("write_buffer_size=abc");
  CHECK(bad.message().find("bad value 'abc'") != std::string::npos);
  CHECK_FALSE(c.Add("noequals").ok());
  CHECK_FALSE(c.Add("sync=maybe").ok());
  rocksdb::Options o;
  REQUIRE(c.ToRocksDB(&o, nullptr).ok());
  CHECK(o.write_buffer_size == 1048576);
  CHECK(o.max_open_files == 100);
}

// ---- the verifier ----

TEST_CASE("verifier: a correct store passes at the smallest matching prefix") {
  const auto spec = SmallSpec();
  workloads::OpGenerator ops(9, spec);
  const Oracle base(spec.key_count);
  for (uint64_t r : {0, 1, 17, 150, 300}) {
    const Verdict v = Verify(ImageOf(StateAfter(ops, spec.key_count, r), 9), base, 0, 300, ops);
    REQUIRE(v.pass);
    REQUIRE(v.recovered <= r);
    CHECK(SameState(StateAfter(ops, spec.key_count, v.recovered),
                    StateAfter(ops, spec.key_count, r)));
  }
}

TEST_CASE("verifier property: the state after prefix r verifies as r or its smallest equal") {
  rc::prop("Verify(state after r) == smallest equivalent prefix", [] {
    const uint64_t seed = *rc::gen::arbitrary<uint32_t>();
    const uint32_t keys = *rc::gen::inRange<uint32_t>(1, 60);
    const uint64_t n = *rc::gen::inRange<uint64_t>(0, 200);
    const uint64_t r = *rc::gen::inRange<uint64_t>(0, n + 1);
    const uint64_t lo = *rc::gen::inRange<uint64_t>(0, r + 1);
    const uint64_t hi = *rc::gen::inRange<uint64_t>(r, n + 1);
    const uint64_t b = *rc::gen::inRange<uint64_t>(0, lo + 1);  // the carried oracle's index
    auto spec = SmallSpec(keys);
    spec.weight(OpKind::kBatch) = *rc::gen::inRange<uint32_t>(0, 300);
    spec.weight(OpKind::kMerge) = *rc::gen::inRange<uint32_t>(0, 300);
    spec.weight(OpKind::kDeleteRange) = *rc::gen::inRange<uint32_t>(0, 100);
    workloads::OpGenerator ops(seed, spec);
    const Oracle target = StateAfter(ops, keys, r);
    const Verdict v = Verify(ImageOf(target, seed), StateAfter(ops, keys, b), lo, hi, ops);
    RC_ASSERT(v.pass);
    uint64_t smallest = lo;
    while (!SameState(StateAfter(ops, keys, smallest), target)) ++smallest;
    RC_ASSERT(v.recovered == smallest);
    RC_ASSERT(v.mismatches == 0u);
  });
}

TEST_CASE("verifier: an acked write missing is lost-ack") {
  const auto spec = SmallSpec();
  workloads::OpGenerator ops(21, spec);
  Oracle at = StateAfter(ops, spec.key_count, 120);
  StoreImage image = ImageOf(at, 21);
  uint32_t victim = 0;  // a live key written by a lone put (a batch's key would be torn-batch)
  while (!at.at(victim).present() || ops.Get(at.at(victim).op).kind != OpKind::kPut) ++victim;
  image.keys[victim] = Observed{};  // deleted behind the harness's back
  const Verdict v = Verify(image, Oracle(spec.key_count), 120, 120, ops);
  REQUIRE_FALSE(v.pass);
  INFO(v.ToJson().dump());
  CHECK(ClassCount(v, kLostAck) == 1);
  CHECK(v.findings.at(0).key == KeyFor(victim));
  CHECK(v.findings.at(0).found == "absent");
}

TEST_CASE("verifier: garbage is corrupt-value, unknown keys and values are phantoms") {
  const auto spec = SmallSpec();
  workloads::OpGenerator ops(22, spec);
  Oracle at = StateAfter(ops, spec.key_count, 100);
  uint32_t live = 0, dead = 0;
  while (!at.at(live).present()) ++live;
  while (at.at(dead).present()) ++dead;
  StoreImage corrupt = ImageOf(at, 22);
  corrupt.Add(KeyFor(live), "garbage that is long enough to have a header");
  Verdict v = Verify(corrupt, Oracle(spec.key_count), 100, 100, ops);
  CHECK(ClassCount(v, kCorruptValue) == 1);
  CHECK(v.classes.size() == 1);

  StoreImage phantom = ImageOf(at, 22);
  phantom.Add(KeyFor(dead), EncodeValue(22, dead, 5000, 64));  // no issued op wrote this
  phantom.Add("zzz-not-ours", "x");
  v = Verify(phantom, Oracle(spec.key_count), 90, 100, ops);
  CHECK(ClassCount(v, kPhantom) == 2);
  CHECK(v.classes.size() == 1);
}

TEST_CASE("verifier: half a batch is torn-batch") {
  auto spec = SmallSpec(2000);  // sparse, so a batch's keys stay live
  workloads::OpGenerator ops(23, spec);
  const uint64_t n = 60;
  Oracle at = StateAfter(ops, spec.key_count, n);
  std::optional<uint64_t> batch;
  std::vector<uint32_t> live;
  for (uint64_t b = n; b >= 1 && !batch; --b) {
    const Op op = ops.Get(b);
    if (op.kind != OpKind::kBatch) continue;
    live.clear();
    for (const Write& w : op.writes) {
      if (w.kind == Write::Kind::kPut && at.at(w.key_id).op == b &&
          std::find(live.begin(), live.end(), w.key_id) == live.end()) {
        live.push_back(w.key_id);
      }
    }
    if (live.size() >= 2) batch = b;
  }
  REQUIRE(batch.has_value());
  StoreImage image = ImageOf(at, 23);
  for (size_t j = 0; j < live.size() / 2; ++j) image.keys[live[j]] = Observed{};
  // Whether the batch is below lo (acked) or above it, a half-applied batch is torn.
  for (uint64_t lo : {n, *batch - 1}) {
    const Verdict v = Verify(image, Oracle(spec.key_count), lo, n, ops);
    REQUIRE_FALSE(v.pass);
    CHECK(ClassCount(v, kTornBatch) == live.size() / 2);
  }
}

TEST_CASE("verifier: a later write surviving an earlier lost one is a hole") {
  auto spec = SmallSpec(5000);
  spec.weights.fill(0);
  spec.weight(OpKind::kPut) = 1;
  workloads::OpGenerator ops(24, spec);
  // Lose op 10's put while ops 11..40 survive: no prefix in [0, 40] matches.
  const Op lost = ops.Get(10);
  REQUIRE(lost.kind == OpKind::kPut);
  Oracle at = StateAfter(ops, spec.key_count, 40);
  const uint32_t k = lost.writes[0].key_id;
  REQUIRE(at.at(k).op == 10);
  StoreImage image = ImageOf(at, 24);
  image.keys[k] = Observed{};
  const Verdict v = Verify(image, Oracle(spec.key_count), 0, 40, ops);
  REQUIRE_FALSE(v.pass);
  CHECK(v.recovered == 40);
  CHECK(ClassCount(v, kHole) == 1);
  // Durable up to 40: the same loss is an acked write lost.
  CHECK(ClassCount(Verify(image, Oracle(spec.key_count), 40, 40, ops), kLostAck) == 1);
}

TEST_CASE("verifier: a deleted key that came back is resurrected") {
  auto spec = SmallSpec(30);
  spec.weights.fill(0);
  spec.weight(OpKind::kPut) = 3;
  spec.weight(OpKind::kDelete) = 1;
  workloads::OpGenerator ops(25, spec);
  // Find a key put at some op and deleted later by a lone delete, absent at n.
  const uint64_t n = 300;
  Oracle at = StateAfter(ops, spec.key_count, n);
  for (uint64_t i = 1; i <= n; ++i) {
    const Op op = ops.Get(i);
    if (op.kind != OpKind::kPut) continue;
    const uint32_t k = op.writes[0].key_id;
    if (at.at(k).present() || ops.Get(at.at(k).op).kind != OpKind::kDelete) continue;
    StoreImage image = ImageOf(at, 25);
    image.Add(KeyFor(k), EncodeValue(25, k, i, op.writes[0].value_bytes));
    const Verdict v = Verify(image, Oracle(spec.key_count), n, n, ops);
    REQUIRE_FALSE(v.pass);
    INFO(v.ToJson().dump());
    CHECK(ClassCount(v, kResurrected) == 1);
    return;
  }
  FAIL("no put followed by a delete in the workload");
}

TEST_CASE("merges read back exactly as the oracle expects, through flushes and compactions") {
  const std::string dir = "/tmp/powercut-core-test-merge-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  StoreConfig config;
  rocksdb::Options options;
  rocksdb::WriteOptions wo;
  REQUIRE(config.ToRocksDB(&options, &wo).ok());
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  auto spec = SmallSpec(8);  // few keys: long merge chains
  spec.weights.fill(0);
  spec.weight(OpKind::kPut) = 1;
  spec.weight(OpKind::kMerge) = 4;
  spec.weight(OpKind::kDelete) = 1;
  workloads::OpGenerator ops(31, spec);
  Oracle oracle(spec.key_count);
  for (uint64_t i = 1; i <= 600; ++i) {
    const Op op = ops.Get(i);
    const Write& w = op.writes.front();
    rocksdb::Status st;
    if (w.kind == Write::Kind::kPut) {
      st = db->Put(wo, KeyFor(w.key_id), EncodeValue(31, w.key_id, i, w.value_bytes));
    } else if (w.kind == Write::Kind::kMerge) {
      st = db->Merge(wo, KeyFor(w.key_id), EncodeMergeOperand(31, w.key_id, i, w.value_bytes));
    } else {
      st = db->Delete(wo, KeyFor(w.key_id));
    }
    REQUIRE(st.ok());
    oracle.Apply(op);
    if (i % 97 == 0) REQUIRE(db->Flush(rocksdb::FlushOptions()).ok());
    if (i % 250 == 0)
      REQUIRE(db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok());
    if (i % 50 == 0) {
      StoreImage image(spec.key_count);
      REQUIRE(ScanStore(db.get(), &image).ok());
      const Verdict v = Verify(image, Oracle(spec.key_count), i, i, ops);
      INFO(v.ToJson().dump());
      REQUIRE(v.pass);
    }
  }
  uint32_t merged = 0;
  for (uint32_t k = 0; k < spec.key_count; ++k) merged += oracle.at(k).merge_count > 1;
  CHECK(merged > 0);
  db.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("verifier: a flipped bit RocksDB served without error is silent-corruption") {
  const auto spec = SmallSpec();
  workloads::OpGenerator ops(26, spec);
  Oracle at = StateAfter(ops, spec.key_count, 100);
  uint32_t k = 0;
  while (!at.at(k).present() || at.at(k).merge_count > 0) ++k;
  std::string value = EncodeValue(26, k, at.at(k).op, at.at(k).value_bytes);
  value[value.size() - 1] ^= 0x10;
  StoreImage image = ImageOf(at, 26);
  image.Add(KeyFor(k), value);
  const Verdict v = Verify(image, Oracle(spec.key_count), 100, 100, ops);
  CHECK(ClassCount(v, kSilentCorruption) == 1);
  CHECK(v.classes.size() == 1);
}

TEST_CASE("verifier: a merge lost while a later one survived is a hole") {
  auto spec = SmallSpec(1);  // one key: every op lands on it
  spec.weights.fill(0);
  spec.weight(OpKind::kMerge) = 1;
  workloads::OpGenerator ops(27, spec);
  // The store holds merges 1, 2 and 4 but not 3: no prefix has that.
  Slot s;
  for (uint64_t i : {1, 2, 4}) s = Next(s, ops.Get(i).writes.front(), i);
  StoreImage image(1);
  image.Add(KeyFor(0), EncodeMergeResult(0, s));
  const Verdict v = Verify(image, Oracle(1), 0, 4, ops);
  REQUIRE_FALSE(v.pass);
  CHECK(ClassCount(v, kHole) == 1);
}

TEST_CASE("families: each key id in exactly one family, the families contiguous and in order") {
  rc::prop("FamilyLayout over any key count and family count", [] {
    const auto families = *rc::gen::inRange<uint32_t>(1, kMaxColumnFamilies + 1);
    const auto keys = *rc::gen::inRange<uint32_t>(families, 5000);
    const FamilyLayout layout(keys, families);
    RC_ASSERT(layout.Begin(0) == 0u);
    RC_ASSERT(layout.End(families - 1) == keys);
    for (uint32_t f = 0; f < families; ++f) {
      RC_ASSERT(layout.Begin(f) < layout.End(f));  // no family is empty
      for (uint32_t k = layout.Begin(f); k < layout.End(f); ++k) RC_ASSERT(layout.Of(k) == f);
    }
  });
  CHECK(FamilyName(0) == "default");
  CHECK(FamilyName(3) == "cf3");
}

TEST_CASE("verifier: a key read from a family whose range does not hold it is a phantom") {
  auto spec = SmallSpec(400);
  spec.column_families = 4;
  workloads::OpGenerator ops(31, spec);
  const Oracle at = StateAfter(ops, spec.key_count, 50);
  const FamilyLayout layout(spec.key_count, 4);
  StoreImage image(spec.key_count, 4);
  std::optional<uint32_t> moved;
  for (uint32_t k = 0; k < spec.key_count; ++k) {
    const Slot& s = at.at(k);
    if (!s.present()) continue;
    const std::string value =
        s.merge_count > 0 ? EncodeMergeResult(k, s) : EncodeValue(31, k, s.op, s.value_bytes);
    // One key a single put wrote turns up in the next family instead of its own.
    const bool move = !moved && s.merge_count == 0 && ops.Get(s.op).kind == OpKind::kPut;
    if (move) moved = k;
    image.Add(KeyFor(k), value, move ? (layout.Of(k) + 1) % 4 : layout.Of(k));
  }
  REQUIRE(moved.has_value());
  const Verdict v = Verify(image, Oracle(spec.key_count), 50, 50, ops);
  REQUIRE_FALSE(v.pass);
  CHECK(ClassCount(v, kPhantom) == 1);  // where it is
  CHECK(ClassCount(v, kLostAck) == 1);  // where it should be
  // Read from its own family, the same store passes.
  StoreImage right(spec.key_count, 4);
  for (uint32_t k = 0; k < spec.key_count; ++k) {
    const Slot& s = at.at(k);
    if (!s.present()) continue;
    right.Add(KeyFor(k),
              s.merge_count > 0 ? EncodeMergeResult(k, s) : EncodeValue(31, k, s.op, s.value_bytes),
              layout.Of(k));
  }
  CHECK(Verify(right, Oracle(spec.key_count), 50, 50, ops).pass);
}

TEST_CASE("ops: recreate-family deletes its family's range, a rolled-back txn writes nothing") {
  workloads::WorkloadSpec spec;
  REQUIRE(workloads::ProfileSpec("cf", &spec).ok());
  spec.weights.fill(0);
  spec.weight(OpKind::kRecreateFamily) = 1;
  const FamilyLayout layout(spec.key_count, spec.column_families);
  workloads::OpGenerator ops(5, spec);
  for (uint64_t i = 1; i <= 50; ++i) {
    const Op op = ops.Get(i);
    REQUIRE(op.kind == OpKind::kRecreateFamily);
    CHECK(op.family >= 1);  // never the default family
    CHECK(op.family < spec.column_families);
    CHECK_FALSE(op.sync);  // MANIFEST records, synced whatever an op says
    REQUIRE(op.writes.size() == 1);
    CHECK(op.writes[0].kind == Write::Kind::kDeleteRange);
    CHECK(op.writes[0].key_id == layout.Begin(op.family));
    CHECK(op.writes[0].end_key_id == layout.End(op.family));
  }
  REQUIRE(workloads::ProfileSpec("txn", &spec).ok());
  spec.weights.fill(0);
  spec.weight(OpKind::kTxnRollback) = 1;
  workloads::OpGenerator rollbacks(5, spec);
  for (uint64_t i = 1; i <= 50; ++i) {
    const Op op = rollbacks.Get(i);
    CHECK(op.writes.empty());
    CHECK_FALSE(op.rolled_back.empty());
    CHECK_FALSE(op.ChangesState());
  }
}

TEST_CASE("verifier: half a committed transaction is torn-batch, its merges aside") {
  Op txn;
  txn.kind = OpKind::kTxn;
  txn.writes = {{Write::Kind::kPut, 1, 0, 40},
                {Write::Kind::kMerge, 2, 0, 40},
                {Write::Kind::kPut, 3, 0, 40}};
  const ListedOps ops({txn});
  const Oracle after = StateAfter(ops, 5, 1);
  StoreImage image = ImageOf(after, 0);
  image.keys[3] = Observed{};  // its last put lost, the rest applied
  const Verdict v = Verify(image, Oracle(5), 0, 1, ops);
  REQUIRE_FALSE(v.pass);
  CHECK(ClassCount(v, kTornBatch) >= 1);
  CHECK(Verify(ImageOf(after, 0), Oracle(5), 0, 1, ops).pass);
}

TEST_CASE("contract: a recreate-family under the WAL is a sync point (the writer syncs first)") {
  Op recreate = W();
  recreate.kind = OpKind::kRecreateFamily;
  const std::vector<Op> ops = {W(), W(), recreate, W()};
  CHECK(Lo(Fault::kPowerCut, StoreConfig(), ops) == 3);
  CHECK(Lo(Fault::kKill, StoreConfig(), ops) == 4);
  CHECK(Lo(Fault::kPowerCut, Options({"manual_wal_flush=true"}), ops) == 3);
}

// --- Concurrent writers (workloads/lanes.h, src/verifier.h Concurrency) ---

namespace {

workloads::WorkloadSpec ThreadsSpec(uint32_t threads, uint32_t keys = 400) {
  workloads::WorkloadSpec s;
  REQUIRE(workloads::ProfileSpec("threads", &s).ok());
  s.threads = threads;
  s.key_count = keys;
  s.weight(OpKind::kCheckpoint) = 0;
  REQUIRE(s.Validate().ok());
  return s;
}

std::vector<uint32_t> KeysOf(const Op& op) {
  std::vector<uint32_t> keys;
  for (const Write& w : op.writes) ForEachKeyWritten(w, [&](uint32_t k) { keys.push_back(k); });
  for (const Write& w : op.rolled_back)
    ForEachKeyWritten(w, [&](uint32_t k) { keys.push_back(k); });
  return keys;
}

// The image of [1, m] ∪ {extra}: the state after m with op `extra`'s puts and deletes on top.
StoreImage ImageAhead(const OpSource& ops, uint32_t keys, uint64_t m, uint64_t extra,
                      uint64_t seed) {
  StoreImage image = ImageOf(StateAfter(ops, keys, m), seed);
  for (const Write& w : ops.Get(extra).writes) {
    REQUIRE((w.kind == Write::Kind::kPut || w.kind == Write::Kind::kDelete));
    if (w.kind == Write::Kind::kPut) {
      image.Add(KeyFor(w.key_id), EncodeValue(seed, w.key_id, extra, w.value_bytes));
    } else {
      image.keys[w.key_id] = Observed{};
    }
  }
  return image;
}

// The first m ≥ from whose ops m + 1 and `m + gap` are lone puts.
uint64_t PutsApart(const OpSource& ops, uint64_t from, uint64_t gap) {
  uint64_t m = from;
  while (ops.Get(m + 1).kind != OpKind::kPut || ops.Get(m + gap).kind != OpKind::kPut) ++m;
  return m;
}

}  // namespace

TEST_CASE("lanes: any T consecutive ops touch disjoint keys; shared keys pass between threads") {
  for (uint32_t threads : {2u, 3u, 4u, 8u}) {
    const auto spec = ThreadsSpec(threads, 64 * threads);
    const workloads::OpGenerator ops(77 + threads, spec);
    std::vector<std::vector<uint32_t>> keys(1);
    for (uint64_t i = 1; i <= 3000; ++i) keys.push_back(KeysOf(ops.Get(i)));
    std::map<uint32_t, std::set<uint32_t>> writers;  // key → threads that wrote it
    for (uint64_t i = 1; i <= 3000; ++i) {
      for (uint32_t k : keys[i]) writers[k].insert(static_cast<uint32_t>((i - 1) % threads));
      for (uint64_t j = i + 1; j < i + threads && j <= 3000; ++j) {
        for (uint32_t k : keys[i]) {
          INFO("threads " << threads << ": ops " << i << " and " << j << " share key " << k);
          REQUIRE(std::find(keys[j].begin(), keys[j].end(), k) == keys[j].end());
        }
      }
    }
    size_t shared = 0;
    for (const auto& [k, t] : writers) shared += t.size() > 1;
    CHECK(shared > 0);
  }
  // Validation names the flag and the fix.
  workloads::WorkloadSpec s = ThreadsSpec(4);
  s.threads = 17;
  CHECK(s.Validate().message().find("--threads 17") != std::string::npos);
  s = ThreadsSpec(4);
  s.key_count = 20;
  CHECK(s.Validate().message().find("--keys 32") != std::string::npos);
  REQUIRE(workloads::ProfileSpec("cf", &s).ok());
  s.threads = 2;
  CHECK(s.Validate().message().find("recreate-family") != std::string::npos);
}

TEST_CASE("verifier with threads: an op in flight lost beside a later one that survived passes") {
  const uint32_t keys = 400;
  const auto spec = ThreadsSpec(3, keys);
  const workloads::OpGenerator ops(31, spec);
  const uint64_t m = PutsApart(ops, 40, 2);
  // [1, m] ∪ {m + 2}: op m + 1 was in flight beside op m + 2 and lost.
  const StoreImage image = ImageAhead(ops, keys, m, m + 2, 31);
  Concurrency three;
  three.threads = 3;
  const Verdict v = Verify(image, Oracle(keys), 0, m + 5, ops, three);
  INFO(v.ToJson().dump());
  REQUIRE(v.pass);
  CHECK(v.recovered == m);
  CHECK(v.ahead == std::vector<uint64_t>{m + 2});
  CHECK(v.ResumePoint() == m + 2);
  // One thread: ops are acked in order, so the same store has a hole.
  const Verdict one = Verify(image, Oracle(keys), 0, m + 5, ops);
  CHECK_FALSE(one.pass);
  CHECK(ClassCount(one, kHole) >= 1);
  // The contract made op m + 1 durable: the same store lost it.
  three.required = {m + 1};
  const Verdict lost = Verify(image, Oracle(keys), 0, m + 5, ops, three);
  CHECK_FALSE(lost.pass);
  // A required op ahead of the prefix that the store holds passes.
  three.required = {m + 2};
  CHECK(Verify(image, Oracle(keys), 0, m + 5, ops, three).pass);
}

TEST_CASE("verifier with threads: an op surviving one acked before it was issued is a hole") {
  const uint32_t keys = 400;
  // Four lanes: any four consecutive ops touch disjoint keys, so the stream can be judged as
  // written by three threads or by four.
  const auto spec = ThreadsSpec(4, keys);
  const workloads::OpGenerator ops(32, spec);
  // With three threads, op m + 4 was issued after op m + 1 (same thread, 3 ops on) was acked:
  // real-time order puts m + 1 before it, so a store holding m + 4 without m + 1 broke it.
  const uint64_t m = PutsApart(ops, 40, 4);
  const StoreImage image = ImageAhead(ops, keys, m, m + 4, 32);
  Concurrency three;
  three.threads = 3;
  const Verdict v = Verify(image, Oracle(keys), 0, m + 6, ops, three);
  INFO(v.ToJson().dump());
  REQUIRE_FALSE(v.pass);
  CHECK(ClassCount(v, kHole) >= 1);
  // With four threads op m + 4 may have run beside op m + 1: no violation.
  Concurrency four;
  four.threads = 4;
  CHECK(Verify(image, Oracle(keys), 0, m + 6, ops, four).pass);
}

TEST_CASE("verifier with threads: a checkpoint's state is a cut through its op") {
  const uint32_t keys = 400;
  const auto spec = ThreadsSpec(3, keys);
  const workloads::OpGenerator ops(33, spec);
  const uint64_t m = PutsApart(ops, 60, 2);
  const StoreImage image = ImageAhead(ops, keys, m, m + 2, 33);
  Concurrency cut;
  cut.threads = 3;
  cut.cut_at = m;  // the checkpoint op: m + 2 ran beside it, so it may be in the checkpoint
  CHECK(Verify(image, Oracle(keys), m - 3, m + 2, ops, cut).pass);
  // A checkpoint op at m − 1 precedes m + 2 (3 ops on): the checkpoint cannot hold it.
  cut.cut_at = m - 1;
  CHECK_FALSE(Verify(image, Oracle(keys), m - 4, m + 1, ops, cut).pass);
}

TEST_CASE("contract with threads: acked ops above a gap, and a sync's reach, are required") {
  const StoreConfig wal;
  std::vector<Op> list(12, W());
  list[9] = W(/*sync=*/true);  // op 10
  const ListedOps ops(list);
  // A kill with ops 1..8 acked in order and 10 and 12 acked above op 9, still in flight:
  // every acked op is in the kernel.
  AckedOps acked(8);
  acked.Add(10);
  acked.Add(12);
  Durability d =
      DurableAfter(ContractFor(Fault::kKill, wal, false), ops, RecoveredReach(0, 0), 1, acked, 4);
  CHECK(d.lo == 8);
  CHECK(d.required == std::vector<uint64_t>{10, 12});
  // A power cut: only the sync write's reach, op 10 and every op 4 or more before it.
  d = DurableAfter(ContractFor(Fault::kPowerCut, wal, false), ops, RecoveredReach(0, 0), 1, acked,
                   4);
  CHECK(d.lo == 6);
  CHECK(d.required == std::vector<uint64_t>{10});
  // One thread, the same acks in order: the old contract exactly.
  d = DurableAfter(ContractFor(Fault::kPowerCut, wal, false), ops, RecoveredReach(0, 0), 1,
                   AckedOps(12), 1);
  CHECK(d.lo == 10);
  CHECK(d.required.empty());
  // An op that writes nothing moves a mark past it, but makes nothing durable: a flush (op 5)
  // covers the ops 4 or more before it, and the FlushWAL after it (op 6) adds none.
  std::vector<Op> flushed(4, W());
  flushed.push_back(N(OpKind::kFlush));
  flushed.push_back(N(OpKind::kFlushWal));
  const ListedOps flushed_ops(flushed);
  d = DurableAfter(ContractFor(Fault::kPowerCut, wal, false), flushed_ops, RecoveredReach(0, 0), 1,
                   AckedOps(6), 4);
  CHECK(d.lo == 1);
  CHECK(d.required == std::vector<uint64_t>{5});
  CHECK(d.reach.on_disk == 1);
  // AckedOps: out of order in, a prefix and the rest out.
  AckedOps a(5);
  CHECK(a.Add(7));
  CHECK(a.prefix == 5);
  CHECK(a.Add(6));
  CHECK(a.prefix == 7);
  CHECK(a.above.empty());
  CHECK_FALSE(a.Add(6));
}

TEST_CASE("verifier with threads: the record of what was in flight orders ops within T") {
  const uint32_t keys = 400;
  const auto spec = ThreadsSpec(3, keys);
  const workloads::OpGenerator ops(34, spec);
  const uint64_t m = PutsApart(ops, 40, 2);
  const StoreImage image = ImageAhead(ops, keys, m, m + 2, 34);  // m + 1 lost, m + 2 kept
  Concurrency three;
  three.threads = 3;
  // Op m + 1 was still in flight when op m + 2 was issued: the store may hold one without
  // the other.
  InFlight side_by_side;
  side_by_side.Issued(m + 1);
  side_by_side.Issued(m + 2);
  side_by_side.Acked(m + 2);
  side_by_side.Acked(m + 1);
  three.in_flight = &side_by_side;
  const Verdict pass = Verify(image, Oracle(keys), 0, m + 3, ops, three);
  INFO(pass.ToJson().dump());
  CHECK(pass.pass);
  CHECK(pass.ahead == std::vector<uint64_t>{m + 2});
  // Op m + 1 was acked before op m + 2 was issued: real time puts it first, and the store that
  // kept m + 2 without it has a hole, though the two are within T of each other.
  InFlight in_turn;
  in_turn.Issued(m + 1);
  in_turn.Acked(m + 1);
  in_turn.Issued(m + 2);
  in_turn.Acked(m + 2);
  three.in_flight = &in_turn;
  const Verdict hole = Verify(image, Oracle(keys), 0, m + 3, ops, three);
  INFO(hole.ToJson().dump());
  CHECK_FALSE(hole.pass);
  CHECK(ClassCount(hole, kHole) >= 1);
  // The record survives its file.
  const std::string path =
      std::filesystem::temp_directory_path() / ("in-flight-" + std::to_string(getpid()));
  REQUIRE(side_by_side.Save(path).ok());
  InFlight loaded;
  REQUIRE(InFlight::Load(path, &loaded).ok());
  CHECK_FALSE(loaded.Precedes(m + 1, m + 2));
  CHECK(loaded.Precedes(m, m + 2));
  std::filesystem::remove(path);
}

TEST_CASE("verifier with threads: holding a state to a record ends, whatever the record says") {
  const uint32_t keys = 400;
  const auto spec = ThreadsSpec(4, keys);
  const workloads::OpGenerator ops(35, spec);
  // Op m + 2 a put, m + 3 an op that writes nothing, m + 4 a put.
  uint64_t m = 40;
  while (ops.Get(m + 2).kind != OpKind::kPut || ops.Get(m + 3).ChangesState() ||
         ops.Get(m + 4).kind != OpKind::kPut)
    ++m;
  const StoreImage image = ImageAhead(ops, keys, m, m + 4, 35);  // m + 4 kept, m + 1..3 not
  // A record real time cannot make (m + 2 precedes m + 3, which precedes m + 4, yet m + 2 was
  // in flight when m + 4 was issued): m + 4 needs m + 3, which needs the lost m + 2. An op
  // that leaves for that must not be pulled back in, or the search would never end.
  const std::string path =
      std::filesystem::temp_directory_path() / ("in-flight-odd-" + std::to_string(getpid()));
  std::ofstream(path) << "powercut-in-flight 1\n"
                      << m + 3 << " " << m + 1 << "\n"
                      << m + 4 << " " << m + 1 << " " << m + 2 << "\n";
  InFlight record;
  REQUIRE(InFlight::Load(path, &record).ok());
  std::filesystem::remove(path);
  REQUIRE(record.Precedes(m + 2, m + 3));
  REQUIRE(record.Precedes(m + 3, m + 4));
  REQUIRE_FALSE(record.Precedes(m + 2, m + 4));
  Concurrency four;
  four.threads = 4;
  four.in_flight = &record;
  const Verdict v = Verify(image, Oracle(keys), m, m + 4, ops, four);
  INFO(v.ToJson().dump());
  CHECK_FALSE(v.pass);
}
