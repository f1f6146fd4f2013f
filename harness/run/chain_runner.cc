#include "harness/run/chain_runner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faults/carried_durability.h"
#include "faults/ledger.h"
#include "faults/power_cut.h"
#include "harness/run/await_verdict.h"
#include "harness/run/bitrot_state.h"
#include "harness/run/child_process.h"
#include "harness/run/evidence.h"
#include "harness/run/explorer.h"
#include "harness/run/fault_mix.h"
#include "harness/run/io_error_cycle.h"
#include "harness/run/test_death.h"
#include "harness/run/writer_crash.h"
#include "harness/run/writer_progress.h"
#include "harness/writer/writer.h"
#include "reports/summary.h"
#include "src/atomic_file.h"
#include "src/chain_manifest.h"
#include "src/contract.h"
#include "src/hash.h"
#include "src/oracle.h"
#include "src/rng.h"
#include "src/verdict.h"
#include "workloads/generator.h"

namespace powercut::harness {
namespace {

constexpr int64_t kDrainTimeoutMs = 10'000;       // a SIGKILLed writer's pipe closes at once
constexpr int64_t kCleanCloseTimeoutMs = 60'000;  // DB::Close flushes nothing by default

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// A fault injected whose verdict is not known yet: the next writer's open decides it.
struct Pending {
  uint64_t cycle = 0;
  Fault fault = Fault::kKill;
  Contract contract;
  uint64_t resume = 0;
  uint64_t acked = 0;
  uint64_t hi = 0;
  uint64_t lo = 0;
  int64_t started_ms = 0;
  std::string detail;   // what the fault did, e.g. "SIGKILL after 12 ms"
  std::string failure;  // non-empty: the cycle failed while writing, of failure_class
  const char* failure_class = kUnrecoverable;
  std::string ledger_dir;             // power cuts: the ledger the cut was applied from
  uint64_t fs_events = 0;             // power cuts: file-system events the writer reached
  std::string crash_at;               // power cuts: the seeded crash point "kind:n", if any
  IoErrorCycle io_error;              // --fault io-error: the injected error (plan empty otherwise)
  bool refused = false;               // the writer stopped writing at op hi, which RocksDB refused
  uint64_t io_errors = 0;             // calls the ledger file system failed (io-error cycles)
  uint64_t planted = 0;               // TESTS ONLY: ops the writer acked unexecuted (a plant)
  Fault judged_as = Fault::kKill;     // the contract's fault: `fault`, or a kill for a failed close
  std::vector<uint64_t> checkpoints;  // checkpoint ops acked in the cycle: the next open checks
  std::vector<uint64_t> required;     // concurrent writers: ops above lo that must survive
  InFlight in_flight;                 // and what was in flight at each issue (the pipe's order)
  faults::CutStats cut;
  uint64_t cut_seed = 0;
  uint64_t local = 0;          // the chain's own index of this cycle
  int64_t fault_after_ms = 0;  // the seeded time of the (first) signal
  // What this cycle's writer was started with: its open judged the cycle before.
  uint64_t verify_lo = 0;
  uint64_t verify_hi = 0;
  // The chain's on-disk mark (src/contract.h Reach) when the cycle began, and after its acked
  // ops: what a later power cut may not take, carried across kills.
  uint64_t on_disk_start = 0;
  uint64_t on_disk_after = 0;
  std::vector<uint64_t> verify_checkpoints;
  std::vector<uint64_t> verify_required;
  reports::Exploration explored;  // the crash states judged from this cycle's trace
};

// Largest n a seeded crash point picks for each kind of event. Crash points count the
// cycle's writing only (faults/ledger_fs.h), so these fit what 1-40 ms of writing on the
// default options does here: ~150-400 WAL appends, 3-8 WAL syncs, 3-5 directory fsyncs, 1-3
// MANIFEST writes, an SST now and then; CURRENT is renamed only when the MANIFEST rolls
// (max_manifest_file_size). A point the writing does not reach falls back to the timed kill.
uint64_t MaxNth(faults::EventKind kind) {
  switch (kind) {
    case faults::EventKind::kWalAppend:
      return 400;
    case faults::EventKind::kWalSync:
      return 8;
    case faults::EventKind::kSstCreate:
      return 2;
    case faults::EventKind::kManifestWrite:
      return 3;
    case faults::EventKind::kCurrentRename:
      return 2;
    case faults::EventKind::kDirFsync:
      return 4;
    case faults::EventKind::kAnyEvent:
      return 500;
    case faults::EventKind::kNone:
      return 1;
  }
  return 1;
}

class ChainRunner {
 public:
  // Generation g > 0 is the fresh chain --keep-going starts after the chain's g-th FAIL.
  ChainRunner(const RunPlan& plan, uint32_t chain, uint32_t generation, RunState* state)
      : plan_(plan),
        chain_(chain),
        state_(state),
        seed_(generation == 0
                  ? ChainSeed(plan.seed, plan.shard_index, chain)
                  : Mix64(ChainSeed(plan.seed, plan.shard_index, chain) ^ Mix64(generation))),
        dir_(generation == 0 ? fmt::format("{}/chain-{}", plan.data_dir, chain)
                             : fmt::format("{}/chain-{}.{}", plan.data_dir, chain, generation)),
        ops_(seed_, plan.workload),
        oracle_(plan.workload.key_count) {
    FaultMix::Parse(plan.fault, &mix_);  // validated by the command line
  }

  // Runs cycles from the chain's local cycle index *next_local on; true if the chain ended in
  // a FAIL. *next_local is left at the first cycle index not run. Each cycle is the steps
  // below: prepare, start the writer, await its verdict on the previous fault, record it,
  // keep evidence or advance, inject this cycle's fault.
  bool Run(uint64_t* next_local) {
    Status s = Setup();
    if (!s.ok()) return state_->HarnessError(s.message()), false;
    std::optional<Pending> pending;
    for (uint64_t& local = *next_local;; ++local) {
      Cycle c;
      c.local = local;
      c.number = chain_ + 1 + local * plan_.chains;
      if (state_->interrupted()) return false;
      c.more = state_->MayStart(c.number);
      if (!c.more && !state_->harness_error().empty()) return false;
      Step step = Prepare(pending, &c);
      if (step == Step::kNext) step = StartWriter(&c);
      if (step == Step::kNext) step = AwaitJudgement(pending, &c);
      if (step == Step::kNext) step = RecordJudgement(pending, &c);
      if (step == Step::kNext) step = KeepEvidenceOrAdvance(pending, &c);
      if (step == Step::kNext) step = InjectAndRecordFault(&pending, &c);
      if (step == Step::kStop) return false;
      if (step == Step::kFailed) return true;
    }
  }

