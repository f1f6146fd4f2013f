// `powercut verify` on a chain's real store, tampered with by another tool (RocksDB's own
// ldb): every class a tamper should produce, and a pass on the untampered store.
#include <optional>
#include <set>

#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "src/chain_manifest.h"
#include "src/families.h"
#include "src/key.h"
#include "src/oracle.h"
#include "src/value_codec.h"
#include "tests/e2e_support.h"
#include "workloads/generator.h"

using namespace e2e;
using namespace powercut;

namespace {

struct Chain {
  TempDir t;
  fs::path dir;
  Oracle oracle;
  ChainHeader header;
  std::unique_ptr<workloads::OpGenerator> ops;

  // `profile` e.g. " --profile cf".
  explicit Chain(const std::string& profile = "") {
    // Each cycle writes its 300 ops well before its kill (250 ms), so the chain's op stream,
    // and so every key the tests below look for, does not depend on the machine's speed.
    const Result r = Powercut(t.path,
                              "run --seed 11 --cycles 4 --chains 1 --fault kill "
                              "--max-ops-per-cycle 300 --fault-after-min-ms 250 "
                              "--fault-after-max-ms 250" +
                                  profile);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    dir = t.path / "powercut-data/chain-0";
    REQUIRE(Oracle::Load((dir / "oracle.bin").string(), &oracle).ok());
    std::vector<nlohmann::json> entries;
    REQUIRE(ChainManifest::Load((dir / "manifest.jsonl").string(), &header, &entries).ok());
    workloads::WorkloadSpec spec;
    REQUIRE(workloads::WorkloadSpec::FromJson(header.workload, &spec).ok());
    ops = std::make_unique<workloads::OpGenerator>(header.seed, spec);
    REQUIRE(oracle.index() > 100);
  }

  Result Ldb(const std::string& args) {
    return Shell(t.path, "ldb --db='" + (dir / "db").string() + "' " + args);
  }

  Result Verify() { return Powercut(t.path, "verify '" + dir.string() + "'"); }

  // A live key whose value was written by an op of `kind`.
  uint32_t LiveKeyWrittenBy(OpKind kind) {
    for (uint32_t k = 0; k < oracle.key_count(); ++k) {
      if (oracle.at(k).present() && ops->Get(oracle.at(k).op).kind == kind) return k;
    }
    FAIL("no live key written by " << OpKindName(kind));
    return 0;
  }

  uint64_t Classes(const std::string& klass) {
    const nlohmann::json v = ReadJson(dir / "verify.json");
    return v.at("classes").value(klass, uint64_t{0});
  }
};

std::string Hex(const std::string& bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string out = "0x";
  for (unsigned char c : bytes) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

}  // namespace

TEST_CASE("verify passes an untampered chain, twice") {
  Chain c;
  for (int i = 0; i < 2; ++i) {
    const Result r = c.Verify();
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.rfind("PASS", 0) == 0);
    CHECK(ReadJson(c.dir / "verify.json").at("pass") == true);
  }
}

TEST_CASE("verify: an acked key deleted with ldb is lost-ack") {
  Chain c;
  const uint32_t k = c.LiveKeyWrittenBy(OpKind::kPut);
  REQUIRE(c.Ldb("delete " + KeyFor(k)).exit_code == 0);
  const Result r = c.Verify();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(c.Classes("lost-ack") == 1);
  CHECK(r.out.find(KeyFor(k)) != std::string::npos);
}

TEST_CASE("verify: a value overwritten with garbage is corrupt-value") {
  Chain c;
  const uint32_t k = c.LiveKeyWrittenBy(OpKind::kPut);
  REQUIRE(c.Ldb("put " + KeyFor(k) + " this-is-not-what-powercut-wrote-at-all").exit_code == 0);
  const Result r = c.Verify();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(c.Classes("corrupt-value") == 1);
}

