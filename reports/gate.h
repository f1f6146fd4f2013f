// The release gate (`powercut gate`): decides whether a set of reports is a pass a release
// may trust. Works on raw JSON, not RunResult, so that a report that does not even parse
// as the schema is a reason to refuse like any other, not an exception to handle.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace powercut::reports {

struct GateOptions {
  // Total cycles over all accepted reports. At least 1 by default: a report of zero cycles
  // proves nothing, however green.
  uint64_t min_cycles = 1;
  // Fault kinds ("kill", "power-cut", ...) that at least one cycle must have exercised.
  std::vector<std::string> required_faults;
  // Names of the reports for the reason lines (e.g. their paths), parallel to `reports`;
  // "report N" (1-based) where missing.
  std::vector<std::string> labels;
};

// One line per reason to refuse; empty means pass. Reasons: no report; a report that is not
// of the known schema version or violates the schema (FromJson's checks: required fields,
// types, closed objects, a summary that matches the cycles); an incomplete report; failed
// cycles; a report given twice (the same shard of the same seed and plan, counted once);
// fewer cycles in total than min_cycles; a required fault kind no cycle exercised.
std::vector<std::string> GateReasons(const std::vector<nlohmann::json>& reports,
                                     const GateOptions& opts);

// The reasons a hunt's check-report.json (`powercut check --duration`) keeps a release out:
// it is not a hunt report, it is incomplete (interrupted, or the harness failed), it ran no
// case, or it has findings (one reason each, with its replay line). Empty: no finding.
std::vector<std::string> HuntGateReasons(const nlohmann::json& check_report,
                                         const std::string& label);

}  // namespace powercut::reports
