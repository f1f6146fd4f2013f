#include "reports/summary.h"

#include <algorithm>
#include <vector>

namespace powercut::reports {

Summary Summarize(const RunResult& run) {
  Summary s;
  std::vector<double> recovery;
  recovery.reserve(run.cycles.size());
  for (const CycleResult& c : run.cycles) {
    ++s.cycles;
    if (Failed(c)) {
      ++s.failed;
    } else {
      ++s.passed;
    }
    for (const std::string& k : c.classes) ++s.verdicts_by_class[k];
    ++s.faults_seen[c.fault];
    recovery.push_back(c.recovery_ms);
  }
  if (run.duration_s > 0) s.cycles_per_second = static_cast<double>(s.cycles) / run.duration_s;
  if (!recovery.empty()) {
    std::sort(recovery.begin(), recovery.end());
    const size_t n = recovery.size();
    s.recovery_ms_min = recovery.front();
    s.recovery_ms_max = recovery.back();
    s.recovery_ms_median =
        n % 2 == 1 ? recovery[n / 2] : (recovery[n / 2 - 1] + recovery[n / 2]) / 2;
  }
  // Incomplete wins over fail: an interrupted run proves nothing about the cycles it never
  // ran, and the gate must never read it as a plain verdict.
  if (!run.complete) {
    s.status = "incomplete";
  } else if (s.failed > 0) {
    s.status = "fail";
  } else {
    s.status = "pass";
  }
  return s;
}

std::string CountsToString(const std::map<std::string, uint64_t>& counts) {
  if (counts.empty()) return "none";
  std::string out;
  for (const auto& [name, n] : counts) {
    if (!out.empty()) out += ", ";
    out += name + " " + std::to_string(n);
  }
  return out;
}

}  // namespace powercut::reports
