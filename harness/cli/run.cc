#include "harness/cli/run.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "faults/bitrot.h"
#include "faults/ledger.h"
#include "faults/power_cut.h"
#include "harness/cli/subcommand.h"
#include "harness/protocol/writer_args.h"
#include "harness/run/controller.h"
#include "harness/run/fault_mix.h"
#include "src/contract.h"
#include "workloads/spec.h"

namespace powercut::harness {
namespace {

// The default run: about a minute of mixed faults on 2 cores.
// With the default --explore 16, each writer run's trace is judged in about 27 crash states
// (16 images opened, the rest settled as duplicates): some 4,000 states in all.
constexpr uint64_t kDefaultCycles = 150;

// What `powercut run` was typed with, before validation turns it into a plan.
struct RunFlags {
  RunPlan plan;
  std::string seed = "1", profile = "default", expect = "contract", duration, shard;
  std::vector<std::string> options, option_changes;
  uint64_t cycles = 0;
  uint32_t keys = 0, value_min = 0, value_max = 0, column_families = 0;
  std::optional<uint32_t> threads;                // absent: the profile's
  std::string txn;                                // empty: the profile's
  std::optional<double> value_compression_ratio;  // absent: the profile's
  std::string explore = std::to_string(RunPlan::kDefaultExplore);
};

// The budget and the workload: what is run, and for how long.
void AddWorkloadFlags(CLI::App* run, RunFlags* f) {
  RunPlan& plan = f->plan;
  run->add_option("--seed", f->seed, "run seed: every op, option and fault derives from it")
      ->capture_default_str();
  run->add_option("--cycles", f->cycles,
                  fmt::format("faults to inject across all chains (default {})", kDefaultCycles));
  run->add_option("--duration", f->duration, "time budget instead of --cycles, e.g. 90s, 30m, 2h");
  run->add_option("--chains", plan.chains, "chains run side by side")->capture_default_str();
  run->add_option("--profile", f->profile,
                  "workload profile: default, puts, ranges, batches, backup, cf, txn, threads")
      ->capture_default_str();
  run->add_option("--column-families", f->column_families,
                  "column families the keys are spread over, 1 to 16 (default: the profile's; "
                  "cf has 4)");
  run->add_option("--threads", f->threads,
                  "writer threads in one writer process, 1 to 16, each on its own and on shared "
                  "keys (default: the profile's; threads has 4)");
  run->add_option("--txn", f->txn,
                  "open a TransactionDB (pessimistic) or an OptimisticTransactionDB (optimistic); "
                  "none: a DB (default: the profile's; txn is pessimistic)");
  run->add_option("--keys", f->keys, "key space size (default: the profile's, 10000)");
  run->add_option("--value-min-bytes", f->value_min, "smallest value (default: the profile's, 32)");
  run->add_option("--value-max-bytes", f->value_max, "largest value (default: the profile's, 256)");
  run->add_option("--value-compression-ratio", f->value_compression_ratio,
                  "values compress to about this fraction, 0 to 1, as db_bench's "
                  "--compression_ratio (default 0.5)");
}

// The faults: which kinds, and where they land.
void AddFaultFlags(CLI::App* run, RunPlan* p) {
  RunPlan& plan = *p;
  run->add_option("--fault", plan.fault,
                  "kill, stall, power-cut, clean, io-error, bitrot, a comma list of them, or mix "
                  "(power-cut, kill, stall, io-error)")
      ->capture_default_str();
  run->add_option("--cut", plan.cut, "power cut mode: drop, torn or reorder")
      ->capture_default_str();
  run->add_option("--crash-at", plan.crash_at,
                  "power cuts crash at the seeded n-th event of this kind: wal-append, wal-sync, "
                  "sst-create, manifest-write, current-rename, dir-fsync");
  run->add_option("--io-error-at", plan.io_error.at,
                  "io-error cycles fail the seeded n-th call of this kind: wal-append, wal-sync, "
                  "sst-write, sst-sync, manifest-write, manifest-sync, dir-fsync, file-create, "
                  "rename, delete, close (default: seeded among them)");
  run->add_option("--bitrot-at", plan.bitrot_at,
                  "bitrot cycles damage this region: sst-data, sst-meta, wal-record, "
                  "manifest-record, options, current (default: seeded among them)");
  run->add_option("--read-error-one-in", plan.read_error_one_in,
                  "N: also judge a copy of each cycle's store with one read in N failing or "
                  "returning a flipped bit (0: off)")
      ->capture_default_str();
  run->add_option("--io-error", plan.io_error.status,
                  "status of the injected error: retryable, fatal, nospace or mix")
      ->capture_default_str();
  run->add_option("--io-error-mode", plan.io_error.mode,
                  "once (one call fails), sticky (every later call of that kind on that file), "
                  "or mix")
      ->capture_default_str();
}

// The store's options and the contract it is held to.
void AddStoreFlags(CLI::App* run, RunFlags* f) {
  run->add_option(
      "--option-at", f->option_changes,
      "K:NAME=VALUE: from each chain's cycle K (0-based) on, add this option; repeatable");
  run->add_option("--option", f->options,
                  "RocksDB option NAME=VALUE, or sync=, disableWAL=; repeatable");
  run->add_option("--expect", f->expect,
                  "contract (what the options promise) or acked (every acked op)")
      ->capture_default_str();
}

// Where a run lives, its limits, exploration, and the flags for tests only.
void AddRunFlags(CLI::App* run, RunFlags* f) {
  RunPlan& plan = f->plan;
  run->add_option("--data-dir", plan.data_dir, "where chains live")->capture_default_str();
  run->add_option("--report-dir", plan.report_dir, "where report.json, report.txt, junit.xml go")
      ->capture_default_str();
  run->add_option("--max-ops-per-cycle", plan.max_ops_per_cycle,
                  "ops a writer runs at most per cycle")
      ->capture_default_str();
  run->add_option("--fault-after-min-ms", plan.write_min_ms,
                  "earliest fault, ms after writing starts")
      ->capture_default_str();
  run->add_option("--fault-after-max-ms", plan.write_max_ms,
                  "latest fault, ms after writing starts")
      ->capture_default_str();
  run->add_option("--recovery-timeout-ms", plan.recovery_timeout_ms,
                  "open + verify longer than this is a recovery-hang")
      ->capture_default_str();
  run->add_option("--close-timeout-ms", plan.close_timeout_ms,
                  "a clean close whose DB::Close takes longer than this is a close-hang")
      ->capture_default_str();
  run->add_option("--explore", f->explore,
                  "N or all: crash states of each writer run judged besides the one the chain "
                  "goes on from (process crashes and power cuts after any ledger event; 0: off)")
      ->capture_default_str();
  run->add_option("--judges", plan.judges,
                  "judge processes per chain opening crash states side by side (0: one per core)")
      ->capture_default_str();
  run->add_flag("--test-lie-ack", plan.test_lie_ack, "")->group("");  // tests only
  run->add_flag("--test-ack-failed", plan.test_ack_failed, "")->group("");
  run->add_option("--test-lose-when-wals", plan.test_lose_when_wals, "")->group("");
  run->add_flag("--test-drop-sync-record", plan.test_drop_sync_record, "")->group("");
  run->add_flag("--test-break-checkpoint", plan.test_break_checkpoint, "")->group("");
  run->add_flag("--test-undo-cycle", plan.test_undo_cycle, "")->group("");
  run->add_flag("--test-tamper-images", plan.test_tamper_images, "")->group("");
  run->add_flag("--keep-going", plan.keep_going,
                "after a FAIL, start a fresh chain and go on (default: stop at the first FAIL)");
  run->add_option("--max-failures", plan.max_failures, "failures whose evidence is kept")
      ->capture_default_str();
  run->add_option(
      "--shard", f->shard,
      "I/N: run shard I of N, counted from 1 (1/4 ... 4/4; seeds derive from seed and I)");
  run->add_option("--metrics-port", plan.metrics_port,
                  "serve /metrics, /summary and /healthz on 127.0.0.1:PORT while running (0: off)")
      ->capture_default_str();
}

void AddFlags(CLI::App* run, RunFlags* f) {
  AddWorkloadFlags(run, f);
  AddFaultFlags(run, &f->plan);
  AddStoreFlags(run, f);
  AddRunFlags(run, f);
}

Status CheckShard(const std::string& shard, RunPlan* plan) {
  if (shard.empty()) return Status::Ok();
  unsigned i = 0, n = 0;
  char extra = 0;
  // Counted from 1, as Playwright, Jest and Vitest count: a CI matrix `shard: [1, 2, 3, 4]`
  // maps straight onto --shard ${{ matrix.shard }}/4.
  if (std::sscanf(shard.c_str(), "%u/%u%c", &i, &n, &extra) != 2 || n == 0 || i == 0 || i > n ||
      n > 1000)
    return Status::BadInput("--shard '" + shard +
                            "' is not I/N with 1 <= I <= N <= 1000: shards count from 1, write "
                            "e.g. 1/4 ... 4/4");
  plan->shard_index = i - 1;
  plan->shard_count = n;
  return Status::Ok();
}

Status CheckBudget(const CLI::App& run, const RunFlags& f, RunPlan* plan) {
  if (run.count("--cycles") && f.cycles == 0)
    return Status::BadInput("--cycles 0 runs nothing: give at least 1, or a --duration");
  if (run.count("--cycles") && !f.duration.empty())
    return Status::BadInput("--cycles and --duration both given: choose one budget");
  if (!f.duration.empty()) return ParseDuration(f.duration, &plan->duration_ms);
  plan->cycles = f.cycles > 0 ? f.cycles : kDefaultCycles;
  return Status::Ok();
}

Status CheckWorkload(const RunFlags& f, RunPlan* plan) {
  Status s = workloads::ProfileSpec(f.profile, &plan->workload);
  if (!s.ok()) return Status::BadInput("--profile: " + s.message());
  if (f.keys > 0) plan->workload.key_count = f.keys;
  if (f.value_min > 0) plan->workload.value_min_bytes = f.value_min;
  if (f.value_max > 0) plan->workload.value_max_bytes = f.value_max;
  if (f.value_compression_ratio)
    plan->workload.value_compression_ratio = *f.value_compression_ratio;
  if (f.column_families > 0) plan->workload.column_families = f.column_families;
  if (!f.txn.empty()) plan->workload.txn = f.txn;
  if (f.threads) plan->workload.threads = *f.threads;
  s = plan->workload.Validate();
  if (!s.ok()) {
    const std::string& m = s.message();
    if (m.rfind("--", 0) == 0 || m.rfind("op ", 0) == 0 || m.rfind("profile", 0) == 0)
      return s;  // names its flag already
    const char* flag = m.rfind("value sizes", 0) == 0 ? "--value-min-bytes/--value-max-bytes: "
                       : m.rfind("value compression", 0) == 0 ? "--value-compression-ratio: "
                                                              : "--keys: ";
    return Status::BadInput(flag + m);
  }
  return Status::Ok();
}

Status CheckFaults(const RunPlan& plan) {
  FaultMix mix;
  Status kinds = FaultMix::Parse(plan.fault, &mix);
  if (!kinds.ok()) return Status::BadInput("--fault: " + kinds.message());
  Status io = ValidateIoErrorSettings(plan.io_error);
  if (!io.ok()) return io;
  faults::RotTarget target;
  Status rot =
      plan.bitrot_at.empty() ? Status::Ok() : faults::ParseRotTarget(plan.bitrot_at, &target);
  if (!rot.ok()) return Status::BadInput("--bitrot-at: " + rot.message());
  faults::CutMode mode;
  Status s = faults::ParseCutMode(plan.cut, &mode);
  if (!s.ok()) return Status::BadInput("--cut: " + s.message());
  faults::EventKind kind;
  if (!plan.crash_at.empty()) {
    s = faults::ParseEventKind(plan.crash_at, &kind);
    if (!s.ok() || kind == faults::EventKind::kNone) {
      return Status::BadInput("--crash-at '" + plan.crash_at +
                              "' is unknown: use wal-append, wal-sync, sst-create, "
                              "manifest-write, current-rename or dir-fsync");
    }
  }
  return Status::Ok();
}

Status CheckStoreOptions(const RunFlags& f, RunPlan* plan) {
  if (f.expect != "contract" && f.expect != "acked")
    return Status::BadInput("--expect '" + f.expect + "' is unknown: use contract or acked");
  plan->expect_acked = f.expect == "acked";
  for (const std::string& o : f.options) {
    Status s = plan->store.Add(o);
    if (!s.ok()) return Status::BadInput("--option: " + s.message());
    // sync=false asks for no sync writes at all, not even the profile's occasional ones.
    if (o == "sync=false" || o == "sync=0") plan->workload.sync_one_in = 0;
  }
  plan->option_args = f.options;
  for (const std::string& change : f.option_changes) {
    const size_t colon = change.find(':');
    uint64_t from = 0;
    try {
      size_t used = 0;
      from = std::stoull(change.substr(0, colon), &used);
      if (colon == std::string::npos || used != colon || from == 0) throw std::invalid_argument("");
    } catch (...) {
      return Status::BadInput("--option-at '" + change +
                              "' is not K:NAME=VALUE with K >= 1: write e.g. 3:sync=true");
    }
    plan->option_changes.emplace_back(from, change.substr(colon + 1));
    StoreConfig probe = plan->StoreAt(from - 1);
    Status s = probe.Add(change.substr(colon + 1));
    if (!s.ok()) return Status::BadInput("--option-at: " + s.message());
  }
  return Status::Ok();
}

Status CheckLimits(const RunPlan& plan) {
  if (plan.max_ops_per_cycle < 1 || plan.max_ops_per_cycle > 10'000'000)
    return Status::BadInput("--max-ops-per-cycle must be 1 to 10000000");
  if (plan.write_min_ms < 0 || plan.write_min_ms > plan.write_max_ms ||
      plan.write_max_ms > 3'600'000) {
    return Status::BadInput(
        "--fault-after-min-ms/--fault-after-max-ms must satisfy 0 <= min <= max <= 3600000");
  }
  if (plan.recovery_timeout_ms < 100)
    return Status::BadInput("--recovery-timeout-ms must be at least 100");
  if (plan.close_timeout_ms < 100 || plan.close_timeout_ms > 3'600'000)
    return Status::BadInput("--close-timeout-ms must be 100 to 3600000");
  if (plan.judges > 64) return Status::BadInput("--judges must be 0 (one per core) to 64");
  if (plan.read_error_one_in > 1'000'000'000)
    return Status::BadInput("--read-error-one-in must be 0 (off) to 1000000000");
  return Status::Ok();
}

// --explore N (0 to 1000000) or all.
Status CheckExplore(const std::string& text, RunPlan* plan) {
  constexpr uint64_t kMaxExplore = 1'000'000;
  if (text == "all") {
    plan->explore = RunPlan::kExploreAll;
    return Status::Ok();
  }
  const bool digits = !text.empty() && text.size() <= 7 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoull(text) > kMaxExplore) {
    return Status::BadInput("--explore '" + text +
                            "' is not a count: write a number of states 0 to 1000000, or all");
  }
  plan->explore = std::stoull(text);
  return Status::Ok();
}

// The parsed flags, validated in the order a user reads them, into f->plan.
Status Validate(const CLI::App& run, RunFlags* f) {
  RunPlan& plan = f->plan;
  Status s = CheckShard(f->shard, &plan);
  if (s.ok()) s = ParseSeed("--seed", f->seed, &plan.seed);
  if (s.ok()) s = CheckBudget(run, *f, &plan);
  if (s.ok() && (plan.chains < 1 || plan.chains > 64))
    s = Status::BadInput("--chains must be 1 to 64");
  if (s.ok()) s = CheckWorkload(*f, &plan);
  if (s.ok()) s = CheckFaults(plan);
  if (s.ok()) s = CheckStoreOptions(*f, &plan);
  if (s.ok()) s = plan.workload.FitsStore(plan.store);
  for (const auto& [from, change] : plan.option_changes) {
    if (!s.ok()) break;
    s = plan.workload.FitsStore(plan.StoreAt(from));
    if (!s.ok()) s = Status::BadInput("--option-at " + std::to_string(from) + ": " + s.message());
  }
  if (s.ok()) s = CheckLimits(plan);
  if (s.ok()) s = CheckExplore(f->explore, &plan);
  if (s.ok() && !plan.test_lose_when_wals.empty()) {
    OpKind kind;
    uint32_t wals = 0;
    s = ParseLoseWhenWals(plan.test_lose_when_wals, &kind, &wals);
  }
  return s;
}

class RunSubcommand : public Subcommand {
 public:
  CLI::App* Register(CLI::App* app) override {
    run_ = app->add_subcommand("run", "run crash cycles on chains and write a report");
    AddFlags(run_, &flags_);
    return run_;
  }

