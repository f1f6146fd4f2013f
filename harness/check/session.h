// CheckSession: the state of one property run between rapidcheck and the `powercut run`
// children. rapidcheck asks it to evaluate cases; it runs each distinct command line once
// (a shrink that changes nothing the run sees costs nothing), keeps the first and the
// smallest failure with their evidence, enforces the shrink budget, and records every run
// for check-report.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/check/case.h"
#include "harness/check/run.h"
#include "harness/check/session_options.h"

namespace powercut::harness {

struct RunRecord {
  uint64_t run = 0;  // case-<run> in the work directory
  bool shrinking = false;
  CheckCase c;
  std::vector<std::string> args;  // run arguments, without --data-dir / --report-dir
  RunOutcome outcome;
  std::string dir;  // kept only for failures (and harness errors), as evidence
  // A hunt's failing run: the signature keys of its findings, its smallest failing state's
  // first (case_report.h: one case may meet two bugs).
  std::vector<std::string> signatures;
  uint64_t planted_losses = 0;  // a hunt's run, TESTS ONLY: CaseReport::planted_losses

  std::string Reproduce() const { return CommandLine(args); }
  nlohmann::json ToJson() const;
};

class CheckSession {
 public:
  explicit CheckSession(const CheckOptions& options) : o_(options) {}

  enum class Verdict { kPass, kFail, kDiscard };
  // Runs `c` (or recalls the run of the same command line) and says what rapidcheck should
  // count it as. Once the session has stopped, every case passes at once, so rapidcheck
  // winds down without running anything.
  Verdict Evaluate(const CheckCase& c);

  bool stopped() const { return !error_.empty() || interrupted_ || budget_exhausted_; }
  const std::string& error() const { return error_; }
  bool interrupted() const { return interrupted_; }
  bool budget_exhausted() const { return budget_exhausted_; }
  const std::optional<RunRecord>& first_failure() const { return first_; }
  const std::optional<RunRecord>& smallest_failure() const { return best_; }
  uint32_t passed() const { return passed_; }
  uint32_t discarded() const { return discarded_; }
  uint32_t shrink_steps() const { return shrink_steps_; }
  uint32_t shrink_runs() const { return shrink_runs_; }
  double shrink_seconds() const;
  size_t runs() const { return records_.size(); }

  nlohmann::json RunsJson() const;

 private:
  Verdict Judge(const RunRecord& r);
  void Forget(const RunRecord& r);  // removes a run's folder unless it is kept as evidence

  const CheckOptions& o_;
  std::vector<RunRecord> records_;
  std::unordered_map<std::string, size_t> by_command_;  // command line -> records_ index
  std::optional<RunRecord> first_, best_;
  std::string error_;
  bool interrupted_ = false;
  bool budget_exhausted_ = false;
  uint32_t passed_ = 0, discarded_ = 0, shrink_steps_ = 0, shrink_runs_ = 0;
  int64_t shrink_started_ms_ = 0;
};

}  // namespace powercut::harness