TEST_CASE("verify: keys no op wrote are phantoms") {
  Chain c;
  uint32_t absent = 0;
  while (c.oracle.at(absent).present()) ++absent;
  const std::string forged = EncodeValue(c.header.seed, absent, c.oracle.index() + 1000, 64);
  REQUIRE(c.Ldb("--hex put " + Hex(KeyFor(absent)) + " " + Hex(forged)).exit_code == 0);
  REQUIRE(c.Ldb("put zzz-foreign-key 1").exit_code == 0);
  const Result r = c.Verify();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(c.Classes("phantom") == 2);
}

TEST_CASE("verify: half a batch removed is torn-batch") {
  Chain c;
  for (uint64_t b = c.oracle.index(); b >= 1; --b) {
    const Op op = c.ops->Get(b);
    if (op.kind != OpKind::kBatch) continue;
    std::set<uint32_t> live;
    for (const Write& w : op.writes) {
      if (w.kind == Write::Kind::kPut && c.oracle.at(w.key_id).op == b) live.insert(w.key_id);
    }
    if (live.size() < 2) continue;
    const uint32_t victim = *live.begin();
    REQUIRE(c.Ldb("delete " + KeyFor(victim)).exit_code == 0);
    const Result r = c.Verify();
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(c.Classes("torn-batch") == 1);
    return;
  }
  FAIL("no batch with two live keys in the chain");
}

TEST_CASE("verify: a store that will not open is unrecoverable") {
  Chain c;
  { std::ofstream(c.dir / "db/CURRENT", std::ios::trunc) << "MANIFEST-999999\n"; }
  const Result r = c.Verify();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(c.Classes("unrecoverable") == 1);
  CHECK(r.out.find("open failed") != std::string::npos);
}

TEST_CASE("verify: a flipped bit inside a real value is silent-corruption") {
  Chain c;
  const uint32_t k = c.LiveKeyWrittenBy(OpKind::kPut);
  std::string value = EncodeValue(c.header.seed, k, c.oracle.at(k).op, c.oracle.at(k).value_bytes);
  value[value.size() - 1] ^= 0x01;
  REQUIRE(c.Ldb("--hex put " + Hex(KeyFor(k)) + " " + Hex(value)).exit_code == 0);
  const Result r = c.Verify();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(c.Classes("silent-corruption") == 1);
}

TEST_CASE("verify: a deleted key put back with its old value is resurrected") {
  Chain c;
  // A key whose last op was a lone delete, and the put it deleted.
  for (uint32_t k = 0; k < c.oracle.key_count(); ++k) {
    const Slot& s = c.oracle.at(k);
    if (s.present() || s.op == 0 || c.ops->Get(s.op).kind != OpKind::kDelete) continue;
    for (uint64_t i = s.op - 1; i >= 1; --i) {
      const Op op = c.ops->Get(i);
      if (op.kind != OpKind::kPut || op.writes[0].key_id != k) continue;
      const std::string old = EncodeValue(c.header.seed, k, i, op.writes[0].value_bytes);
      REQUIRE(c.Ldb("--hex put " + Hex(KeyFor(k)) + " " + Hex(old)).exit_code == 0);
      const Result r = c.Verify();
      INFO(r.out << r.err);
      CHECK(r.exit_code == 1);
      CHECK(c.Classes("resurrected") == 1);
      return;
    }
  }
  FAIL("no deleted key with an earlier lone put in the chain");
}

