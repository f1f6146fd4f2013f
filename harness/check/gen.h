// The rapidcheck generator of property-run cases. Every choice shrinks toward the smallest
// case that still means something: one cycle, one op per cycle, ten keys, the `puts`
// profile, a process kill, small values, and RocksDB's default for every option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "harness/check/case.h"
#include "harness/check/options.h"

namespace powercut::harness {

struct GenLimits {
  uint32_t max_cycles = 20;
  bool value_sizes = false;         // powercut run accepts --value-min-bytes/--value-max-bytes
  std::vector<std::string> forced;  // NAME=VALUE on every case: not drawn, never shrunk away
  FilterContext filter;
};

// Cases that pass Incompatibility() only, at every size rapidcheck asks for.
rc::Gen<CheckCase> GenCheckCase(const GenLimits& limits);

}  // namespace powercut::harness
