// What a hunt writes to its report folder (atomically, by the caller): check-report.json
// (mode "hunt"), report.txt for people and metrics.prom for Prometheus' textfile collector.
// Each distinct finding is listed once, with its count, when it was first seen, its shrunk
// case's `powercut run` line and its `powercut replay` line.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "harness/check/gen.h"
#include "harness/check/hunt.h"
#include "harness/check/session_options.h"

namespace powercut::harness {

// "pass" (no finding), "fail" (findings), "error" or "interrupted".
std::string HuntStatus(const HuntResult& r);

nlohmann::json HuntJson(const CheckOptions& o, const GenLimits& l, const HuntResult& r);
std::string HuntText(const CheckOptions& o, const HuntResult& r);
std::string HuntMarkdown(const CheckOptions& o, const HuntResult& r);  // the job summary
std::string HuntPrometheus(const HuntResult& r);

}  // namespace powercut::harness
