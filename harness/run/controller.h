// The controller: runs a validated plan's chains side by side, shows progress, handles
// SIGINT/SIGTERM, writes the reports, and returns the exit status DESIGN.md fixes:
// 0 all PASS, 1 a FAIL, 2 bad input or harness failure, 130 interrupted.
#pragma once

#include "harness/run/plan.h"

namespace powercut::harness {

inline constexpr int kExitPass = 0;
inline constexpr int kExitFail = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInterrupted = 130;

int RunController(const RunPlan& plan);

}  // namespace powercut::harness
