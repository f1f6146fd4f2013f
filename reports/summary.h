// The numbers a reader wants first, derived from a run's cycles. Every report format prints
// the same Summary, and FromJson recomputes it to catch a report edited by hand.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "reports/run_result.h"

namespace powercut::reports {

// How one metric spread over the cycles that recorded it. Quantiles are nearest-rank
// (an observed value, never an interpolation), except the median, which is the mean of the
// middle two for an even count, as recovery_ms_median always was.
struct Distribution {
  uint64_t count = 0;  // cycles that recorded the metric
  double min = 0;
  double median = 0;
  double p95 = 0;
  double max = 0;
  double sum = 0;  // for a Prometheus summary's _sum, and a mean

  bool operator==(const Distribution&) const = default;
};

// All zero for no values.
Distribution Distribute(std::vector<double> values);

struct Summary {
  uint64_t cycles = 0;
  uint64_t passed = 0;
  uint64_t failed = 0;
  std::map<std::string, uint64_t> verdicts_by_class;  // class -> cycles carrying it
  std::map<std::string, uint64_t> faults_seen;        // fault kind (and io-error) -> cycles
  double cycles_per_second = 0;                       // 0 when duration_s is 0
  double recovery_ms_min = 0;                         // all 0 when there are no cycles
  double recovery_ms_median = 0;
  double recovery_ms_max = 0;
  std::string status;  // "incomplete" if !complete, else "fail" if any failed, else "pass"
  // Metric name -> its distribution over the cycles that carry it (CycleResult::metrics).
  std::map<std::string, Distribution> metrics;
  // Crash-state exploration over all cycles (CycleResult::explored).
  struct CrashStates {
    uint64_t judged = 0;                       // images judged
    uint64_t settled = 0;                      // duplicates settled by the same image's verdict
    uint64_t distinct = 0;                     // distinct images planned
    uint64_t failed = 0;                       // failing states
    std::map<std::string, uint64_t> classes;   // failing states by class
    std::map<std::string, uint64_t> coverage;  // states by feature key: the run's coverage
    uint64_t states() const { return judged + settled; }
    bool operator==(const CrashStates&) const = default;
  } crash_states;

  bool operator==(const Summary&) const = default;
};

Summary Summarize(const RunResult& run);

// "4357 judged (2621 images opened, 1736 settled by an equal image, 43671 distinct planned),
// 0 failed": the crash-state line report.txt and report.html print.
std::string CrashStatesToString(const Summary::CrashStates& cs);

// "lost-ack 2, torn-batch 1" / "kill 120, stall 80"; "none" when empty.
std::string CountsToString(const std::map<std::string, uint64_t>& counts);

}  // namespace powercut::reports