 private:
  // How a step of a cycle ends: go on to the next step, or end the chain (stopped: budget,
  // interrupt, harness failure; failed: a FAIL verdict, the store kept as recovered).
  enum class Step { kNext, kStop, kFailed };

  // One cycle of the loop: what the steps share.
  struct Cycle {
    uint64_t local = 0;   // the chain's own index of this cycle
    uint64_t number = 0;  // the run's cycle number
    bool more = false;    // false: only judge the previous fault, then close the chain
    uint64_t lo = 0, hi = 0;
    Fault fault = Fault::kKill;
    IoErrorCycle io_error;  // --fault io-error: the injected error; fault is its ending
    std::string ledger;
    std::vector<uint64_t> checkpoints;  // the previous fault's acked checkpoints, to judge
    std::vector<uint64_t> required;     // and the ops above lo its contract holds durable
    std::string in_flight;              // and the file of its real-time order (threads only)
    std::unique_ptr<ChildProcess> child;
    Verdict verdict;
  };

  Step Stop(const std::string& harness_error) {
    HarnessFailure(harness_error);
    return Step::kStop;
  }

  // A failure of the harness itself, never a verdict on the store: the run ends incomplete
  // (exit 2), and the chain as it stands (store, manifest, oracle, ledgers, the store before
  // the cycle, the writers' stderr) goes to REPORT_DIR/failures/harness-chain-<k>/ so the
  // failure can be debugged from the report folder alone.
  void HarnessFailure(const std::string& what) {
    const std::string to = fmt::format("{}/failures/harness-chain-{}", plan_.report_dir, chain_);
    std::error_code ec;
    std::filesystem::remove_all(to, ec);
    Status kept = CopyStore(dir_, to + "/chain");
    state_->HarnessError(kept.ok() ? what + " (evidence in " + to + ")"
                                   : what + " (evidence not kept: " + kept.message() + ")");
  }

  // The window the writer's open is judged against, this cycle's fault, and the store as it
  // stands before the cycle.
  Step Prepare(const std::optional<Pending>& pending, Cycle* c) {
    c->lo = pending ? pending->lo : oracle_.index();
    c->hi = pending ? pending->hi : oracle_.index();
    // The fault is chosen before the writer starts: a power cut needs its ledger from the
    // open on.
    const CycleKind kind = mix_.Pick(seed_, c->local);
    c->fault = EndingOf(kind);
    if (kind == CycleKind::kIoError) {
      c->io_error = PlanIoErrorCycle(plan_.io_error, seed_, c->local);
      c->fault = c->io_error.ending;
    }
    // Every writing cycle keeps a ledger, so a timed kill records the event it reached and a
    // replay can crash there; only a power cut is cut from it.
    c->ledger = c->more ? fmt::format("{}/ledger-{}", dir_, c->number) : "";
    c->checkpoints = pending ? pending->checkpoints : std::vector<uint64_t>{};
    c->required = pending ? pending->required : std::vector<uint64_t>{};
    if (pending && plan_.workload.threads > 1) {
      c->in_flight = dir_ + "/in-flight.txt";
      Status saved = pending->in_flight.Save(c->in_flight);
      if (!saved.ok()) return Stop(saved.message());
    }
    if (!c->more) return Step::kNext;
    Status s = SnapshotChain(dir_, fmt::format("{}/before-{}", dir_, c->number));
    return s.ok() ? Step::kNext : Stop(s.message());
  }

  Step StartWriter(Cycle* c) {
    Status s = Spawn(*c, c->fault == Fault::kPowerCut ? CrashAt(c->local) : "",
                     StderrPath(c->more ? c->number : 0), &c->child);
    return s.ok() ? Step::kNext : Stop(s.message());
  }

  // The writer's open and verification: the verdict on the previous cycle's fault.
  Step AwaitJudgement(const std::optional<Pending>& pending, Cycle* c) {
    double recovery_ms = 0;
    std::map<std::string, double> metrics;
    Status s;
    c->verdict = AwaitVerdict(c->child.get(), c->lo, c->hi, plan_.recovery_timeout_ms, &recovery_ms,
                              &metrics, &s);
    if (!s.ok()) return Stop(dir_ + ": " + s.message());
    if (state_->interrupted()) return Step::kStop;
    if (pending) {
      if (!pending->failure.empty()) {
        // The judge passed the store but the cycle failed while writing: stop the judge before
        // it writes on, so the evidence is the store as it recovered.
        c->child->KillAndReap();
        c->verdict = Verdict::Failure(pending->failure_class, pending->failure, c->lo, c->hi);
      }
      Record(*pending, c->verdict, recovery_ms, std::move(metrics));
    } else if (!c->verdict.pass) {
      return Stop(
          fmt::format("{}: a fresh chain failed its first open: {}", dir_, c->verdict.detail));
    }
    return Step::kNext;
  }

  Step RecordJudgement(const std::optional<Pending>& pending, Cycle* c) {
    Status s = ChainManifest::Append(manifest_, {{"type", "verdict"},
                                                 {"cycle", pending ? pending->cycle : 0},
                                                 {"verdict", c->verdict.ToJson()}});
    if (!s.ok()) return Stop(s.message());
    test_death_.MaybeDie("verdict", c->child.get());
    return Step::kNext;
  }

