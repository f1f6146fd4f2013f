// Writes a run's report folder: report.json, report.txt, report.html, junit.xml, metrics.prom. Each
// file is written atomically (src/atomic_file.h), so a reader never sees a torn report.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "reports/run_result.h"
#include "src/status.h"

namespace powercut::reports {

// Creates `dir` if needed (create_directories) and writes report.txt, report.html, junit.xml,
// metrics.prom (reports/prometheus.h) and, last, report.json into it. IoError naming the path when
// a directory or file cannot be written; a file that could not be written is left as it was (or
// absent), never half-written.
Status WriteReports(const RunResult& run, const std::string& dir);

// The pieces, for tests and for merge.

// report.json: every RunResult field plus the derived "summary". Writes the current schema
// version, {} for a null plan, at most kMaxFindingsPerCycle findings per cycle, and the
// default reproduce command on a FAIL cycle that has none.
nlohmann::json ToJson(const RunResult& run);
// Strict inverse of ToJson: BadInput naming the field (e.g. "report field
// 'cycles[3].verdict' must be ...") for a missing, mistyped or unknown field, an unknown
// schema_version, a repeated cycle, or a summary that disagrees with the cycles.
Status FromJson(const nlohmann::json& doc, RunResult* run);
// report.txt; the first line says PASS, FAIL or INCOMPLETE. `running`: the run is still
// going (the live /summary): the first line says RUNNING, the status reads "running" and
// only the latest failures are printed (in the order they finished), the count of the
// earlier ones in their place.
std::string ToText(const RunResult& run, bool running = false);
// report.html: the page a person reads (reports/html_report.cc). Self-contained: inline CSS,
// SVG and script, nothing fetched.
std::string ToHtml(const RunResult& run);
// junit.xml: one testsuite "powercut", a testcase per cycle, an error testcase if incomplete.
std::string ToJunit(const RunResult& run);

}  // namespace powercut::reports
