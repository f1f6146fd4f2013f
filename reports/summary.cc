#include "reports/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace powercut::reports {

Distribution Distribute(std::vector<double> values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  d.count = n;
  d.min = values.front();
  d.max = values.back();
  d.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  // Nearest rank: the smallest value with at least 95% of the values at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(n)));
  d.p95 = values[std::max<size_t>(rank, 1) - 1];
  for (double v : values) d.sum += v;
  return d;
}

Summary Summarize(const RunResult& run) {
  Summary s;
  std::vector<double> recovery;
  recovery.reserve(run.cycles.size());
  std::map<std::string, std::vector<double>> metrics;
  for (const CycleResult& c : run.cycles) {
    ++s.cycles;
    if (Failed(c)) {
      ++s.failed;
    } else {
      ++s.passed;
    }
    for (const std::string& k : c.classes) ++s.verdicts_by_class[k];
    ++s.faults_seen[c.fault];
    // An I/O error cycle counts under the fault that ended it and as io-error too, so a gate
    // can require that the error paths were exercised.
    if (!c.io_error.empty()) ++s.faults_seen["io-error"];
    recovery.push_back(c.recovery_ms);
    // The same filter as ToJson, so a summary recomputed from a parsed report agrees.
    for (const auto& [name, value] : WrittenMetrics(c)) metrics[name].push_back(value);
    s.crash_states.judged += c.explored.judged;
    s.crash_states.settled += c.explored.settled;
    s.crash_states.distinct += c.explored.distinct;
    s.crash_states.failed += c.explored.failed;
    for (const auto& [k, n] : c.explored.classes) s.crash_states.classes[k] += n;
    for (const auto& [k, n] : c.explored.coverage) s.crash_states.coverage[k] += n;
  }
  for (auto& [name, values] : metrics) s.metrics[name] = Distribute(std::move(values));
  if (run.duration_s > 0) s.cycles_per_second = static_cast<double>(s.cycles) / run.duration_s;
  const Distribution rec = Distribute(std::move(recovery));
  s.recovery_ms_min = rec.min;
  s.recovery_ms_median = rec.median;
  s.recovery_ms_max = rec.max;
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

std::string CrashStatesToString(const Summary::CrashStates& cs) {
  return fmt::format(
      "{} judged ({} images opened, {} settled by an equal image, {} distinct planned), {} "
      "failed{}",
      cs.states(), cs.judged, cs.settled, cs.distinct, cs.failed,
      cs.classes.empty() ? "" : " (" + CountsToString(cs.classes) + ")");
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