  // A FAIL keeps the evidence and ends the chain; a PASS drops what a replay of the judged
  // cycle would have needed and moves the oracle to the recovered point.
  Step KeepEvidenceOrAdvance(const std::optional<Pending>& pending, Cycle* c) {
    if (!c->verdict.pass) {  // the writer has exited; the store stays as recovered
      if (pending && evidence_kept_) KeepEvidence(*pending, c->verdict, c->number, c->local);
      return Step::kFailed;
    }
    if (pending) {
      std::error_code ec;
      std::filesystem::remove_all(pending->ledger_dir, ec);
      std::filesystem::remove_all(fmt::format("{}/before-{}", dir_, pending->cycle), ec);
      std::filesystem::remove(StderrPath(pending->cycle), ec);
    }
    const uint64_t r = c->verdict.ResumePoint();
    CarryOnDisk(pending, r);
    // Ops ahead of the recovered prefix: the writer caught up to r and flushed (writer.cc
    // CatchUp), so all of it is on disk.
    if (!c->verdict.ahead.empty() && c->more) on_disk_ = r;
    // The oracle may not pass the lowest point a later judge can be asked about: with power
    // cuts in the plan, that is the carried on-disk mark.
    oracle_.AdvanceTo(PowerCutsPossible() ? std::min(r, on_disk_) : r, ops_);
    Status s = oracle_.Save(dir_ + "/oracle.bin");
    if (!s.ok()) return Stop(s.message());
    test_death_.MaybeDie("oracle", c->child.get());
    if (c->more) return Step::kNext;
    c->child->Wait(kCleanCloseTimeoutMs, nullptr);
    ChainManifest::Append(manifest_, {{"type", "closed"}, {"recovered", c->verdict.recovered}});
    return Step::kStop;
  }

  // This cycle's fault, and its line in the chain manifest.
  Step InjectAndRecordFault(std::optional<Pending>* pending, Cycle* c) {
    *pending = InjectFault(c->child.get(), c->number, c->local, c->fault, c->ledger,
                           c->verdict.ResumePoint(), c->io_error);
    Pending& p = **pending;
    p.verify_lo = c->lo;
    p.verify_hi = c->hi;
    p.verify_checkpoints = c->checkpoints;
    p.verify_required = c->required;
    // A harness failure while writing (the writer's ledger could not grow) leaves nothing to
    // judge: the cycle is not recorded and the run ends with exit 2.
    if (state_->interrupted() || !state_->harness_error().empty()) return Step::kStop;
    Status s = ChainManifest::Append(manifest_, {{"type", "cycle"},
                                                 {"cycle", p.cycle},
                                                 {"fault", FaultName(p.fault)},
                                                 {"contract", p.contract.Describe(p.judged_as)},
                                                 {"resume", p.resume},
                                                 {"acked", p.acked},
                                                 {"hi", p.hi},
                                                 {"lo", p.lo},
                                                 {"detail", p.detail},
                                                 {"fs_events", p.fs_events},
                                                 {"crash_at", p.crash_at},
                                                 {"io_error", p.io_error.plan},
                                                 {"checkpoints", p.checkpoints},
                                                 {"required", p.required},
                                                 {"store", plan_.StoreAt(c->local).ToJson()}});
    if (!s.ok()) return Stop(s.message());
    test_death_.MaybeDie("cycle", nullptr);
    ExploreTrace(c->local, &p);  // before the cut: the cut rewrites the files the trace reads
    if (!state_->harness_error().empty()) return Step::kStop;
    ApplyCut(c->local, &p);
    CarryDurability(p);
    test_death_.MaybeDie("cut", nullptr);
    return Step::kNext;
  }

  Status Setup() {
    std::error_code ec;
    std::filesystem::create_directories(dir_ + "/db", ec);
    if (ec) return Status::IoError("cannot create " + dir_ + ": " + ec.message());
    manifest_ = dir_ + "/manifest.jsonl";
    ChainHeader h;
    h.chain = chain_;
    h.seed = seed_;
    h.workload = plan_.workload.ToJson();
    h.store = plan_.store;
    h.max_ops_per_cycle = plan_.max_ops_per_cycle;
    Status s = ChainManifest::Create(manifest_, h);
    if (!s.ok()) return s;
    return oracle_.Save(dir_ + "/oracle.bin");
  }

  // The on-disk mark after a passed cycle that recovered to r. A power cut made the disk's
  // state real, so what the open read back from it is on disk; after a kill, stall or clean
  // close only what the cycle's ops synced (or flushed) is, and never more than r.
  void CarryOnDisk(const std::optional<Pending>& pending, uint64_t r) {
    if (!pending) {
      on_disk_ = r;  // a fresh chain's empty store
    } else if (pending->fault == Fault::kPowerCut) {
      on_disk_ = r;
    } else {
      on_disk_ = std::min(pending->on_disk_after, r);
    }
  }

  bool PowerCutsPossible() const { return mix_.CutsPower(); }

  // What earlier cycles' faults left not durable, for the next writer's ledger.
  std::string CarriedPath() const { return dir_ + "/durability.json"; }

  // With the writer dead, after any cut: what the disk durably holds now, saved for the next
  // writer's ledger (faults/carried_durability.h). A power cut made the disk state real, so
  // nothing is carried; a kill, stall or clean close synced nothing: the cycle's ledger says.
  void CarryDurability(const Pending& p) {
    if (!state_->harness_error().empty()) return;
    faults::CarriedDurability carried;
    Status s = p.fault == Fault::kPowerCut
                   ? Status::Ok()
                   : faults::CarriedAfterLedger(p.ledger_dir, dir_ + "/db", dir_, &carried);
    if (s.ok()) s = faults::SaveCarriedDurability(CarriedPath(), carried);
    if (!s.ok()) HarnessFailure(dir_ + ": carried durability: " + s.message());
  }

  std::string StderrPath(uint64_t cycle) const {
    return fmt::format("{}/writer-{}.stderr", dir_, cycle);
  }

  std::string ReplayLine(uint64_t cycle) const {
    return fmt::format("powercut replay {}/report.json --cycle {}", plan_.report_dir, cycle);
  }