  int Execute() override {
    Status s = Validate(*run_, &flags_);
    if (!s.ok()) return BadInput(s.message());
    const std::string writer = WriterBesideUs();
    if (::access(writer.c_str(), X_OK) != 0)
      return BadInput(writer + " is missing: build it (cmake --build build) next to powercut");
    flags_.plan.writer_path = writer;
    return RunController(flags_.plan);
  }

 private:
  CLI::App* run_ = nullptr;
  RunFlags flags_;
};

}  // namespace

std::unique_ptr<Subcommand> NewRunSubcommand() { return std::make_unique<RunSubcommand>(); }

Status ParseRunArgs(const std::vector<std::string>& args, RunPlan* plan) {
  CLI::App run{"powercut run"};
  RunFlags flags;
  AddFlags(&run, &flags);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
  try {
    run.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return Status::BadInput(e.what());
  }
  Status s = Validate(run, &flags);
  if (s.ok()) *plan = flags.plan;
  return s;
}

std::vector<std::string> RunFlagNames() {
  CLI::App run{"powercut run"};
  RunFlags flags;
  AddFlags(&run, &flags);
  std::vector<std::string> names;
  for (const CLI::Option* o : run.get_options()) {
    for (const std::string& name : o->get_lnames()) {
      if (name != "help") names.push_back("--" + name);
    }
  }
  return names;
}

}  // namespace powercut::harness
