// `powercut run`: its flags, their validation into a RunPlan, and the run itself.
#pragma once

#include <string>
#include <vector>

#include "harness/run/plan.h"
#include "src/status.h"

namespace powercut::harness {

// Parses the arguments after `powercut run` (e.g. {"--seed", "5", "--fault", "kill"}) into
// *plan exactly as the command line does, writer_path aside. BadInput with the one-line
// message otherwise. The reproduce line a report carries parses back to the same plan.
Status ParseRunArgs(const std::vector<std::string>& args, RunPlan* plan);

// The long flag names of `powercut run`, hidden test flags included, for tests that check
// that a reproduce line leaves none out.
std::vector<std::string> RunFlagNames();

}  // namespace powercut::harness