  // The failing cycle's evidence, into REPORT_DIR/failures/<cycle>/, with what a replay needs.
  void KeepEvidence(const Pending& p, const Verdict& v, uint64_t verifier_cycle,
                    uint64_t verifier_local) {
    EvidenceInput in;
    in.chain_dir = dir_;
    in.before_dir = fmt::format("{}/before-{}", dir_, p.cycle);
    in.ledger_dir = p.ledger_dir;
    in.writer_stderr = StderrPath(p.cycle);
    in.verifier_stderr = StderrPath(verifier_cycle);
    in.verdict = v;
    in.replay = {{"schema", 1},
                 {"cycle", p.cycle},
                 {"chain", chain_},
                 {"fault", FaultName(p.fault)},
                 {"judged_as", FaultName(p.judged_as)},
                 {"expect_acked", plan_.expect_acked},
                 {"store", plan_.StoreAt(p.local).ToJson()},
                 {"judge_store", plan_.StoreAt(verifier_local).ToJson()},
                 {"verify_lo", p.verify_lo},
                 {"verify_hi", p.verify_hi},
                 {"verify_checkpoints", p.verify_checkpoints},
                 {"verify_required", p.verify_required},
                 {"resume", p.resume},
                 {"acked", p.acked},
                 {"hi", p.hi},
                 {"lo", p.lo},
                 {"required", p.required},
                 {"crash_at", p.crash_at},
                 {"io_error", p.io_error.plan},
                 {"io_error_retries", p.io_error.retries},
                 {"refused", p.refused},
                 {"fs_events", p.fs_events},
                 {"fault_after_ms", p.fault_after_ms},
                 {"cut", plan_.cut},
                 {"cut_seed", p.cut_seed},
                 {"on_disk_start", p.on_disk_start},
                 {"recovery_timeout_ms", plan_.recovery_timeout_ms},
                 // TESTS ONLY: the writer's planted faults, so a replay plants them again.
                 {"test_lie_ack", plan_.test_lie_ack},
                 {"test_ack_failed", plan_.test_ack_failed},
                 {"test_lose_when_wals", plan_.test_lose_when_wals},
                 {"verdict", v.ToJson()},
                 {"reproduce", ReplayLine(p.cycle)},
                 {"run", plan_.ReproduceLine()}};
    Status s = harness::KeepEvidence(in, fmt::format("{}/failures/{}", plan_.report_dir, p.cycle));
    if (!s.ok()) state_->HarnessError(dir_ + ": keeping the evidence: " + s.message());
  }

  // "kind:n" for this cycle's seeded crash point, or empty.
  std::string CrashAt(uint64_t local) const {
    if (plan_.crash_at.empty()) return "";
    faults::EventKind kind = faults::EventKind::kNone;
    faults::ParseEventKind(plan_.crash_at, &kind);
    Rng rng(seed_, "crash-at", local);
    return fmt::format("{}:{}", plan_.crash_at, rng.Between(1, MaxNth(kind)));
  }

  // The writer of cycle c: it judges the previous fault (c's window), then writes unless it
  // is the chain's last.
  Status Spawn(const Cycle& c, const std::string& crash_at, const std::string& stderr_path,
               std::unique_ptr<ChildProcess>* child) {
    WriterArgs w;
    w.chain_dir = dir_;
    w.lo = c.lo;
    w.hi = c.hi;
    w.verify_only = !c.more;
    w.checkpoints = c.checkpoints;
    w.required = c.required;
    w.in_flight = c.in_flight;
    w.ledger_dir = c.ledger;
    w.crash_at = crash_at;
    std::error_code exists_ec;
    if (!c.ledger.empty() && std::filesystem::exists(CarriedPath(), exists_ec)) {
      w.carried_durability = CarriedPath();
    }
    w.lie_ack = plan_.test_lie_ack;
    w.ack_failed = plan_.test_ack_failed;
    if (c.more) {
      w.io_error = c.io_error.plan;
      w.io_error_retries = c.io_error.retries;
    }
    w.lose_when_wals = plan_.test_lose_when_wals;
    w.store_json = plan_.StoreAt(c.local).ToJson().dump();
    std::error_code ec;
    if (!c.ledger.empty()) std::filesystem::remove_all(c.ledger, ec);
    // Checkpoints already judged, or never acked, go now, while no writer runs: a chain keeps
    // only those the next open must check.
    std::vector<std::filesystem::path> stale;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/checkpoints", ec)) {
      bool keep = false;
      for (uint64_t op : c.checkpoints) keep |= e.path() == CheckpointDir(dir_, op);
      if (!keep) stale.push_back(e.path());
    }
    for (const auto& p : stale) std::filesystem::remove_all(p, ec);
    if (plan_.test_break_checkpoint) {
      // TESTS ONLY: an acked checkpoint that no longer opens must fail the cycle.
      // A checkpoint loses its CURRENT, a backup its metadata.
      for (uint64_t op : c.checkpoints) {
        std::filesystem::remove(CheckpointDir(dir_, op) + "/CURRENT", ec);
        std::filesystem::remove_all(CheckpointDir(dir_, op) + "/meta", ec);
      }
    }
    return ChildProcess::Spawn(plan_.writer_path, WriterArgv(w), stderr_path, child);
  }

  // A signal of a fault's schedule, at_ms after writing starts.
  struct SignalStep {
    int64_t at_ms;
    int sig;
  };

  // The seeded schedule of signals for p's fault, and p->detail saying what it does.
  std::vector<SignalStep> FaultSchedule(uint64_t local, Pending* p) const {
    Rng rng(seed_, "fault-time", local);
    const int64_t t = static_cast<int64_t>(rng.Between(plan_.write_min_ms, plan_.write_max_ms));
    p->fault_after_ms = t;
    switch (p->fault) {
      case Fault::kKill:
        p->detail = fmt::format("SIGKILL after {} ms", t);
        return {{t, SIGKILL}};
      case Fault::kStall: {
        const int64_t hold = static_cast<int64_t>(rng.Between(1, 50));
        if (rng.Uniform(2) == 0) {
          p->detail =
              fmt::format("SIGSTOP after {} ms, SIGKILL while stopped {} ms later", t, hold);
          return {{t, SIGSTOP}, {t + hold, SIGKILL}};
        }
        const int64_t after = static_cast<int64_t>(rng.Between(1, 20));
        p->detail = fmt::format(
            "SIGSTOP after {} ms, SIGCONT {} ms later, SIGKILL {} ms after that", t, hold, after);
        return {{t, SIGSTOP}, {t + hold, SIGCONT}, {t + hold + after, SIGKILL}};
      }
      case Fault::kPowerCut:
        p->detail = p->crash_at.empty()
                        ? fmt::format("power cut ({}) after {} ms", plan_.cut, t)
                        : fmt::format("power cut ({}) at crash point {} or after {} ms", plan_.cut,
                                      p->crash_at, t);
        return {{t, SIGKILL}};
      case Fault::kClean:
        p->detail = fmt::format("SIGTERM (clean close) after {} ms", t);
        return {{t, SIGTERM}};
    }
    return {};
  }

