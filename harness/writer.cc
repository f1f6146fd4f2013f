#include "harness/writer.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/statistics.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "faults/ledger_fs.h"
#include "harness/metrics_line.h"
#include "harness/store_metrics.h"
#include "src/chain_manifest.h"
#include "src/key.h"
#include "src/oracle.h"
#include "src/store_scan.h"
#include "src/value_codec.h"
#include "src/verifier.h"
#include "workloads/generator.h"

namespace powercut::harness {
namespace {

std::atomic<bool> g_stop{false};
void OnTerm(int) { g_stop.store(true); }

// Writes whole messages straight to the pipe: what the kernel holds survives our SIGKILL,
// a userspace buffer would not.
void Say(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(kWriterBadArgs);  // the controller is gone
    done += static_cast<size_t>(n);
  }
}

int Fail(int code, const std::string& what) {
  std::string line = what;
  for (char& c : line) c = c == '\n' ? ' ' : c;
  Say("error " + line + "\n");
  fmt::print(stderr, "powercut-writer: {}\n", line);
  return code;
}

// Removes a directory tree through `fs`, so that a ledger sees every deletion it must undo.
rocksdb::IOStatus RemoveTree(rocksdb::FileSystem* fs, const std::string& dir) {
  const rocksdb::IOOptions io;
  if (!fs->FileExists(dir, io, nullptr).ok()) return rocksdb::IOStatus::OK();
  std::vector<std::string> children;
  rocksdb::IOStatus s = fs->GetChildren(dir, io, &children, nullptr);
  for (const std::string& c : children) {
    if (!s.ok()) break;
    const std::string path = dir + "/" + c;
    bool is_dir = false;
    s = fs->IsDirectory(path, io, &is_dir, nullptr);
    if (s.ok()) s = is_dir ? RemoveTree(fs, path) : fs->DeleteFile(path, io, nullptr);
  }
  return s.ok() ? fs->DeleteDir(dir, io, nullptr) : s;
}

// RocksDB 7.8.3's CreateCheckpoint fsyncs the checkpoint directory but never its parent, so
// the checkpoint's own name is not durable when it returns: a power cut then loses the whole
// checkpoint. An application must fsync the parent itself, and the writer does, before it
// acks the op (see README, "The power cut").
rocksdb::Status CreateCheckpoint(rocksdb::DB* db, rocksdb::FileSystem* fs, const std::string& dir) {
  // An earlier cycle may have died creating this very checkpoint: it was never acked.
  rocksdb::Status s = RemoveTree(fs, dir);
  if (s.ok()) s = RemoveTree(fs, dir + ".tmp");
  if (!s.ok()) return s;
  rocksdb::Checkpoint* raw = nullptr;
  s = rocksdb::Checkpoint::Create(db, &raw);
  if (!s.ok()) return s;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  s = checkpoint->CreateCheckpoint(dir);
  if (!s.ok()) return s;
  std::unique_ptr<rocksdb::FSDirectory> parent;
  rocksdb::IOStatus io = fs->NewDirectory(std::filesystem::path(dir).parent_path().string(),
                                          rocksdb::IOOptions(), &parent, nullptr);
  if (io.ok())
    io = parent->FsyncWithDirOptions(rocksdb::IOOptions(), nullptr, rocksdb::DirFsyncOptions());
  return io;
}

rocksdb::Status Execute(rocksdb::DB* db, const Op& op, uint64_t seed, rocksdb::WriteOptions wo,
                        const std::string& chain_dir) {
  // RocksDB refuses a sync write without a WAL; with the WAL off only a flush is durable.
  wo.sync = (wo.sync || op.sync) && !wo.disableWAL;
  switch (op.kind) {
    case OpKind::kPut: {
      const Write& w = op.writes.front();
      return db->Put(wo, KeyFor(w.key_id), EncodeValue(seed, w.key_id, op.index, w.value_bytes));
    }
    case OpKind::kDelete:
      return db->Delete(wo, KeyFor(op.writes.front().key_id));
    case OpKind::kMerge: {
      const Write& w = op.writes.front();
      return db->Merge(wo, KeyFor(w.key_id),
                       EncodeMergeOperand(seed, w.key_id, op.index, w.value_bytes));
    }
    case OpKind::kBatch: {
      rocksdb::WriteBatch batch;
      for (const Write& w : op.writes) {
        rocksdb::Status s =
            w.kind == Write::Kind::kPut
                ? batch.Put(KeyFor(w.key_id), EncodeValue(seed, w.key_id, op.index, w.value_bytes))
                : batch.Delete(KeyFor(w.key_id));
        if (!s.ok()) return s;
      }
      return db->Write(wo, &batch);
    }
    case OpKind::kDeleteRange: {
      const Write& w = op.writes.front();
      return db->DeleteRange(wo, db->DefaultColumnFamily(), KeyFor(w.key_id), KeyFor(w.end_key_id));
    }
    case OpKind::kFlush:
      return db->Flush(rocksdb::FlushOptions());
    case OpKind::kSyncWal:
      return db->SyncWAL();
    case OpKind::kFlushWal:
      return db->FlushWAL(op.sync);
    case OpKind::kCompactRange:
      return db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
    case OpKind::kCheckpoint:
      return CreateCheckpoint(db, db->GetEnv()->GetFileSystem().get(),
                              CheckpointDir(chain_dir, op.index));
  }
  return rocksdb::Status::NotSupported("unknown op kind");
}

// A checkpoint acked at op `op` must open as a store equal to the state after op − 1: the
// writer is sequential, so exactly the ops before it were acked when it began.
void CheckCheckpoint(rocksdb::Options options, const std::string& chain_dir, uint64_t op,
                     const Oracle& base, const OpSource& ops, Verdict* verdict) {
  const std::string dir = CheckpointDir(chain_dir, op);
  options.env = rocksdb::Env::Default();  // a checkpoint is judged after the cut, never cut again
  options.create_if_missing = false;
  // Read-only: judging a checkpoint must not change it (a read-write open would write a new
  // MANIFEST and delete files in a directory this cycle's ledger is tracking).
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
  Verdict cv;
  if (!rs.ok()) {
    cv = Verdict::Failure(kBadCheckpoint, "open failed: " + rs.ToString(), op - 1, op - 1);
  } else {
    std::unique_ptr<rocksdb::DB> db(raw);
    StoreImage image(base.key_count());
    Status s = ScanStore(db.get(), &image);
    cv = s.ok() ? Verify(image, base, op - 1, op - 1, ops)
                : Verdict::Failure(kBadCheckpoint, s.message(), op - 1, op - 1);
  }
  if (cv.pass) return;
  verdict->pass = false;
  verdict->detail = fmt::format("checkpoint of op {} ({}) is not the state after op {}: {}", op,
                                dir, op - 1, cv.detail);
  Finding f{dir, kBadCheckpoint, fmt::format("the store after op {}", op - 1), cv.detail};
  if (!cv.findings.empty()) {
    f.key = dir + " " + cv.findings.front().key;
    f.expected = cv.findings.front().expected;
    f.found = cv.findings.front().found;
  }
  verdict->AddFinding(f);
}

}  // namespace

