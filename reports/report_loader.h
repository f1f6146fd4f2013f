// Reading report.json files back, for merge, gate and replay. Every problem is BadInput with
// one line naming the file, since a report a user passed on the command line is input.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "reports/run_result.h"
#include "src/status.h"

namespace powercut::reports {

// Reads and parses the file as JSON, without checking the schema (the gate wants to give
// its own reason for a schema violation). BadInput when unreadable or not JSON.
Status LoadReportJson(const std::string& path, nlohmann::json* doc);

// LoadReportJson then FromJson; errors are prefixed with the path.
Status LoadReport(const std::string& path, RunResult* run);

}  // namespace powercut::reports