  // Reads the writer's progress while the schedule's signals fire on time, then drains every
  // line the kernel still holds. False if the run was interrupted (the writer is reaped).
  // *lingered: the writer was still alive when the drain gave up on it. `await_injection`:
  // an io-error cycle whose error has not fired at the first signal's time holds it until
  // the writer says it fired, at most kMaxIoErrorWaitMs longer (a cycle that ends before its
  // error tests nothing of it), and then runs its seeded window once more, so the store's
  // and the writer's answer to the error is exercised too, not only the failed call; later
  // signals keep their distance to the first. *held_ms: how much later than scheduled the
  // first signal fired.
  bool DriveSchedule(ChildProcess* child, const std::vector<SignalStep>& steps, Fault fault,
                     bool await_injection, WriterProgress* progress, bool* lingered,
                     int64_t* held_ms) {
    const int64_t start = NowMs();
    *held_ms = 0;
    std::string line;
    for (size_t k = 0; k < steps.size(); ++k) {
      const SignalStep& step = steps[k];
      const bool hold = k == 0 && await_injection;
      const int64_t scheduled = start + step.at_ms + *held_ms;
      int64_t due = scheduled;
      bool injected = progress->injected;
      while (!progress->done && progress->error.empty() && !state_->interrupted()) {
        const bool waiting = hold && !injected;
        const int64_t left = (waiting ? due + kMaxIoErrorWaitMs : due) - NowMs();
        if (left <= 0) break;
        if (child->ReadLine(&line, left) != ChildProcess::Read::kLine) break;
        progress->Absorb(line);
        if (!injected && progress->injected) {
          injected = true;
          const int64_t now = NowMs();
          if (hold && now >= due) due = now + step.at_ms;  // late: the window runs on after it
        }
      }
      if (hold) *held_ms = std::max<int64_t>(0, NowMs() - scheduled);
      if (state_->interrupted()) {
        child->KillAndReap();
        return false;
      }
      child->Signal(step.sig);
    }
    const int64_t drain_ms =
        fault == Fault::kKill || fault == Fault::kStall ? kDrainTimeoutMs : plan_.close_timeout_ms;
    ChildProcess::Read read;
    while ((read = child->ReadLine(&line, drain_ms)) == ChildProcess::Read::kLine) {
      progress->Absorb(line);
    }
    *lingered = read == ChildProcess::Read::kTimeout;
    child->KillAndReap();
    return true;
  }

  // Lets the writer run, fires the seeded fault, and reads every ack the kernel still holds.
  Pending InjectFault(ChildProcess* child, uint64_t cycle, uint64_t local, Fault fault,
                      const std::string& ledger, uint64_t r, const IoErrorCycle& io_error) {
    Pending p;
    p.cycle = cycle;
    p.io_error = io_error;
    p.fault = fault;
    p.ledger_dir = ledger;
    p.crash_at = fault == Fault::kPowerCut ? CrashAt(local) : "";
    p.local = local;
    p.contract = ContractFor(p.fault, plan_.StoreAt(local), plan_.expect_acked);
    p.resume = r + 1;
    p.started_ms = NowMs();
    const std::vector<SignalStep> steps = FaultSchedule(local, &p);
    WriterProgress progress(r, plan_.workload.threads);
    bool lingered = false;
    int64_t held_ms = 0;
    if (!DriveSchedule(child, steps, p.fault, !io_error.plan.empty(), &progress, &lingered,
                       &held_ms)) {
      p.acked = p.hi = r;  // never recorded: the run ends here
      return p;
    }
    if (held_ms > 0) p.detail += fmt::format(" (held {} ms for the I/O error)", held_ms);
    p.acked = progress.acked();
    p.hi = progress.hi;
    if (!progress.protocol_error.empty()) HarnessFailure(dir_ + ": " + progress.protocol_error);
    if (!progress.harness_error.empty()) HarnessFailure(dir_ + ": " + progress.harness_error);
    // A store refusing an op for a full disk broke no promise: the op was not acked, the writer
    // tried none after it, and the cycle is judged on what was acked. Other errors fail it.
    if (!progress.error.empty()) p.failure = "writing failed: " + progress.error;
    if (const int sig = WriterCrashSignal(*child); sig != 0) {
      p.failure = WriterCrashDetail(sig, StderrPath(cycle));
      p.failure_class = kWriterCrash;
    }
    // A writer that stopped writing (a full disk, an I/O error) still closes on SIGTERM; one
    // that does not return from DB::Close hangs the application.
    if (p.fault == Fault::kClean && !progress.closed && p.failure.empty() && lingered) {
      p.failure =
          fmt::format("DB::Close did not return within {} ms of SIGTERM", plan_.close_timeout_ms);
      p.failure_class = kCloseHang;
    } else if (p.fault == Fault::kClean && !progress.closed && p.failure.empty() &&
               progress.refused.empty()) {
      p.failure = "clean close did not complete";
    }
    // No clean shutdown happened (DB::Close returned an error, after a full disk or an I/O
    // error): the store keeps what a process kill keeps, and is held to that, no more.
    p.judged_as = p.fault;
    const bool close_failed = p.fault == Fault::kClean && !progress.closed && p.failure.empty();
    if (close_failed) {
      p.judged_as = Fault::kKill;
      p.contract = ContractFor(Fault::kKill, plan_.StoreAt(local), plan_.expect_acked);
    }
    DescribeCrash(&p);
    if (close_failed) p.detail += "; DB::Close failed: judged as a process kill";
    p.refused = !progress.refused.empty();
    p.planted = progress.planted;
    if (p.refused) {
      p.detail += fmt::format("; {}, writing stopped: {}",
                              p.io_error.plan.empty() ? "disk full" : "after the I/O error",
                              progress.refused);
    }
    p.on_disk_start = std::min(on_disk_, r);
    const Durability d = DurableAfter(p.contract, ops_, RecoveredReach(r, on_disk_), p.resume,
                                      progress.acked_ops, plan_.workload.threads);
    p.on_disk_after = d.reach.on_disk;
    p.lo = d.lo;
    p.required = d.required;
    p.in_flight = std::move(progress.in_flight);
    p.checkpoints = d.checkpoints;
    return p;
  }

