#include "harness/run/controller.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <rocksdb/version.h>

#include "harness/run/chain_runner.h"
#include "harness/run/child_process.h"
#include "harness/run/data_dir.h"
#include "harness/run/fault_mix.h"
#include "harness/run/metrics_server.h"
#include "harness/run/progress.h"
#include "harness/run/run_state.h"
#include "reports/prometheus.h"
#include "reports/report_writer.h"
#include "reports/step_summary.h"
#include "src/contract.h"

namespace powercut::harness {
namespace {

std::string NowIso8601() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string ContractsOf(const RunPlan& plan) {
  FaultMix mix;
  FaultMix::Parse(plan.fault, &mix);  // validated by the command line
  std::string out;
  for (Fault f : mix.Endings()) {
    if (!out.empty()) out += "; ";
    out += ContractFor(f, plan.store, plan.expect_acked).Describe(f);
  }
  return out;
}

// SIGINT and SIGTERM are blocked in every thread and taken here, so the chains see one flag
// and no child outlives the run.
class InterruptWatcher {
 public:
  explicit InterruptWatcher(RunState* state) : state_(state) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    thread_ = std::thread([this, set] {
      while (!stop_.load()) {
        timespec wait{0, 100'000'000};
        if (sigtimedwait(&set, nullptr, &wait) > 0) {
          state_->Interrupt();
          KillAllChildren();
        }
      }
    });
  }
  ~InterruptWatcher() {
    stop_.store(true);
    thread_.join();
  }

 private:
  RunState* state_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

ProgressSnapshot Snapshot(const RunPlan& plan, const RunState& state) {
  ProgressSnapshot p;
  p.passed = state.passed();
  p.failed = state.failed();
  p.done = p.passed + p.failed;
  p.total = plan.cycles;
  p.elapsed_ms = state.ElapsedMs();
  p.time_left_ms =
      plan.duration_ms > 0 ? std::max<int64_t>(0, plan.duration_ms - p.elapsed_ms) : -1;
  return p;
}

// The data and report directories are the run's own, and the metrics server is up, before
// anything is written: a busy port or a foreign directory is bad input with nothing half-made.
Status PrepareRun(const RunPlan& plan, const RunState& state, const reports::RunResult& run,
                  std::unique_ptr<MetricsServer>* metrics) {
  for (const auto& [dir, flag] :
       {std::pair{plan.data_dir, "--data-dir"}, {plan.report_dir, "--report-dir"}}) {
    Status s = CheckOwnedDir(dir, flag);
    if (!s.ok()) return s;
  }
  if (plan.metrics_port != 0) {
    // The run so far, as the report writers will see it at the end: both pages are the
    // report's own formats, in their `running` form.
    auto so_far = [&run, &state] {
      reports::RunResult now = run;
      now.cycles = state.results();
      now.duration_s = state.ElapsedMs() / 1000.0;
      return now;
    };
    MetricsServer::Pages pages;
    pages["/metrics"] = {"text/plain; version=0.0.4; charset=utf-8",
                         [so_far] { return reports::ToPrometheus(so_far(), /*running=*/true); }};
    pages["/summary"] = {"text/plain; charset=utf-8",
                         [so_far] { return reports::ToText(so_far(), /*running=*/true); }};
    Status s = MetricsServer::Start(plan.metrics_port, std::move(pages), metrics);
    if (!s.ok()) return s;
  }
  for (const auto& [dir, stale] :
       {std::pair{plan.data_dir, std::vector<std::string>{"chain-"}},
        {plan.report_dir, std::vector<std::string>{"report.", "junit.", "metrics.", "failures"}}}) {
    Status s = PrepareOwnedDir(dir, stale);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

// Runs every chain on its own thread, with the progress line, until all have ended.
void RunChains(const RunPlan& plan, RunState* state) {
  InterruptWatcher watcher(state);
  std::vector<std::thread> chains;
  for (uint32_t k = 0; k < plan.chains; ++k)
    chains.emplace_back(RunChain, std::cref(plan), k, state);
  std::atomic<bool> finished{false};
  Progress progress_line;
  std::thread progress([&] {
    while (!finished.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      progress_line.Update(Snapshot(plan, *state));
    }
    progress_line.Finish(Snapshot(plan, *state));
  });
  for (std::thread& t : chains) t.join();
  finished.store(true);
  progress.join();
  KillAllChildren();
}

void PrintFailures(const reports::RunResult& run) {
  for (const auto& c : run.cycles) {
    if (!reports::Failed(c)) continue;
    std::string classes;
    for (const auto& k : c.classes) classes += (classes.empty() ? "" : ",") + k;
    fmt::print("FAIL cycle {} (chain {}, {}): {}: {}\n  reproduce: {}\n", c.cycle, c.chain, c.fault,
               classes, c.detail, reports::ReproduceCommand(c));
  }
}

}  // namespace

int RunController(const RunPlan& plan) {
  // Before any thread exists (the metrics server's included): every thread inherits the
  // mask, so SIGINT/SIGTERM reach only the watcher below.
  sigset_t interrupts;
  sigemptyset(&interrupts);
  sigaddset(&interrupts, SIGINT);
  sigaddset(&interrupts, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &interrupts, nullptr);
  RunState state(plan);
  reports::RunResult run;
  run.tool_version = POWERCUT_VERSION;
  run.rocksdb_version = fmt::format("{}.{}.{}", ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH);
  run.seed = plan.seed;
  run.plan = plan.ToJson();
  run.contract = ContractsOf(plan);
  run.shard = plan.Shard();
  run.started_at = NowIso8601();
  std::unique_ptr<MetricsServer> metrics;
  Status s = PrepareRun(plan, state, run, &metrics);
  if (!s.ok()) {
    fmt::print(stderr, "powercut: {}\n", s.message());
    return kExitBadInput;
  }
  RunChains(plan, &state);
  if (metrics) metrics->Stop();

  run.cycles = state.results();
  std::sort(run.cycles.begin(), run.cycles.end(),
            [](const auto& a, const auto& b) { return a.cycle < b.cycle; });
  run.duration_s = state.ElapsedMs() / 1000.0;
  const std::string harness_error = state.harness_error();
  run.complete = !state.interrupted() && harness_error.empty();
  if (state.interrupted()) run.incomplete_reason = "interrupted by a signal";
  if (!harness_error.empty()) run.incomplete_reason = "harness failure: " + harness_error;

  s = reports::WriteReports(run, plan.report_dir);
  if (!s.ok()) {
    fmt::print(stderr, "powercut: cannot write the report: {}\n", s.message());
    return kExitBadInput;
  }
  const uint64_t failed = std::count_if(run.cycles.begin(), run.cycles.end(), reports::Failed);
  fmt::print("powercut: {} cycles, {} failed; report in {}/report.txt\n", run.cycles.size(), failed,
             plan.report_dir);
  PrintFailures(run);
  // A summary that cannot be appended is said, never a verdict: the report is written.
  if (Status sum = reports::AppendStepSummary(reports::StepSummaryMarkdown(run, "run")); !sum.ok())
    fmt::print(stderr, "powercut: {}\n", sum.message());
  if (state.interrupted()) return kExitInterrupted;
  if (!harness_error.empty()) {
    fmt::print(stderr, "powercut: harness failure: {}\n", harness_error);
    return kExitBadInput;
  }
  return failed > 0 ? kExitFail : kExitPass;
}

}  // namespace powercut::harness
