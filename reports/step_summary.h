// GitHub Actions job summaries: when GITHUB_STEP_SUMMARY names a file, run, check, merge and
// gate append a short Markdown block to it, which the Actions UI shows on the run's page.
#pragma once

#include <string>

#include "reports/run_result.h"
#include "src/status.h"

namespace powercut::reports {

// Failures a summary lists with their reproduce lines; the rest are counted (the report has
// them all).
inline constexpr size_t kStepSummaryFailures = 10;

// "### powercut <title>: PASS|FAIL|INCOMPLETE", cycles and verdicts, then the first
// kStepSummaryFailures failures, each with its reproduce line in a code span.
std::string StepSummaryMarkdown(const RunResult& run, const std::string& title);

// Appends `markdown` to the file $GITHUB_STEP_SUMMARY names; Ok and nothing done when the
// variable is unset or empty (not in GitHub Actions). IoError naming the file otherwise.
Status AppendStepSummary(const std::string& markdown);

}  // namespace powercut::reports