  // The writer is dead: what its ledger says it reached, into p's detail. Reads only.
  void DescribeCrash(Pending* p) {
    faults::LedgerSummary summary;
    const bool cut = p->fault == Fault::kPowerCut;
    Status s =
        cut && plan_.test_drop_sync_record ? DropLastSyncRecord(p->ledger_dir) : Status::Ok();
    if (s.ok()) s = faults::SummarizeLedger(p->ledger_dir, &summary);
    if (!s.ok()) return HarnessFailure(dir_ + ": power cut: " + s.message());
    p->fs_events = summary.events;
    p->io_errors = summary.io_errors;
    if (!p->crash_at.empty()) {
      // Whether the writer reached its crash point, or the timed kill came first. The summary
      // counts the writing's events as the writer's crash point does (kAnyEvent included), and
      // the writer dies right after the nth: at least n means it fired (another thread may
      // have recorded one more before the SIGKILL landed).
      const size_t colon = p->crash_at.find(':');
      faults::EventKind kind = faults::EventKind::kNone;
      faults::ParseEventKind(p->crash_at.substr(0, colon), &kind);
      const bool reached = summary.count(kind) >= std::stoull(p->crash_at.substr(colon + 1));
      p->detail += reached ? " (crash point reached)" : " (crash point not reached: timed kill)";
    }
    p->detail += fmt::format(" at fs event {} ({})", summary.events,
                             summary.has_last ? faults::DescribeRecord(summary.last) : "none");
    if (!p->io_error.plan.empty()) {
      p->detail = fmt::format("I/O error {} {}; {}", p->io_error.plan,
                              summary.io_errors == 0
                                  ? std::string("not reached")
                                  : fmt::format("injected {} time(s), first {}", summary.io_errors,
                                                faults::DescribeRecord(summary.first_io_error)),
                              p->detail);
    }
  }

  // Judges crash states of the dead writer's trace besides the one the chain goes on from
  // (harness/run/explorer.h). A cycle whose writing failed has no trace worth exploring.
  void ExploreTrace(uint64_t local, Pending* p) {
    const bool rot = mix_.Pick(seed_, local) == CycleKind::kBitrot;
    const bool reads = plan_.read_error_one_in > 0;
    if ((plan_.explore == 0 && !rot && !reads) || p->ledger_dir.empty() || !p->failure.empty()) {
      return;
    }
    ExploreRequest req;
    req.chain_dir = dir_;
    req.ledger_dir = p->ledger_dir;
    req.scratch_dir = dir_ + "/explore";
    req.keep_dir = fmt::format("{}/explored-{}", dir_, p->cycle);
    req.recovered = p->resume - 1;
    req.on_disk = p->on_disk_start;
    req.store = plan_.StoreAt(local);
    req.judge_store_json = plan_.StoreAt(local + 1).ToJson().dump();
    req.expect_acked = plan_.expect_acked;
    req.option_changed =
        local > 0 && plan_.StoreAt(local).ToJson() != plan_.StoreAt(local - 1).ToJson();
    req.ops = &ops_;
    req.threads = plan_.workload.threads;
    req.limits.max_states = plan_.explore == RunPlan::kExploreAll ? 0 : plan_.explore;
    req.limits.power_cut = PowerCutsPossible();
    // The variants model the disk the plan's --cut names: drop explores events only.
    faults::ParseCutMode(plan_.cut, &req.limits.fates);
    req.limits.seed = Rng(seed_, "explore", local).Next();
    req.writer_path = plan_.writer_path;
    req.judges = plan_.judges != 0 ? plan_.judges
                                   : std::max<uint32_t>(1, std::thread::hardware_concurrency());
    req.timeout_ms = plan_.recovery_timeout_ms;
    req.stop = [this] { return state_->interrupted(); };
    req.test_tamper = plan_.test_tamper_images;
    ExploreResult result;
    Status s = plan_.explore > 0 ? Explore(req, &result) : Status::Ok();
    if (s.ok() && rot) s = AddDamagedCopy(req, local, *p, /*rot=*/true, &result);
    if (s.ok() && reads) s = AddDamagedCopy(req, local, *p, /*rot=*/false, &result);
    if (!s.ok())
      return HarnessFailure(fmt::format("{}: exploring cycle {}: {}", dir_, p->cycle, s.message()));
    p->explored = ExplorationReport(result, req.keep_dir, *p);
  }

  // --fault bitrot, --read-error-one-in: one more state of the dead writer's store, a copy
  // with bits flipped at rest (`flip`) or judged through failing reads
  // (harness/run/bitrot_state.h), counted as the explored states are.
  Status AddDamagedCopy(const ExploreRequest& explore, uint64_t local, const Pending& p, bool flip,
                        ExploreResult* result) {
    BitrotRequest req;
    req.rot = flip;
    req.read_error_one_in = flip ? 0 : plan_.read_error_one_in;
    req.chain_dir = dir_;
    req.ledger_dir = p.ledger_dir;
    req.work_dir = dir_ + "/bitrot";
    req.keep_dir = explore.keep_dir;
    req.keep_index = result->failures.size() + (flip ? 1000 : 2000);  // apart from state-K
    Rng rng(seed_, flip ? "bitrot" : "read-faults", local);
    req.target = static_cast<faults::RotTarget>(rng.Uniform(faults::kRotTargetCount));
    if (!plan_.bitrot_at.empty()) faults::ParseRotTarget(plan_.bitrot_at, &req.target);
    req.seed = rng.Next();
    req.lo = p.lo;
    req.hi = p.hi;
    req.oldest = oracle_.index();
    req.judge_store_json = explore.judge_store_json;
    req.writer_path = plan_.writer_path;
    req.timeout_ms = plan_.recovery_timeout_ms;
    BitrotResult rot;
    Status s = JudgeBitrot(req, &rot);
    if (!s.ok() || !rot.rot.applied) return s;
    result->plan.points++;  // its own crash point: the killed writer's store, damaged
    result->plan.candidates++;
    result->plan.distinct++;
    result->judged++;
    const std::string outcome = rot.detected ? "detected" : rot.verdict.pass ? "valid" : "failed";
    const std::string what =
        req.rot ? fmt::format("bitrot={}", faults::RotTargetName(req.target)) : "read-faults";
    result->coverage[fmt::format("{} outcome={}", what, outcome)]++;
    if (rot.verdict.pass) {
      result->passed++;
      return Status::Ok();
    }
    for (const auto& [klass, n] : rot.verdict.classes) result->classes[klass]++;
    ExploredFailure f;
    f.state = rot.state;
    f.window.lo = rot.verdict.lo;
    f.window.hi = rot.verdict.hi;
    f.verdict = rot.verdict;
    f.kept_dir = rot.kept_dir;
    f.narrative = req.rot ? fmt::format(
                                "bit rot at rest after the kill: bits 0x{:02x} of byte {} flipped "
                                "in {}; {}",
                                rot.rot.mask, rot.rot.offset, rot.rot.region, rot.verdict.detail)
                          : fmt::format(
                                "judged with one read in {} failing or returning a flipped bit "
                                "(seed {}); {}",
                                req.read_error_one_in, req.seed, rot.verdict.detail);
    f.features = what;
    result->failures.push_back(std::move(f));
    return Status::Ok();
  }

