// The rapidcheck generator of property-run cases. Every choice shrinks toward the smallest
// case that still means something: one cycle, one op per cycle, ten keys, the `puts`
// profile, a process kill, small values, and RocksDB's default for every option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rapidcheck.h>
#include <nlohmann/json.hpp>

#include "harness/check/case.h"
#include "harness/check/options.h"

namespace powercut::harness {

// Every workload profile and fault a case may have, simplest first.
const std::vector<std::string>& AllProfiles();
const std::vector<std::string>& AllFaults();

struct GenLimits {
  // Most cycles a case may have. Cycle counts are skewed small: 60% of cases have at most
  // 10, a tenth more than a sixth of the maximum, so a maximum in the hundreds still gives a
  // search many cases an hour.
  uint32_t max_cycles = 20;
  bool value_sizes = false;         // powercut run accepts --value-min-bytes/--value-max-bytes
  bool explore = true;              // cases explore crash states (run --explore)
  std::vector<std::string> forced;  // NAME=VALUE on every case: not drawn, never shrunk away
  // The profiles and faults cases are drawn from (check --profile, --fault), in the order
  // shrinking prefers; all of them by default.
  std::vector<std::string> profiles = AllProfiles();
  std::vector<std::string> faults = AllFaults();
  FilterContext filter;
};

// Cases that pass Incompatibility() only, at every size rapidcheck asks for.
rc::Gen<CheckCase> GenCheckCase(const GenLimits& limits);

// True if both option sets the case's chain runs with (before and after its change) pass
// Incompatibility(): what every generated, mutated or shrunk case must be.
bool Admissible(const CheckCase& c, const GenLimits& limits);

// The generator's case for `seed`, outside a property (the hunt draws its own).
CheckCase SampleCase(const GenLimits& limits, uint64_t seed);

// What the generator draws from, and what it leaves out, for check-report.json.
nlohmann::json GeneratedJson(const GenLimits& limits);
nlohmann::json NotGeneratedJson(const GenLimits& limits);

// The run flag whose presence tells that powercut run takes value sizes (GenLimits).
inline constexpr const char* kValueSizeFlag = "--value-max-bytes";

}  // namespace powercut::harness
