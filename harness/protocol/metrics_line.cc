#include "harness/protocol/metrics_line.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "reports/run_result.h"

namespace powercut::harness {

Status ParseMetricsLine(const std::string& line, std::map<std::string, double>* out) {
  if (!IsMetricsLine(line)) return Status::BadInput("not a metrics line");
  const nlohmann::json doc =
      nlohmann::json::parse(line.substr(std::string(kMetricsLinePrefix).size()), nullptr, false);
  if (!doc.is_object()) return Status::BadInput("metrics line is not a JSON object");
  if (doc.size() > reports::kMaxMetricsPerCycle) {
    return Status::BadInput(fmt::format("metrics line holds {} metrics, at most {} allowed",
                                        doc.size(), reports::kMaxMetricsPerCycle));
  }
  std::map<std::string, double> parsed;
  for (const auto& [name, value] : doc.items()) {
    if (!reports::ValidMetricName(name)) {
      return Status::BadInput("metrics line names an invalid metric '" + name.substr(0, 80) + "'");
    }
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      return Status::BadInput("metric '" + name + "' is not a finite number");
    }
    parsed[name] = value.get<double>();
  }
  for (const auto& [name, value] : parsed) (*out)[name] = value;
  return Status::Ok();
}

}  // namespace powercut::harness