  // The explorer's result as the report holds it; failing states' images move to the report
  // folder (REPORT_DIR/failures/<cycle>/states/) while --max-failures allows.
  reports::Exploration ExplorationReport(const ExploreResult& r, const std::string& kept,
                                         const Pending& p) {
    const uint64_t cycle = p.cycle;
    reports::Exploration e;
    e.points = r.plan.points;
    e.candidates = r.plan.candidates;
    e.distinct = r.plan.distinct;
    e.judged = r.judged;
    e.settled = r.settled;
    e.failed = r.failures.size();
    e.classes = r.classes;
    e.coverage = r.coverage;
    e.build_ms = r.build_ms;
    e.open_ms = r.open_ms;
    e.judge_ms = r.judge_ms;
    e.wall_ms = r.wall_ms;
    const std::string states = fmt::format("{}/failures/{}/states", plan_.report_dir, cycle);
    const bool keep = !r.failures.empty() && state_->ClaimEvidenceSlot();
    std::error_code ec;
    if (keep) {
      std::filesystem::create_directories(states, ec);
      std::vector<std::filesystem::path> images;  // listed first: renaming while listing skips
      for (const auto& entry : std::filesystem::directory_iterator(kept, ec)) {
        images.push_back(entry.path());
      }
      for (const std::filesystem::path& image : images) {
        const std::string to = states + "/" + image.filename().string();
        std::filesystem::rename(image, to, ec);
        if (ec) CopyStore(image.string(), to);  // the report folder is on another file system
      }
    }
    std::filesystem::remove_all(kept, ec);
    for (const ExploredFailure& f : r.failures) {
      if (e.failures.size() == reports::kMaxStateFailuresPerCycle) break;
      reports::StateFailure sf;
      sf.state = f.state;
      for (const auto& [klass, n] : f.verdict.classes) sf.classes.push_back(klass);
      sf.lo = f.window.lo;
      sf.hi = f.window.hi;
      sf.recovered = f.verdict.recovered;
      sf.detail = f.verdict.detail;
      sf.narrative = f.narrative;
      sf.features = f.features;
      sf.reproduce =
          keep && !f.kept_dir.empty()
              ? fmt::format("{} --state {}", ReplayLine(cycle), f.state)
              : plan_.ReproduceLine() +
                    (keep ? "   # image not kept: a cycle keeps its first 3 failing states'"
                          : "   # image not kept: --max-failures reached");
      for (const Finding& k : f.verdict.findings) {
        if (sf.findings.size() == reports::kMaxFindingsPerState) break;
        sf.findings.push_back({k.key, k.klass, k.expected, k.found});
      }
      e.failures.push_back(std::move(sf));
    }
    if (keep) WriteStatesSummary(e, cycle, states + "/summary.txt");
    if (keep) KeepRerunEvidence(p, states);
    return e;
  }

  // What `powercut replay --state S --rerun K` needs to run the cycle's writer again from
  // scratch: the chain before the cycle and how its writer was started (states/rerun.json).
  void KeepRerunEvidence(const Pending& p, const std::string& states) {
    Status s = SnapshotChain(fmt::format("{}/before-{}", dir_, p.cycle), states + "/before");
    std::error_code ec;
    if (s.ok()) std::filesystem::copy_file(manifest_, states + "/manifest.jsonl", ec);
    if (s.ok() && ec) s = Status::IoError("cannot copy " + manifest_ + ": " + ec.message());
    const nlohmann::json doc = {{"schema", 1},
                                {"cycle", p.cycle},
                                {"fault", FaultName(p.fault)},
                                {"expect_acked", plan_.expect_acked},
                                {"store", plan_.StoreAt(p.local).ToJson()},
                                {"verify_lo", p.verify_lo},
                                {"verify_hi", p.verify_hi},
                                {"verify_checkpoints", p.verify_checkpoints},
                                {"on_disk_start", p.on_disk_start},
                                {"io_error", p.io_error.plan},
                                {"io_error_retries", p.io_error.retries},
                                {"recovery_timeout_ms", plan_.recovery_timeout_ms}};
    if (s.ok()) s = WriteFileAtomically(states + "/rerun.json", doc.dump(2) + "\n");
    if (!s.ok()) state_->HarnessError(dir_ + ": keeping the crash states: " + s.message());
  }

  // REPORT_DIR/failures/<cycle>/states/summary.txt: each failing state's narrative and the
  // line that judges its kept image again.
  void WriteStatesSummary(const reports::Exploration& e, uint64_t cycle, const std::string& path) {
    std::string text = fmt::format("cycle {} of {}: {} of {} crash states failed ({})\n", cycle,
                                   dir_, e.failed, e.states(), reports::CountsToString(e.classes));
    for (const reports::StateFailure& f : e.failures) {
      text += fmt::format("\n{}: {}\n  {}\n  {}\n", f.state, fmt::join(f.classes, ", "),
                          f.narrative.empty() ? f.detail : f.narrative, f.detail);
      for (const reports::KeyFinding& k : f.findings) {
        text +=
            fmt::format("  {} {}: expected {}, found {}\n", k.key, k.klass, k.expected, k.found);
      }
      text += "  replay: " + f.reproduce + "\n";
    }
    Status s = WriteFileAtomically(path, text);
    if (!s.ok()) state_->HarnessError(dir_ + ": keeping the crash states: " + s.message());
  }

