// `powercut check`: a property run. rapidcheck generates cases (profile, key space, cycles,
// ops per cycle, fault, power-cut mode, durability options), each runs as a real
// `powercut run` child, and the property is that it passes. A failing case is shrunk to a
// minimal one, printed with its own reproduce line and written to check-report.json.
// Exit status: 0 every case passed, 1 a failure was found, 2 bad input or the harness
// failed, 130 interrupted (check-report.json is written, marked incomplete).
#pragma once

#include "harness/check/session_options.h"

namespace powercut::harness {

int CheckCommand(const CheckOptions& options);

}  // namespace powercut::harness
