// powercut: the command line. Every flag has help text and a default; bad input gets one
// line naming the thing and the fix, and exit status 2, before anything is written.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "faults/ledger.h"
#include "faults/power_cut.h"
#include "harness/check_command.h"
#include "harness/controller.h"
#include "harness/gate_command.h"
#include "harness/merge_command.h"
#include "harness/plan.h"
#include "harness/replay_command.h"
#include "harness/verify_command.h"
#include "src/contract.h"
#include "workloads/spec.h"

namespace {

using powercut::Status;
using powercut::harness::kExitBadInput;

// The default run: about a minute of mixed faults on 2 cores.
constexpr uint64_t kDefaultCycles = 1000;

std::string WriterBesideUs() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "powercut-writer").string();
}

Status ParseDuration(const std::string& text, int64_t* ms) {
  size_t used = 0;
  double n = 0;
  try {
    n = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const double scale = unit == "s" ? 1e3 : unit == "m" ? 60e3 : unit == "h" ? 3600e3 : -1;
  if (used == 0 || scale < 0 || n <= 0) {
    return Status::BadInput("--duration '" + text +
                            "' is not a duration: write e.g. 90s, 30m or 2h");
  }
  *ms = static_cast<int64_t>(n * scale);
  return Status::Ok();
}

int BadInput(const std::string& what) {
  fmt::print(stderr, "powercut: {}\n", what);
  return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"powercut: crash-recovery and durability test harness for RocksDB"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");

  powercut::harness::RunPlan plan;
  std::string seed_text = "1", profile = "default", expect = "contract", duration;
  std::vector<std::string> options;
  uint64_t cycles = 0;
  uint32_t keys = 0;
  CLI::App* run = app.add_subcommand("run", "run crash cycles on chains and write a report");
  run->add_option("--seed", seed_text, "run seed: every op, option and fault derives from it")
      ->capture_default_str();
  run->add_option("--cycles", cycles,
                  fmt::format("faults to inject across all chains (default {})", kDefaultCycles));
  run->add_option("--duration", duration, "time budget instead of --cycles, e.g. 90s, 30m, 2h");
  run->add_option("--chains", plan.chains, "chains run side by side")->capture_default_str();
  run->add_option("--profile", profile, "workload profile: default, puts, ranges, batches")
      ->capture_default_str();
  run->add_option("--keys", keys, "key space size (default: the profile's, 10000)");
  uint32_t value_min = 0, value_max = 0;
  run->add_option("--value-min-bytes", value_min, "smallest value (default: the profile's, 32)");
  run->add_option("--value-max-bytes", value_max, "largest value (default: the profile's, 256)");
  run->add_option("--fault", plan.fault,
                  "kill, stall, power-cut, clean or mix (kill, stall, power-cut)")
      ->capture_default_str();
  run->add_option("--cut", plan.cut, "power cut mode: drop, torn or reorder")
      ->capture_default_str();
  run->add_option("--crash-at", plan.crash_at,
                  "power cuts crash at the seeded n-th event of this kind: wal-append, wal-sync, "
                  "sst-create, manifest-write, current-rename, dir-fsync");
  std::vector<std::string> option_changes;
  run->add_option(
      "--option-at", option_changes,
      "K:NAME=VALUE: from each chain's cycle K (0-based) on, add this option; repeatable");
  run->add_option("--option", options,
                  "RocksDB option NAME=VALUE, or sync=, disableWAL=; repeatable");
  run->add_option("--expect", expect,
                  "contract (what the options promise) or acked (every acked op)")
      ->capture_default_str();
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
  run->add_flag("--test-lie-ack", plan.test_lie_ack, "")->group("");  // tests only
  run->add_flag("--test-drop-sync-record", plan.test_drop_sync_record, "")->group("");
  run->add_flag("--test-break-checkpoint", plan.test_break_checkpoint, "")
      ->group("");  // tests only

  run->add_flag("--keep-going", plan.keep_going,
                "after a FAIL, start a fresh chain and go on (default: stop at the first FAIL)");
  run->add_option("--max-failures", plan.max_failures, "failures whose evidence is kept")
      ->capture_default_str();
  std::string shard;
  run->add_option("--shard", shard, "I/N: run shard I of N (seeds derive from seed and I)");
  run->add_option("--metrics-port", plan.metrics_port,
                  "serve /metrics and /healthz on 127.0.0.1:PORT while running (0: off)")
      ->capture_default_str();

  std::vector<std::string> merge_inputs, gate_inputs, require_faults;
  std::string merge_out;
  uint64_t min_cycles = 1;
  CLI::App* merge = app.add_subcommand("merge", "combine shard reports into one report folder");
  merge->add_option("REPORT.json", merge_inputs, "shard reports")->required();
  merge->add_option("--out", merge_out, "folder for the merged report.json, report.txt, junit.xml")
      ->required();
  CLI::App* gate = app.add_subcommand("gate", "exit 0 only on reports a release may trust");
  gate->add_option("REPORT.json", gate_inputs, "reports to judge, together");
  gate->add_option("--min-cycles", min_cycles, "cycles the reports must reach in all")
      ->capture_default_str();
  gate->add_option("--require-fault", require_faults,
                   "fault kinds that must have run, e.g. kill,power-cut")
      ->delimiter(',');

  std::string replay_report, replay_work_dir = "powercut-replay";
  uint64_t replay_cycle = 0;
  CLI::App* replay = app.add_subcommand("replay", "re-run one failing cycle from a report folder");
  replay->add_option("REPORT.json", replay_report, "the report.json a run wrote")->required();
  replay->add_option("--cycle", replay_cycle, "the failing cycle to replay")->required();
  replay->add_option("--work-dir", replay_work_dir, "where the replayed chain lives")
      ->capture_default_str();

  powercut::harness::CheckOptions check_opts;
  std::string check_seed = "1";
  bool check_lie_ack = false, check_expect_acked = false;
  CLI::App* check = app.add_subcommand(
      "check", "property run: generate cases, run each with powercut run, shrink a failure");
  check->add_option("--seed", check_seed, "rapidcheck seed: the same seed generates the same cases")
      ->capture_default_str();
  check->add_option("--tests", check_opts.tests, "cases that must pass")->capture_default_str();
  check->add_option("--cycles-per-case", check_opts.cycles_per_case, "most cycles in a case")
      ->capture_default_str();
  check->add_option("--work-dir", check_opts.work_dir, "scratch folder for the cases' runs")
      ->capture_default_str();
  check->add_option("--report-dir", check_opts.report_dir, "where check-report.json goes")
      ->capture_default_str();
  check->add_flag("--test-lie-ack", check_lie_ack, "")->group("");            // tests only
  check->add_flag("--test-expect-acked", check_expect_acked, "")->group("");  // tests only
  check->add_option("--test-option", check_opts.forced_options, "")->group("");
  check->add_option("--test-max-shrink-ms", check_opts.max_shrink_ms, "")->group("");
  check->add_option("--test-max-shrink-runs", check_opts.max_shrink_runs, "")->group("");

  std::string chain_dir;
  int64_t verify_timeout_ms = 60'000;
  CLI::App* verify =
      app.add_subcommand("verify", "check a chain's store against its own manifest, now");
  verify->add_option("CHAIN_DIR", chain_dir, "a chain directory, e.g. powercut-data/chain-0")
      ->required();
  verify
      ->add_option("--timeout-ms", verify_timeout_ms,
                   "open + verify longer than this is a recovery-hang")
      ->capture_default_str();

  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
      known |= sub->get_name() == argv[1];
    }
    if (!known)
      return BadInput(std::string("unknown command '") + argv[1] + "': use one of " + names);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what) c = c == '\n' ? ' ' : c;
    return BadInput(what + "; see powercut --help");
  }

  const std::string writer = WriterBesideUs();
  if (*verify) return powercut::harness::VerifyCommand(chain_dir, writer, verify_timeout_ms);
  if (*replay)
    return powercut::harness::ReplayCommand(replay_report, replay_cycle, replay_work_dir, writer);
  if (*check) {
    try {
      size_t used = 0;
      check_opts.seed = std::stoull(check_seed, &used);
      if (used != check_seed.size() || check_seed[0] == '-') throw std::invalid_argument("");
    } catch (...) {
      return BadInput("--seed '" + check_seed + "' is not a number: give a non-negative integer");
    }
    if (check_lie_ack) check_opts.extra_run_args.push_back("--test-lie-ack");
    if (check_expect_acked) {
      check_opts.extra_run_args.insert(check_opts.extra_run_args.end(), {"--expect", "acked"});
    }
    std::error_code ec;
    check_opts.powercut_path = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    return powercut::harness::CheckCommand(check_opts);
  }
  if (*merge) return powercut::harness::MergeCommand(merge_inputs, merge_out);
  if (*gate) return powercut::harness::GateCommand(gate_inputs, min_cycles, require_faults);
  if (!shard.empty()) {
    unsigned i = 0, n = 0;
    char extra = 0;
    if (std::sscanf(shard.c_str(), "%u/%u%c", &i, &n, &extra) != 2 || n == 0 || i >= n ||
        n > 1000) {
      return BadInput("--shard '" + shard + "' is not I/N with 0 <= I < N <= 1000: write e.g. 0/4");
    }
    plan.shard_index = i;
    plan.shard_count = n;
  }

  try {
    size_t used = 0;
    plan.seed = std::stoull(seed_text, &used);
    if (used != seed_text.size() || seed_text[0] == '-') throw std::invalid_argument("");
  } catch (...) {
    return BadInput("--seed '" + seed_text + "' is not a number: give a non-negative integer");
  }
  if (run->count("--cycles") && cycles == 0) {
    return BadInput("--cycles 0 runs nothing: give at least 1, or a --duration");
  }
  if (run->count("--cycles") && !duration.empty()) {
    return BadInput("--cycles and --duration both given: choose one budget");
  }
  if (!duration.empty()) {
    Status s = ParseDuration(duration, &plan.duration_ms);
    if (!s.ok()) return BadInput(s.message());
  } else {
    plan.cycles = cycles > 0 ? cycles : kDefaultCycles;
  }
  if (plan.chains < 1 || plan.chains > 64) return BadInput("--chains must be 1 to 64");
  Status s = powercut::workloads::ProfileSpec(profile, &plan.workload);
  if (!s.ok()) return BadInput("--profile: " + s.message());
  if (keys > 0) plan.workload.key_count = keys;
  if (value_min > 0) plan.workload.value_min_bytes = value_min;
  if (value_max > 0) plan.workload.value_max_bytes = value_max;
  s = plan.workload.Validate();
  if (!s.ok()) return BadInput("--keys: " + s.message());
  if (plan.fault != "mix") {
    powercut::Fault f;
    s = powercut::ParseFault(plan.fault, &f);
    if (!s.ok()) return BadInput("--fault: " + s.message());
  }
  {
    powercut::faults::CutMode mode;
    s = powercut::faults::ParseCutMode(plan.cut, &mode);
    if (!s.ok()) return BadInput("--cut: " + s.message());
    powercut::faults::EventKind kind;
    if (!plan.crash_at.empty()) {
      s = powercut::faults::ParseEventKind(plan.crash_at, &kind);
      if (!s.ok() || kind == powercut::faults::EventKind::kNone) {
        return BadInput("--crash-at '" + plan.crash_at +
                        "' is unknown: use wal-append, wal-sync, sst-create, manifest-write, "
                        "current-rename or dir-fsync");
      }
    }
  }
  if (expect != "contract" && expect != "acked") {
    return BadInput("--expect '" + expect + "' is unknown: use contract or acked");
  }
  plan.expect_acked = expect == "acked";
  for (const std::string& o : options) {
    s = plan.store.Add(o);
    if (!s.ok()) return BadInput("--option: " + s.message());
    // sync=false asks for no sync writes at all, not even the profile's occasional ones.
    if (o == "sync=false" || o == "sync=0") plan.workload.sync_one_in = 0;
  }
  plan.option_args = options;
  for (const std::string& change : option_changes) {
    const size_t colon = change.find(':');
    uint64_t from = 0;
    try {
      size_t used = 0;
      from = std::stoull(change.substr(0, colon), &used);
      if (colon == std::string::npos || used != colon || from == 0) throw std::invalid_argument("");
    } catch (...) {
      return BadInput("--option-at '" + change +
                      "' is not K:NAME=VALUE with K >= 1: write e.g. 3:sync=true");
    }
    plan.option_changes.emplace_back(from, change.substr(colon + 1));
    powercut::StoreConfig probe = plan.StoreAt(from - 1);
    s = probe.Add(change.substr(colon + 1));
    if (!s.ok()) return BadInput("--option-at: " + s.message());
  }
  if (plan.max_ops_per_cycle < 1 || plan.max_ops_per_cycle > 10'000'000) {
    return BadInput("--max-ops-per-cycle must be 1 to 10000000");
  }
  if (plan.write_min_ms < 0 || plan.write_min_ms > plan.write_max_ms ||
      plan.write_max_ms > 3'600'000) {
    return BadInput(
        "--fault-after-min-ms/--fault-after-max-ms must satisfy 0 <= min <= max <= 3600000");
  }
  if (plan.recovery_timeout_ms < 100) return BadInput("--recovery-timeout-ms must be at least 100");
  if (::access(writer.c_str(), X_OK) != 0) {
    return BadInput(writer + " is missing: build it (cmake --build build) next to powercut");
  }
  plan.writer_path = writer;
  return powercut::harness::RunController(plan);
}