  // Power cuts: rolls the dead writer's store back to what the disk would hold after losing
  // power. Runs after the cycle's manifest entry is written, so a controller that dies in the
  // middle leaves a chain `powercut verify` judges by the power cut's window.
  void ApplyCut(uint64_t local, Pending* p) {
    p->cut_seed = Rng(seed_, "cut", local).Next();
    if (p->fault != Fault::kPowerCut) return;
    faults::CutMode mode = faults::CutMode::kDrop;
    faults::ParseCutMode(plan_.cut, &mode);
    Status s = faults::ApplyPowerCut(p->ledger_dir, dir_ + "/db", mode, p->cut_seed, &p->cut);
    if (s.ok() && plan_.test_undo_cycle) s = UndoCycle(p->cycle);
    if (!s.ok()) return HarnessFailure(dir_ + ": power cut: " + s.message());
    p->detail += fmt::format("; cut dropped {} bytes in {} files, removed {} files, restored {}",
                             p->cut.bytes_dropped, p->cut.files_truncated, p->cut.files_removed,
                             p->cut.files_restored);
  }

  // TESTS ONLY: a store that loses what its flushes and syncs made durable (the store put back
  // as it was before the cycle) must lead to a FAIL whenever the cycle's contract promised an op.
  Status UndoCycle(uint64_t cycle) const {
    std::error_code ec;
    std::filesystem::remove_all(dir_ + "/db", ec);
    if (ec) return Status::IoError("cannot remove " + dir_ + "/db: " + ec.message());
    return CopyStore(fmt::format("{}/before-{}/db", dir_, cycle), dir_ + "/db");
  }

  // TESTS ONLY: a ledger that lies about a sync must lead to a FAIL, never a silent pass.
  static Status DropLastSyncRecord(const std::string& ledger_dir) {
    std::vector<faults::LedgerRecord> records;
    Status s = faults::ReadLedger(ledger_dir, &records);
    for (size_t i = records.size(); s.ok() && i-- > 0;) {
      if (records[i].kind == faults::RecordKind::kSync)
        return faults::RemoveLedgerRecord(ledger_dir, i);
    }
    return s;
  }

  void Record(const Pending& p, const Verdict& v, double recovery_ms,
              std::map<std::string, double> metrics) {
    reports::CycleResult c;
    c.chain = chain_;
    c.cycle = p.cycle;
    c.fault = FaultName(p.fault);
    c.io_error = p.io_error.plan;
    c.verdict = v.pass ? "PASS" : "FAIL";
    for (const auto& [klass, n] : v.classes) c.classes.push_back(klass);
    c.resume = p.resume;
    c.acked = p.acked;
    c.lo = p.lo;
    c.hi = p.hi;
    c.recovered = v.recovered;
    c.mismatches = v.mismatches;
    c.recovery_ms = recovery_ms;
    c.cycle_ms = static_cast<double>(NowMs() - p.started_ms);
    c.detail = p.detail + "; " + v.detail;
    for (const Finding& f : v.findings) c.findings.push_back({f.key, f.klass, f.expected, f.found});
    MergeExploration(p.explored, &c);
    if (!v.pass) {
      evidence_kept_ = state_->ClaimEvidenceSlot();
      c.reproduce = evidence_kept_
                        ? ReplayLine(p.cycle)
                        : plan_.ReproduceLine() + "   # evidence not kept: --max-failures reached";
    }
    if (p.explored.points > 0) metrics["crash_states"] = static_cast<double>(p.explored.states());
    metrics["recovery_ms"] = recovery_ms;
    metrics["ops_acked"] = static_cast<double>(p.acked >= p.resume ? p.acked - p.resume + 1 : 0);
    if (p.fault == Fault::kPowerCut) {
      metrics["fs_events"] = static_cast<double>(p.fs_events);
    }
    if (!p.io_error.plan.empty()) {
      metrics["io_errors_injected"] = static_cast<double>(p.io_errors);
      metrics["cut_bytes"] = static_cast<double>(p.cut.bytes_dropped);
    }
    // TESTS ONLY: the planted losses (--test-lose-when-wals) this cycle's writer made, so a
    // test can tell the rare state it plants in was reached, apart from RocksDB's own losses.
    if (p.planted > 0) metrics["test_planted_losses"] = static_cast<double>(p.planted);
    c.metrics = std::move(metrics);
    state_->Record(std::move(c));
  }

  // Failing crash states fail the cycle, even when the state the chain went on from passed:
  // their classes join the cycle's, and the first one's replay line is its reproduce line.
  static void MergeExploration(const reports::Exploration& e, reports::CycleResult* c) {
    c->explored = e;
    if (e.failures.empty()) return;
    const reports::StateFailure& first = e.failures.front();
    if (c->verdict == "PASS") {
      c->verdict = "FAIL";
      c->reproduce = first.reproduce;
    }
    for (const auto& [klass, n] : e.classes) {
      if (std::find(c->classes.begin(), c->classes.end(), klass) == c->classes.end())
        c->classes.push_back(klass);
    }
    c->detail += fmt::format("; {} of {} crash states failed, first {}: {}", e.failed, e.states(),
                             first.state, first.detail);
  }

  const RunPlan& plan_;
  FaultMix mix_;
  const uint32_t chain_;
  RunState* state_;
  const uint64_t seed_;
  const std::string dir_;
  std::string manifest_;
  const workloads::OpGenerator ops_;
  Oracle oracle_;
  bool evidence_kept_ = false;
  uint64_t on_disk_ = 0;  // the chain's carried on-disk mark, see CarryOnDisk
  TestDeath test_death_;
};

}  // namespace

uint64_t ChainSeed(uint64_t run_seed, uint32_t shard, uint32_t chain) {
  const uint64_t shard_seed =
      shard == 0 ? run_seed : Mix64(run_seed ^ Mix64(0x7368617264ULL + shard));
  return Mix64(shard_seed ^ Mix64(0x636861696eULL + chain));  // "shard", "chain"
}

void RunChain(const RunPlan& plan, uint32_t chain, RunState* state) {
  uint64_t local = 0;
  for (uint32_t generation = 0;; ++generation) {
    const bool failed = ChainRunner(plan, chain, generation, state).Run(&local);
    if (!failed || !plan.keep_going) return;
  }
}

}  // namespace powercut::harness
