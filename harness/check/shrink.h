// Shrinking a hunt's finding: the cases a step smaller than a failing one, in the order a
// greedy shrink tries them (what makes a run long first). The hunt runs each until one fails
// the same way, moves to it, and asks again; rapidcheck's integer shrinks (halving toward the
// smallest value that still means something) give the candidate sizes.
#pragma once

#include <vector>

#include "harness/check/case.h"

namespace powercut::harness {

std::vector<CheckCase> SmallerCases(const CheckCase& c);

}  // namespace powercut::harness
