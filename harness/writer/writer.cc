#include "harness/writer/writer.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/statistics.h>
#include <rocksdb/transaction_log.h>

#include "faults/ledger_fs.h"
#include "harness/protocol/lines.h"
#include "harness/protocol/metrics_line.h"
#include "harness/writer/backup.h"
#include "harness/writer/execute.h"
#include "harness/writer/info_log_fs.h"
#include "harness/writer/lanes_writing.h"
#include "harness/writer/read_fault_fs.h"
#include "harness/writer/scratch_fs.h"
#include "harness/writer/store.h"
#include "harness/writer/store_metrics.h"
#include "src/chain_manifest.h"
#include "src/in_flight.h"
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

// To the writer's stderr, best effort: a full disk (where the stderr file may live) must not
// kill the writer, as an exception from fmt::print(stderr, …) would.
void Log(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

int Fail(int code, const std::string& what) {
  Say(ErrorLine(what));
  Log(fmt::format("powercut-writer: {}\n", what));
  return code;
}

// A problem of the harness's own, not of the store: the controller stops with exit 2.
int HarnessFail(int code, const std::string& what) {
  Say(HarnessErrorLine(what));
  Log(fmt::format("powercut-writer: harness error: {}\n", what));
  return code;
}

// The ledger cannot grow (its disk is full): a cut from a ledger that stopped recording would
// be wrong, so the writer stops at once, from whichever RocksDB thread was recording.
[[noreturn]] void OnLedgerFull(const std::string& message) {
  HarnessFail(kWriterHarnessError, message);
  _exit(kWriterHarnessError);
}

// The cycle's I/O error fired, on whichever thread made the call: the controller's ending
// waits for this line. One line under PIPE_BUF is one atomic write beside the others.
void SayInjected() { Say(InjectedLine()); }

// RocksDB refusing an op because the disk is full (or its space limit is reached, or a
// compaction would not fit in the free space its SstFileManager sees: CompactionTooLarge) has
// not broken a promise: the op was not acked. Anything else it returns is held against the
// store.
bool DiskFull(const rocksdb::Status& s) {
  return s.IsNoSpace() || s.subcode() == rocksdb::Status::kSpaceLimit || s.IsCompactionTooLarge();
}

// An info logger that drops every line: for judges of throwaway crash images.
class SilentLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

// A checkpoint (or backup) acked at op `op` must open (be restored) as a store equal to the
// state after op − 1: the writer is sequential, so exactly the ops before it were acked when
// it began.
// With concurrent writers (workloads/lanes.h) the checkpoint holds every op that precedes it
// in real time and none it precedes; ops in flight beside it may be in it or not.
void CheckCheckpoint(rocksdb::Options options, const StoreShape& shape,
                     const std::string& chain_dir, uint64_t op, const Oracle& base,
                     const OpSource& ops, uint32_t threads, uint64_t hi, const InFlight* in_flight,
                     Verdict* verdict) {
  const OpKind kind = ops.Get(op).kind;
  const bool backup = kind == OpKind::kBackup;  // restored before it opens
  const char* klass = kind == OpKind::kCheckpoint ? kBadCheckpoint : kBadBackup;
  const std::string dir = CheckpointDir(chain_dir, op);
  const std::string open_dir = backup ? RestoreDirFor(dir) : dir;
  options.env = rocksdb::Env::Default();  // a checkpoint is judged after the cut, never cut again
  options.create_if_missing = false;
  // Read-only: judging a checkpoint must not change it (a read-write open would write a new
  // MANIFEST and delete files in a directory this cycle's ledger is tracking).
  std::unique_ptr<Store> store;
  rocksdb::Status rs = backup ? RestoreBackup(dir, open_dir) : rocksdb::Status::OK();
  if (!rs.ok()) rs = rocksdb::Status::Corruption("restore failed", rs.ToString());
  if (rs.ok()) rs = Store::OpenForReadOnly(options, open_dir, shape, &store);
  Verdict cv;
  if (!rs.ok()) {
    cv = Verdict::Failure(klass, "open failed: " + rs.ToString(), op - 1, op - 1);
  } else {
    StoreImage image(base.key_count(), shape.families);
    Status s = ScanStore(store->db(), store->families(), store->foreign(), &image);
    const uint64_t lo = std::max(base.index(), op > threads ? op - threads : 0);
    const uint64_t cut_hi = threads == 1 ? op - 1 : std::max(op, std::min(hi, op + threads - 1));
    Concurrency cut;
    cut.threads = threads;
    cut.cut_at = threads == 1 ? 0 : op;
    cut.in_flight = in_flight;
    cv = s.ok() ? Verify(image, base, lo, cut_hi, ops, cut)
                : Verdict::Failure(klass, s.message(), op - 1, op - 1);
    store.reset();
  }
  if (backup && cv.pass) {  // a failed restore stays, as evidence; a good one is a full copy
    std::error_code ec;
    std::filesystem::remove_all(open_dir, ec);
  }
  if (cv.pass) return;
  verdict->detail = fmt::format("{}{} of op {} ({}) is not the state after op {}: {}",
                                verdict->pass ? "" : verdict->detail + "; ", OpKindName(kind), op,
                                dir, op - 1, cv.detail);
  verdict->pass = false;
  Finding f{dir, klass, fmt::format("the store after op {}", op - 1), cv.detail};
  if (!cv.findings.empty()) {
    f.key = dir + " " + cv.findings.front().key;
    f.expected = cv.findings.front().expected;
    f.found = cv.findings.front().found;
  }
  verdict->AddFinding(f);
}

// The writer's life, one step a function: load the chain, open the store (the recovery under
// test), judge it, write ops until killed or done, and close cleanly on SIGTERM.
class Writer {
 public:
  explicit Writer(const WriterArgs& args) : args_(args) {}

  int Run() {
    InstallSignals();
    int code = LoadChain();
    if (code < 0) code = OpenStore();
    if (code < 0) code = Judge();
    if (code < 0) code = WriteOps();
    if (code < 0) code = CloseOnTerm();
    return code;
  }

 private:
  static constexpr int kGoOn = -1;  // a step that returns this lets the next one run

  void InstallSignals() {
    // The controller may die by SIGKILL: the kernel then kills us too, and if it died before
    // prctl took effect our parent is already someone else.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The controller blocks SIGINT/SIGTERM in its threads and we inherit that mask.
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGTERM);
    sigaddset(&unblock, SIGINT);
    ::sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
    struct sigaction sa {};
    sa.sa_handler = OnTerm;
    ::sigaction(SIGTERM, &sa, nullptr);
  }

  // The chain's header, oracle and this cycle's options.
  int LoadChain() {
    if (args_.parent_pid != 0 && ::getppid() != args_.parent_pid) return kWriterBadArgs;
    std::vector<nlohmann::json> entries;
    Status s = ChainManifest::Load(args_.chain_dir + "/manifest.jsonl", &header_, &entries);
    if (!s.ok()) return HarnessFail(kWriterBadArgs, s.message());
    s = workloads::WorkloadSpec::FromJson(header_.workload, &spec_);
    if (!s.ok()) return HarnessFail(kWriterBadArgs, s.message());
    s = Oracle::Load(args_.chain_dir + "/oracle.bin", &base_);
    if (!s.ok()) return HarnessFail(kWriterBadArgs, s.message());
    if (base_.key_count() != spec_.key_count || base_.index() > args_.lo || args_.lo > args_.hi) {
      return HarnessFail(
          kWriterBadArgs,
          fmt::format("oracle at {} ({} keys) does not fit lo {} hi {} ({} keys)", base_.index(),
                      base_.key_count(), args_.lo, args_.hi, spec_.key_count));
    }
    StoreConfig store = header_.store;
    if (!args_.store_json.empty()) {
      s = StoreConfig::FromJson(nlohmann::json::parse(args_.store_json, nullptr, false), &store);
      if (!s.ok()) return HarnessFail(kWriterBadArgs, s.message());
    }
    s = store.ToRocksDB(&options_, &wo_);
    if (!s.ok()) return HarnessFail(kWriterBadArgs, s.message());
    return kGoOn;
  }

  // Power-cut cycles route every file operation through the ledger, from the open on: the
  // recovery's own writes are as cuttable as the workload's.
  int InstallLedger() {
    faults::LedgerOptions lo;
    lo.ledger_dir = args_.ledger_dir;
    lo.db_dir = args_.chain_dir + "/db";
    lo.extra_roots = {args_.chain_dir + "/checkpoints"};  // checkpoints are cut like the store
    lo.on_ledger_full = OnLedgerFull;
    lo.on_first_io_error = SayInjected;
    lo.carried_durability = args_.carried_durability;  // what earlier kills left unsynced
    Status s;
    if (!args_.crash_at.empty()) {
      const size_t colon = args_.crash_at.find(':');
      s = faults::ParseEventKind(args_.crash_at.substr(0, colon), &lo.crash_at.kind);
      if (!s.ok() || colon == std::string::npos)
        return HarnessFail(kWriterBadArgs, "bad --crash-at " + args_.crash_at);
      lo.crash_at.nth = std::stoull(args_.crash_at.substr(colon + 1));
    }
    if (!args_.io_error.empty()) {
      s = faults::ParseIoErrorPlan(args_.io_error, &lo.io_error);
      if (!s.ok()) return HarnessFail(kWriterBadArgs, "--io-error: " + s.message());
    }
    ledger_fs_ = faults::NewLedgerFileSystem(base_fs_, lo, &s);
    if (ledger_fs_ == nullptr) return HarnessFail(kWriterHarnessError, s.message());
    env_ = rocksdb::NewCompositeEnv(ledger_fs_);
    options_.env = env_.get();
    return kGoOn;
  }

  int OpenStore() {
    // TESTS ONLY: stand in for a RocksDB recovery that never finishes (upstream issue 11968),
    // so the controller's timeout path is exercised on every run of the suite.
    if (std::getenv("POWERCUT_TEST_HANG_OPEN") != nullptr && args_.lo > 0) {
      for (;;) ::pause();
    }
    // TESTS ONLY: a recovery that aborts, as RocksDB's failed assertions do, after its words.
    if (std::getenv("POWERCUT_TEST_ABORT_OPEN") != nullptr && args_.lo > 0) {
      Log("powercut-writer: ./db/planted.cc:1: Open(): Assertion `planted abort in the open' "
          "failed.\n");
      std::abort();
    }
    // TESTS ONLY: judges of crash images (scratch stores) that hang or abort in the open must
    // each give that image's verdict and be replaced, never take the run down.
    if (const char* judge = std::getenv("POWERCUT_TEST_JUDGE"); judge != nullptr && args_.scratch) {
      if (std::strcmp(judge, "abort") == 0) {
        Log("powercut-writer: planted judge abort in the open\n");
        std::abort();
      }
      if (std::strcmp(judge, "hang") == 0) {
        for (;;) ::pause();
      }
    }
    std::error_code ec;
    std::filesystem::create_directories(args_.chain_dir + "/checkpoints", ec);
    if (!args_.ledger_dir.empty()) {
      const int code = InstallLedger();
      if (code != kGoOn) return code;
    } else {
      std::shared_ptr<rocksdb::FileSystem> fs =
          args_.scratch ? NewScratchFileSystem(base_fs_) : base_fs_;
      if (args_.read_error_one_in > 0) {
        fs = NewReadFaultFileSystem(fs, {args_.read_error_one_in, args_.read_error_seed});
      }
      env_ = rocksdb::NewCompositeEnv(fs);
      options_.env = env_.get();
    }
    // A crash image's judge reports no metrics (only its verdict counts): no statistics.
    if (!args_.scratch) options_.statistics = rocksdb::CreateDBStatistics();
    // Nor an info LOG (the image and its LOG are thrown away) or a stats-dump thread: neither
    // takes part in the recovery being judged.
    if (args_.scratch) {
      options_.info_log = std::make_shared<SilentLogger>();
      options_.stats_dump_period_sec = 0;
    }
    const auto t0 = std::chrono::steady_clock::now();
    rocksdb::Status rs = Store::Open(options_, args_.chain_dir + "/db", Shape(), &store_);
    if (!rs.ok() && DiskFull(rs)) {
      // The recovery could not write its MANIFEST, WAL or flush: the disk decided, not the store.
      return HarnessFail(kWriterHarnessError,
                         fmt::format("no space left to open the store in {}/db: {}; free space "
                                     "there, or give --data-dir a larger disk",
                                     args_.chain_dir, rs.ToString()));
    }
    if (!rs.ok()) return Fail(kWriterOpenFailed, "open failed: " + rs.ToString());
    const auto open_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    Say(ReadyLine(static_cast<uint64_t>(open_us)));
    return kGoOn;
  }

  // Verifies the recovered store (and the checkpoints acked before the fault) and says the
  // verdict. A failed store stays exactly as recovered, for the evidence: no close, no flush.
  int Judge() {
    ops_ = std::make_unique<workloads::OpGenerator>(header_.seed, spec_);
    const auto verify_start = std::chrono::steady_clock::now();
    StoreImage image(spec_.key_count, spec_.column_families);
    // TESTS ONLY: a store that serves damaged bytes without an error (bit rot "served").
    const bool verify = std::getenv("POWERCUT_TEST_SKIP_READ_CHECKSUMS") == nullptr;
    Status s = ScanStore(store_->db(), store_->families(), store_->foreign(), &image, verify);
    if (!s.ok()) return Fail(kWriterScanFailed, s.message());
    Concurrency concurrency;
    concurrency.threads = spec_.threads;
    concurrency.required = args_.required;
    if (!args_.in_flight.empty()) {
      Status ls = InFlight::Load(args_.in_flight, &in_flight_);
      if (!ls.ok()) return HarnessFail(kWriterBadArgs, ls.message());
      concurrency.in_flight = &in_flight_;
    }
    Verdict verdict = Verify(image, args_.checkpoints.empty() ? std::move(base_) : base_, args_.lo,
                             args_.hi, *ops_, concurrency);
    image = StoreImage(0);
    // Every checkpoint and backup is judged, so the report names each bad one.
    const bool store_passed = verdict.pass;
    for (uint64_t cp : args_.checkpoints) {
      if (!store_passed) break;
      CheckCheckpoint(options_, Shape(), args_.chain_dir, cp, base_, *ops_, spec_.threads, args_.hi,
                      concurrency.in_flight, &verdict);
    }
    // Metrics first: a failed store reports them too, and the writer exits after its verdict.
    if (!args_.scratch) {
      nlohmann::json metrics = CollectStoreMetrics(store_->db(), options_.statistics.get());
      metrics["verify_ms"] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - verify_start)
              .count();
      Say(std::string(kMetricsLinePrefix) + metrics.dump() + "\n");
    }
    // A writer that writes on gets its store ready first, so that the controller's fault, timed
    // from the verdict line, never lands in the middle of it.
    if (verdict.pass && !args_.verify_only) {
      const int code = ReadyToWrite(verdict);
      if (code != kGoOn) return code;
    }
    Say(VerdictLine(verdict.ToJson().dump()));
    if (!verdict.pass) _exit(kWriterOk);
    // A crash image is thrown away once judged: closing it would only wait for the flush and
    // compactions its recovery scheduled.
    if (args_.verify_only && args_.scratch) _exit(kWriterOk);
    if (args_.verify_only) {
      store_.reset();
      return kWriterOk;
    }
    return kGoOn;
  }

  // After a PASS: prepared transactions rolled back, and the store caught up to a prefix.
  int ReadyToWrite(const Verdict& verdict) {
    recovered_ = verdict.recovered;
    // A transaction recovered prepared was never acked (its op is after the recovered point,
    // or the judge would have seen it committed): it is issued again, from the start.
    size_t rolled_back = 0;
    rocksdb::Status rs = store_->RollbackRecovered(&rolled_back);
    if (!rs.ok())
      return Fail(kWriterOpFailed, "rolling back recovered transactions: " + rs.ToString());
    if (rolled_back > 0) {
      Log(fmt::format("powercut-writer: rolled back {} transaction(s) recovered prepared\n",
                      rolled_back));
    }
    if (!verdict.ahead.empty()) return CatchUp(verdict);
    return kGoOn;
  }

  // Concurrent writers: the store recovered to op r and also holds ops `ahead`, in flight beside
  // op r + 1, which it lacks. The chain goes on from a prefix: the lost ops of r + 1 … max(ahead)
  // are executed again (no op near them shares a key, lanes.h), then a waited-for flush of every
  // family makes the prefix durable (Verdict::ResumePoint; the controller counts on it).
  int CatchUp(const Verdict& verdict) {
    const uint64_t top = verdict.ResumePoint();
    for (uint64_t i = verdict.recovered + 1; i <= top; ++i) {
      if (std::find(verdict.ahead.begin(), verdict.ahead.end(), i) != verdict.ahead.end()) continue;
      const Op op = ops_->Get(i);
      rocksdb::Status ws = Attempt(op);
      if (!ws.ok()) {
        return Fail(kWriterOpFailed, fmt::format("catching up to op {}: op {} ({}) failed: {}", top,
                                                 i, OpKindName(op.kind), ws.ToString()));
      }
    }
    rocksdb::FlushOptions flush;
    flush.wait = true;
    rocksdb::Status fs = store_->db()->Flush(flush, store_->families());
    if (!fs.ok()) return Fail(kWriterOpFailed, "catching up: flush failed: " + fs.ToString());
    Log(fmt::format(
        "powercut-writer: recovered to op {} and ops {} beside it; caught up to op {}\n",
        verdict.recovered, fmt::join(verdict.ahead, ","), top));
    recovered_ = top;
    return kGoOn;
  }

  // Executes ops from the recovered point on, each between its `issued` and `acked` line.
  // Crash points count from here: the judging open above is not the cycle's writing.
  int WriteOps() {
    if (ledger_fs_ != nullptr) {
      Status s = faults::MarkWritingStarts(ledger_fs_.get());
      if (!s.ok()) return HarnessFail(kWriterHarnessError, s.message());
    }
    if (args_.lie_ack) wo_.disableWAL = true;
    const uint64_t first = recovered_ + 1;
    const uint64_t last = recovered_ + header_.max_ops_per_cycle;
    if (spec_.threads > 1) return WriteOpsConcurrently(first, last);
    std::string pending;  // the previous op's ack, sent with the next op's issue in one write
    for (uint64_t i = first; i <= last && !g_stop.load(); ++i) {
      if (i > args_.crash_after_op && !args_.crash_in_flight) {
        Say(pending);
        ::kill(::getpid(), SIGKILL);
      }
      const Op op = ops_->Get(i);
      // The ledger holds the op boundaries in the total order of the file-system events, for
      // crash states built after any event; the pipe tells the controller the same, later.
      RecordOp(faults::RecordKind::kIssued, i);
      if (args_.lie_ack) RecordOp(faults::RecordKind::kAcked, i), pending += AckedLine(i);
      Say(pending + IssuedLine(i));
      pending.clear();
      if (i > args_.crash_after_op) ::kill(::getpid(), SIGKILL);  // crash_in_flight
      const rocksdb::Status ws = AttemptToAck(op);
      if (!ws.ok()) return OpFailed(i, op, ws);
      if (!args_.lie_ack) RecordOp(faults::RecordKind::kAcked, i), pending = AckedLine(i);
      // TESTS ONLY: a process that dies of its own signal while writing (writer-crash).
      if (i == first && std::getenv("POWERCUT_TEST_ABORT_WRITING") != nullptr) {
        Say(pending);
        Log("powercut-writer: planted abort after op " + std::to_string(i) + "\n");
        std::abort();
      }
    }
    Say(pending + (g_stop.load() ? "" : DoneLine()));
    return kGoOn;
  }

  // WriteOps on spec_.threads threads (harness/writer/lanes_writing.h): acks come as ops end.
  int WriteOpsConcurrently(uint64_t first, uint64_t last) {
    LanesHooks hooks;
    hooks.attempt = [this](const Op& op) { return AttemptToAck(op); };
    hooks.boundary = [this](bool acked, uint64_t op) {
      RecordOp(acked ? faults::RecordKind::kAcked : faults::RecordKind::kIssued, op);
      Say(acked ? AckedLine(op) : IssuedLine(op));
    };
    hooks.stop = [] { return g_stop.load(); };
    const LanesEnd end = RunLanes(spec_.threads, first, last, *ops_, hooks, args_.crash_after_op,
                                  args_.crash_in_flight, args_.lie_ack);
    if (end.failed_op != 0) return OpFailed(end.failed_op, end.failed, end.status);
    if (!g_stop.load()) Say(DoneLine());
    return kGoOn;
  }

  // The op as a careful application runs it: retried after an injected I/O error, and (TESTS
  // ONLY, --test-ack-failed) acked even when it failed. OK means the op is acked.
  rocksdb::Status AttemptToAck(const Op& op) {
    rocksdb::Status ws = Attempt(op);
    if (!ws.ok() && !args_.io_error.empty()) ws = RetryAfterError(op.index, op, ws);
    if (!ws.ok() && args_.ack_failed) {
      Log(fmt::format("powercut-writer: acking failed op {}: {}\n", op.index, ws.ToString()));
      ws = rocksdb::Status::OK();
    }
    return ws;
  }

  rocksdb::Status Attempt(const Op& op) {
    if (PlantedLoss(op)) return rocksdb::Status::OK();
    ExecuteContext context{header_.seed, spec_.value_compression_ratio,
                           FamilyLayout(spec_.key_count, spec_.column_families), wo_,
                           args_.chain_dir};
    return Execute(*store_, op, context);
  }

  // A careful application after an error (RocksDB's wiki, "Background Error Handling"):
  // resume the store, then try the op again, a seeded number of times. Only ops that are
  // idempotent are retried: a merge that failed may still be in the WAL (its sync failed),
  // and applying it twice would be the application's bug, not the store's. Nor is a
  // transaction: it may hold merges, and a failed two-phase one may have left its prepare
  // (under its name) in the WAL.
  rocksdb::Status RetryAfterError(uint64_t i, const Op& op, rocksdb::Status ws) {
    for (uint32_t attempt = 1; attempt <= args_.io_error_retries && !ws.ok(); ++attempt) {
      Log(fmt::format("powercut-writer: op {} ({}) failed: {}\n", i, OpKindName(op.kind),
                      ws.ToString()));
      if (op.kind == OpKind::kMerge || op.kind == OpKind::kTxn || op.kind == OpKind::kTxnRollback)
        break;
      const rocksdb::Status resumed = ResumeStore();
      Log(fmt::format("powercut-writer: DB::Resume(): {}; retry {} of {}\n", resumed.ToString(),
                      attempt, args_.io_error_retries));
      ws = Attempt(op);
    }
    return ws;
  }

  // DB::Resume(), waiting out an automatic recovery in progress (Resume is Busy meanwhile).
  rocksdb::Status ResumeStore() {
    constexpr int kMaxWaits = 50;
    constexpr auto kWait = std::chrono::milliseconds(100);
    rocksdb::Status s = store_->db()->Resume();
    for (int w = 0; w < kMaxWaits && s.IsBusy() && !g_stop.load(); ++w) {
      std::this_thread::sleep_for(kWait);
      s = store_->db()->Resume();
    }
    return s;
  }

  // Whether an error RocksDB returned may come of the cycle's injected I/O error: one fired.
  bool AfterInjectedError() const {
    return !args_.io_error.empty() && faults::InjectedIoErrorCount() > 0;
  }

  // TESTS ONLY (--test-lose-when-wals KIND@N): true when `op` is to be acked unexecuted, a
  // loss planted in the rare state of N live WAL files.
  bool PlantedLoss(const Op& op) {
    if (!plant_ || op.kind != plant_->first) return false;
    rocksdb::VectorLogPtr files;
    if (!store_->db()->GetSortedWalFiles(files).ok()) return false;
    const auto live = std::count_if(files.begin(), files.end(), [](const auto& f) {
      return f->Type() == rocksdb::kAliveLogFile;
    });
    if (live < static_cast<long>(plant_->second)) return false;
    Say(PlantedLine(op.index));
    return true;
  }

  StoreShape Shape() const { return StoreShape{spec_.column_families, spec_.txn}; }

  void RecordOp(faults::RecordKind kind, uint64_t op) {
    if (ledger_fs_ != nullptr) faults::RecordOpBoundary(ledger_fs_.get(), kind, op);
  }

  // Op i was not acked. A full disk, or any error after an injected I/O error, stops this
  // cycle's writing (no op after it is tried, so nothing acked follows an op RocksDB refused)
  // and the writer waits for its fault; any other error ends the writer with an `error` line
  // the cycle is failed on.
  int OpFailed(uint64_t i, const Op& op, const rocksdb::Status& ws) {
    const std::string what =
        fmt::format("op {} ({}) failed: {}", i, OpKindName(op.kind), ws.ToString());
    if (!DiskFull(ws) && !AfterInjectedError()) return Fail(kWriterOpFailed, what);
    Say(RefusedLine(what));
    Log(fmt::format("powercut-writer: refused: {}\n", what));
    return kGoOn;
  }

  int CloseOnTerm() {
    // SIGTERM stays blocked between the test and the wait, and sigsuspend unblocks it
    // atomically: a signal landing in between cannot be missed (pause() could sleep forever).
    sigset_t term, waiting;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &term, &waiting);
    sigdelset(&waiting, SIGTERM);
    while (!g_stop.load()) ::sigsuspend(&waiting);
    ::sigprocmask(SIG_UNBLOCK, &term, nullptr);
    // TESTS ONLY: a DB::Close that never returns (close-hang), or one that fails (the cycle is
    // then judged as a kill): the store is left unclosed, as a failed close leaves it.
    if (std::getenv("POWERCUT_TEST_HANG_CLOSE") != nullptr) {
      for (;;) ::pause();
    }
    if (std::getenv("POWERCUT_TEST_FAIL_CLOSE") != nullptr) {
      Say(RefusedLine("close failed: planted"));
      _exit(kWriterOk);
    }
    rocksdb::Status rs = store_->Close();
    if (!rs.ok() && (DiskFull(rs) || AfterInjectedError())) {
      Say(RefusedLine("close failed: " + rs.ToString()));
      return kWriterOk;
    }
    if (!rs.ok()) return Fail(kWriterOpFailed, "close failed: " + rs.ToString());
    store_.reset();
    Say(ClosedLine());
    return kWriterOk;
  }

  const WriterArgs& args_;
  ChainHeader header_;
  workloads::WorkloadSpec spec_;
  Oracle base_;
  rocksdb::Options options_;
  rocksdb::WriteOptions wo_;
  // Under every open: a full disk must not abort us through the info LOG (info_log_fs.h).
  const std::shared_ptr<rocksdb::FileSystem> base_fs_ =
      NewInfoLogTolerantFileSystem(rocksdb::FileSystem::Default());
  std::shared_ptr<rocksdb::FileSystem> ledger_fs_;  // writing cycles: the ledger over base_fs_
  std::unique_ptr<rocksdb::Env> env_;  // outlives store_: declared first, destroyed last
  std::unique_ptr<Store> store_;
  std::unique_ptr<workloads::OpGenerator> ops_;
  uint64_t recovered_ = 0;
  InFlight in_flight_;  // --in-flight, for the verdict
  // --test-lose-when-wals, parsed once (run validated it): the kind and the live WAL count.
  const std::optional<std::pair<OpKind, uint32_t>> plant_ = [this]() {
    std::optional<std::pair<OpKind, uint32_t>> p;
    OpKind kind;
    uint32_t wals = 0;
    if (!args_.lose_when_wals.empty() && ParseLoseWhenWals(args_.lose_when_wals, &kind, &wals).ok())
      p.emplace(kind, wals);
    return p;
  }();
};

}  // namespace

int RunWriter(const WriterArgs& args) { return Writer(args).Run(); }

}  // namespace powercut::harness
