#include "harness/check/session.h"

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

namespace powercut::harness {
namespace {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

nlohmann::json RunRecord::ToJson() const {
  nlohmann::json j = {{"run", run},
                      {"phase", shrinking ? "shrink" : "search"},
                      {"case", c.ToJson()},
                      {"reproduce", Reproduce()},
                      {"outcome", KindName(outcome.kind)},
                      {"exit", outcome.exit_code},
                      {"seconds", outcome.seconds},
                      {"classes", outcome.classes},
                      {"detail", outcome.detail}};
  if (!dir.empty()) j["report"] = dir + "/report/report.json";
  if (!signatures.empty()) {
    j["signature"] = signatures.front();
    j["signatures"] = signatures;
  }
  if (planted_losses > 0) j["test_planted_losses"] = planted_losses;  // tests only
  return j;
}

double CheckSession::shrink_seconds() const {
  return first_ ? (NowMs() - shrink_started_ms_) / 1000.0 : 0;
}

CheckSession::Verdict CheckSession::Evaluate(const CheckCase& c) {
  if (stopped()) return Verdict::kPass;
  const std::vector<std::string> args = c.RunArgs(o_.forced_options, o_.extra_run_args);
  const std::string command = CommandLine(args);
  if (auto it = by_command_.find(command); it != by_command_.end()) {
    const RunRecord& seen = records_[it->second];
    // rapidcheck accepts a failing shrink as its new smallest case; keep ours in step.
    if (first_ && seen.outcome.kind == RunOutcome::Kind::kFinding && seen.run != best_->run) {
      best_ = seen;
      ++shrink_steps_;
    }
    return Judge(seen);
  }
  const bool shrinking = first_.has_value();
  if (shrinking &&
      (shrink_runs_ >= o_.max_shrink_runs || NowMs() - shrink_started_ms_ >= o_.max_shrink_ms)) {
    budget_exhausted_ = true;  // keep the smallest failure found so far
    return Verdict::kPass;
  }
  RunRecord r;
  r.run = records_.size() + 1;
  r.shrinking = shrinking;
  r.c = c;
  r.args = args;
  r.dir = fmt::format("{}/case-{}", o_.work_dir, r.run);
  r.outcome = RunCase(o_.powercut_path, args, r.dir, c.TimeoutMs());
  shrink_runs_ += shrinking ? 1 : 0;
  std::string what = KindName(r.outcome.kind);
  for (const std::string& k : r.outcome.classes) what += " " + k;
  fmt::print(stderr, "check: {} {} {} ({:.1f} s): {}\n", shrinking ? "shrink run" : "case", r.run,
             what, r.outcome.seconds, c.Describe());
  switch (r.outcome.kind) {
    case RunOutcome::Kind::kPass:
      passed_ += shrinking ? 0 : 1;
      break;
    case RunOutcome::Kind::kRejected:
      discarded_ += shrinking ? 0 : 1;
      break;
    case RunOutcome::Kind::kFinding:
      if (!first_) {
        first_ = r;
        shrink_started_ms_ = NowMs();
      } else {
        if (best_ && best_->run != first_->run) Forget(*best_);
        ++shrink_steps_;
      }
      best_ = r;
      break;
    case RunOutcome::Kind::kHarnessError:
      error_ = fmt::format("{}: {}", r.Reproduce(), r.outcome.detail);
      break;
    case RunOutcome::Kind::kInterrupted:
      interrupted_ = true;
      break;
  }
  const bool keep = r.outcome.kind == RunOutcome::Kind::kFinding ||
                    r.outcome.kind == RunOutcome::Kind::kHarnessError;
  if (!keep) Forget(r);
  if (!keep) r.dir.clear();
  records_.push_back(r);
  by_command_[command] = records_.size() - 1;
  return Judge(records_.back());
}

CheckSession::Verdict CheckSession::Judge(const RunRecord& r) {
  switch (r.outcome.kind) {
    case RunOutcome::Kind::kFinding:
      return Verdict::kFail;
    case RunOutcome::Kind::kRejected:
      return Verdict::kDiscard;
    default:
      return Verdict::kPass;  // a pass, or the session has stopped
  }
}

void CheckSession::Forget(const RunRecord& r) {
  if (r.dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(r.dir, ec);
  // The record keeps pointing at nothing: clear it where it is stored.
  for (RunRecord& stored : records_) {
    if (stored.run == r.run) stored.dir.clear();
  }
}

nlohmann::json CheckSession::RunsJson() const {
  nlohmann::json runs = nlohmann::json::array();
  for (const RunRecord& r : records_) runs.push_back(r.ToJson());
  return runs;
}

}  // namespace powercut::harness
