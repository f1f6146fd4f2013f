#include "harness/controller.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "harness/chain_runner.h"
#include "harness/child_process.h"
#include "harness/data_dir.h"
#include "harness/run_state.h"
#include "reports/report_writer.h"
#include "src/contract.h"

namespace powercut::harness {
namespace {

constexpr int64_t kProgressEveryMs = 5'000;

std::string NowIso8601() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string ContractsOf(const RunPlan& plan) {
  std::vector<Fault> faults;
  if (plan.fault == "mix") {
    faults = {Fault::kKill, Fault::kStall};
  } else {
    Fault f = Fault::kKill;
    ParseFault(plan.fault, &f);
    faults = {f};
  }
  std::string out;
  for (Fault f : faults) {
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

void PrintProgress(const RunPlan& plan, const RunState& state, bool final_line) {
  const double s = state.ElapsedMs() / 1000.0;
  const uint64_t done = state.passed() + state.failed();
  const std::string total = plan.cycles > 0 ? fmt::format("/{}", plan.cycles) : "";
  fmt::print(stderr, "powercut: {}{} cycles, {} pass, {} fail, {:.1f} cycles/s, {:.0f} s{}", done,
             total, state.passed(), state.failed(), s > 0 ? done / s : 0.0, s,
             final_line ? "\n" : "\n");
}

}  // namespace

int RunController(const RunPlan& plan) {
  for (const auto& [dir, flag] :
       {std::pair{plan.data_dir, "--data-dir"}, {plan.report_dir, "--report-dir"}}) {
    Status s = CheckOwnedDir(dir, flag);
    if (!s.ok()) {
      fmt::print(stderr, "powercut: {}\n", s.message());
      return kExitBadInput;
    }
  }
  for (const auto& [dir, stale] :
       {std::pair{plan.data_dir, std::vector<std::string>{"chain-"}},
        {plan.report_dir, std::vector<std::string>{"report.", "junit.", "failures"}}}) {
    Status s = PrepareOwnedDir(dir, stale);
    if (!s.ok()) {
      fmt::print(stderr, "powercut: {}\n", s.message());
      return kExitBadInput;
    }
  }

  RunState state(plan);
  reports::RunResult run;
  run.tool_version = POWERCUT_VERSION;
  run.seed = plan.seed;
  run.plan = plan.ToJson();
  run.contract = ContractsOf(plan);
  run.started_at = NowIso8601();
  {
    InterruptWatcher watcher(&state);
    std::vector<std::thread> chains;
    for (uint32_t k = 0; k < plan.chains; ++k)
      chains.emplace_back(RunChain, std::cref(plan), k, &state);
    std::atomic<bool> finished{false};
    std::thread progress([&] {
      int64_t next = kProgressEveryMs;
      while (!finished.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (state.ElapsedMs() >= next) {
          PrintProgress(plan, state, false);
          next += kProgressEveryMs;
        }
      }
    });
    for (std::thread& t : chains) t.join();
    finished.store(true);
    progress.join();
    KillAllChildren();
  }
  PrintProgress(plan, state, true);

  run.cycles = state.results();
  std::sort(run.cycles.begin(), run.cycles.end(),
            [](const auto& a, const auto& b) { return a.cycle < b.cycle; });
  run.duration_s = state.ElapsedMs() / 1000.0;
  const std::string harness_error = state.harness_error();
  run.complete = !state.interrupted() && harness_error.empty();
  if (state.interrupted()) run.incomplete_reason = "interrupted by a signal";
  if (!harness_error.empty()) run.incomplete_reason = "harness failure: " + harness_error;

  Status s = reports::WriteReports(run, plan.report_dir);
  if (!s.ok()) {
    fmt::print(stderr, "powercut: cannot write the report: {}\n", s.message());
    return kExitBadInput;
  }
  const uint64_t failed = std::count_if(run.cycles.begin(), run.cycles.end(), reports::Failed);
  fmt::print("powercut: {} cycles, {} failed; report in {}/report.txt\n", run.cycles.size(), failed,
             plan.report_dir);
  for (const auto& c : run.cycles) {
    if (!reports::Failed(c)) continue;
    std::string classes;
    for (const auto& k : c.classes) classes += (classes.empty() ? "" : ",") + k;
    fmt::print("FAIL cycle {} (chain {}, {}): {}: {}\n  reproduce: {}\n", c.cycle, c.chain, c.fault,
               classes, c.detail, reports::ReproduceCommand(c));
  }
  if (state.interrupted()) return kExitInterrupted;
  if (!harness_error.empty()) {
    fmt::print(stderr, "powercut: harness failure: {}\n", harness_error);
    return kExitBadInput;
  }
  return failed > 0 ? kExitFail : kExitPass;
}

}  // namespace powercut::harness
