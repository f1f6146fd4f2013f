// The writer's `metrics <json>` line: how a recovered store's metrics (store_metrics.h)
// travel over the writer's pipe to the controller, which puts them into the cycle's
// reports::CycleResult::metrics.
#pragma once

#include <map>
#include <string>

#include "src/status.h"

namespace powercut::harness {

inline constexpr const char* kMetricsLinePrefix = "metrics ";

inline bool IsMetricsLine(const std::string& line) {
  return line.rfind(kMetricsLinePrefix, 0) == 0;
}

// Parses a line "metrics {...}" (no newline) into name -> value, adding to `out` (an entry
// already there is overwritten). BadInput, `out` untouched, unless the JSON is a flat object
// of at most reports::kMaxMetricsPerCycle entries whose names pass reports::ValidMetricName
// and whose values are finite numbers: the line comes from another process, and a report
// must not carry what its schema refuses.
Status ParseMetricsLine(const std::string& line, std::map<std::string, double>* out);

}  // namespace powercut::harness
