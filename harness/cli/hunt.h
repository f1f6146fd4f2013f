// `powercut check --duration D`: the hunt (harness/check/hunt.h) as a command. Runs it,
// writes check-report.json, report.txt and metrics.prom atomically into the report folder,
// prints each distinct finding and appends the job summary. Exit status: 0 no finding, 1
// findings, 2 the harness failed, 130 interrupted (the reports are written, marked so).
#pragma once

#include "harness/check/gen.h"
#include "harness/check/session_options.h"

namespace powercut::harness {

// `o` validated and its folders prepared by CheckCommand.
int HuntCommand(const CheckOptions& o, const GenLimits& limits);

}  // namespace powercut::harness