int RunWriter(const WriterArgs& args) {
  // The controller may die by SIGKILL: the kernel then kills us too, and if it died before
  // prctl took effect our parent is already someone else.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (args.parent_pid != 0 && ::getppid() != args.parent_pid) return kWriterBadArgs;
  // The controller blocks SIGINT/SIGTERM in its threads and we inherit that mask.
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, SIGTERM);
  sigaddset(&unblock, SIGINT);
  ::sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
  struct sigaction sa {};
  sa.sa_handler = OnTerm;
  ::sigaction(SIGTERM, &sa, nullptr);

  ChainHeader header;
  std::vector<nlohmann::json> entries;
  Status s = ChainManifest::Load(args.chain_dir + "/manifest.jsonl", &header, &entries);
  if (!s.ok()) return Fail(kWriterBadArgs, s.message());
  workloads::WorkloadSpec spec;
  s = workloads::WorkloadSpec::FromJson(header.workload, &spec);
  if (!s.ok()) return Fail(kWriterBadArgs, s.message());
  Oracle base;
  s = Oracle::Load(args.chain_dir + "/oracle.bin", &base);
  if (!s.ok()) return Fail(kWriterBadArgs, s.message());
  if (base.key_count() != spec.key_count || base.index() > args.lo || args.lo > args.hi) {
    return Fail(kWriterBadArgs,
                fmt::format("oracle at {} ({} keys) does not fit lo {} hi {} ({} keys)",
                            base.index(), base.key_count(), args.lo, args.hi, spec.key_count));
  }
  rocksdb::Options options;
  rocksdb::WriteOptions wo;
  StoreConfig store = header.store;
  if (!args.store_json.empty()) {
    s = StoreConfig::FromJson(nlohmann::json::parse(args.store_json, nullptr, false), &store);
    if (!s.ok()) return Fail(kWriterBadArgs, s.message());
  }
  s = store.ToRocksDB(&options, &wo);
  if (!s.ok()) return Fail(kWriterBadArgs, s.message());

  // TESTS ONLY: stand in for a RocksDB recovery that never finishes (upstream issue 11968),
  // so the controller's timeout path is exercised on every run of the suite.
  if (std::getenv("POWERCUT_TEST_HANG_OPEN") != nullptr && args.lo > 0) {
    for (;;) ::pause();
  }
  // Power-cut cycles route every file operation through the ledger, from the open on: the
  // recovery's own writes are as cuttable as the workload's.
  std::error_code ec;
  std::filesystem::create_directories(args.chain_dir + "/checkpoints", ec);
  std::unique_ptr<rocksdb::Env> ledger_env;
  if (!args.ledger_dir.empty()) {
    faults::LedgerOptions lo;
    lo.ledger_dir = args.ledger_dir;
    lo.db_dir = args.chain_dir + "/db";
    lo.extra_roots = {args.chain_dir + "/checkpoints"};  // checkpoints are cut like the store
    if (!args.crash_at.empty()) {
      const size_t colon = args.crash_at.find(':');
      s = faults::ParseEventKind(args.crash_at.substr(0, colon), &lo.crash_at.kind);
      if (!s.ok() || colon == std::string::npos)
        return Fail(kWriterBadArgs, "bad --crash-at " + args.crash_at);
      lo.crash_at.nth = std::stoull(args.crash_at.substr(colon + 1));
    }
    auto fs = faults::NewLedgerFileSystem(rocksdb::FileSystem::Default(), lo, &s);
    if (fs == nullptr) return Fail(kWriterBadArgs, s.message());
    ledger_env = rocksdb::NewCompositeEnv(fs);
    options.env = ledger_env.get();
  }
  options.statistics = rocksdb::CreateDBStatistics();
  const auto t0 = std::chrono::steady_clock::now();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs = rocksdb::DB::Open(options, args.chain_dir + "/db", &raw);
  if (!rs.ok()) return Fail(kWriterOpenFailed, "open failed: " + rs.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  const auto open_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  Say(fmt::format("ready {}\n", open_us));

  const workloads::OpGenerator ops(header.seed, spec);
  const auto verify_start = std::chrono::steady_clock::now();
  StoreImage image(spec.key_count);
  s = ScanStore(db.get(), &image);
  if (!s.ok()) return Fail(kWriterScanFailed, s.message());
  Verdict verdict =
      Verify(image, args.checkpoints.empty() ? std::move(base) : base, args.lo, args.hi, ops);
  image = StoreImage(0);
  for (uint64_t cp : args.checkpoints) {
    if (!verdict.pass) break;
    CheckCheckpoint(options, args.chain_dir, cp, base, ops, &verdict);
  }
  // Metrics first: a failed store reports them too, and the writer exits after its verdict.
  nlohmann::json metrics = CollectStoreMetrics(db.get(), options.statistics.get());
  metrics["verify_ms"] =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - verify_start)
          .count();
  Say(std::string(kMetricsLinePrefix) + metrics.dump() + "\n");

  Say("verdict " + verdict.ToJson().dump() + "\n");
  // A failed store stays exactly as recovered, for the evidence: no close, no flush.
  if (!verdict.pass) _exit(kWriterOk);
  if (args.verify_only) {
    db.reset();
    return kWriterOk;
  }

  if (args.lie_ack) wo.disableWAL = true;
  const uint64_t first = verdict.recovered + 1;
  const uint64_t last = verdict.recovered + header.max_ops_per_cycle;
  std::string pending;  // the previous op's ack, sent with the next op's issue in one write
  for (uint64_t i = first; i <= last && !g_stop.load(); ++i) {
    if (i > args.crash_after_op) {
      Say(pending);
      ::kill(::getpid(), SIGKILL);
    }
    const Op op = ops.Get(i);
    if (args.lie_ack) pending += fmt::format("acked {}\n", i);
    Say(pending + fmt::format("issued {}\n", i));
    pending.clear();
    rocksdb::Status ws = Execute(db.get(), op, header.seed, wo, args.chain_dir);
    if (!ws.ok())
      return Fail(kWriterOpFailed,
                  fmt::format("op {} ({}) failed: {}", i, OpKindName(op.kind), ws.ToString()));
    if (!args.lie_ack) pending = fmt::format("acked {}\n", i);
  }
  Say(pending + (g_stop.load() ? "" : "done\n"));
  // SIGTERM stays blocked between the test and the wait, and sigsuspend unblocks it
  // atomically: a signal landing in between cannot be missed (pause() could sleep forever).
  sigset_t term, waiting;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &term, &waiting);
  sigdelset(&waiting, SIGTERM);
  while (!g_stop.load()) ::sigsuspend(&waiting);
  ::sigprocmask(SIG_UNBLOCK, &term, nullptr);
  rs = db->Close();
  if (!rs.ok()) return Fail(kWriterOpFailed, "close failed: " + rs.ToString());
  db.reset();
  Say("closed\n");
  return kWriterOk;
}

}  // namespace powercut::harness