TEST_CASE("verify: a later write surviving an earlier lost one is a hole, on a real store") {
  Chain c;
  const uint64_t r = c.oracle.index();
  const uint64_t hi = r + 40;
  // The lost op: a lone put whose key no later op up to hi touches again.
  uint64_t lost = 0;
  for (uint64_t m = r + 1; m < hi && lost == 0; ++m) {
    const Op op = c.ops->Get(m);
    if (op.kind != OpKind::kPut) continue;
    bool touched_later = false;
    for (uint64_t i = m + 1; i <= hi; ++i) {
      for (const Write& w : c.ops->Get(i).writes) {
        ForEachKeyWritten(w, [&](uint32_t k) { touched_later |= k == op.writes[0].key_id; });
      }
    }
    if (!touched_later) lost = m;
  }
  REQUIRE(lost != 0);
  {
    // What a writer would have left if op `lost` never reached the disk but later ones did.
    rocksdb::Options options;
    rocksdb::WriteOptions wo;
    REQUIRE(c.header.store.ToRocksDB(&options, &wo).ok());
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(options, (c.dir / "db").string(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (uint64_t i = r + 1; i <= hi; ++i) {
      if (i == lost) continue;
      const Op op = c.ops->Get(i);
      rocksdb::WriteBatch batch;
      for (const Write& w : op.writes) {
        const std::string key = KeyFor(w.key_id);
        if (w.kind == Write::Kind::kPut) {
          batch.Put(key, EncodeValue(c.header.seed, w.key_id, i, w.value_bytes));
        } else if (w.kind == Write::Kind::kMerge) {
          batch.Merge(key, EncodeMergeOperand(c.header.seed, w.key_id, i, w.value_bytes));
        } else if (w.kind == Write::Kind::kDelete) {
          batch.Delete(key);
        } else {
          batch.DeleteRange(key, KeyFor(w.end_key_id));
        }
      }
      REQUIRE(db->Write(wo, &batch).ok());
    }
  }
  // The manifest as a controller killed after the fault leaves it: issued up to hi, durable r.
  REQUIRE(ChainManifest::Append((c.dir / "manifest.jsonl").string(),
                                {{"type", "cycle"}, {"cycle", 99}, {"lo", r}, {"hi", hi}})
              .ok());
  const Result v = c.Verify();
  INFO(v.out << v.err);
  CHECK(v.exit_code == 1);
  CHECK(c.Classes("hole") == 1);
  CHECK(v.out.find(KeyFor(c.ops->Get(lost).writes[0].key_id)) != std::string::npos);
}

TEST_CASE("verify: a batch across column families, undone in one family with ldb, is torn-batch") {
  Chain c(" --profile cf");
  workloads::WorkloadSpec spec;
  REQUIRE(workloads::WorkloadSpec::FromJson(c.header.workload, &spec).ok());
  const FamilyLayout layout(spec.key_count, spec.column_families);
  // A batch whose values are live in two families: the store holds all of it.
  std::optional<uint32_t> victim;
  for (uint32_t k = 0; k < c.oracle.key_count() && !victim; ++k) {
    const Slot& s = c.oracle.at(k);
    if (!s.present() || s.merge_count > 0 || c.ops->Get(s.op).kind != OpKind::kBatch) continue;
    for (const Write& w : c.ops->Get(s.op).writes) {
      const Slot& other = c.oracle.at(w.key_id);
      if (layout.Of(w.key_id) != layout.Of(k) && other.present() && other.op == s.op) victim = k;
    }
  }
  REQUIRE(victim.has_value());
  const uint32_t f = layout.Of(*victim);
  const std::string family = f == 0 ? "" : " --column_family=" + FamilyName(f);
  REQUIRE(c.Ldb("delete" + family + " " + KeyFor(*victim)).exit_code == 0);
  const Result r = c.Verify();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(c.Classes("torn-batch") == 1);
}

TEST_CASE(
    "verify: a key written with ldb into a family whose range does not hold it is a phantom") {
  Chain c(" --profile cf");
  REQUIRE(c.Verify().exit_code == 0);
  // Key 0 belongs to the default family; cf3 holds the last quarter of the key space.
  REQUIRE(c.Ldb("put --column_family=cf3 " + KeyFor(0) + " stray").exit_code == 0);
  const Result r = c.Verify();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(c.Classes("phantom") == 1);
  CHECK(r.out.find("in column family cf3") != std::string::npos);
}
