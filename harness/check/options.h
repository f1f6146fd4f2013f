// The durability options a property run draws from, and the combinations it must not run.
// Values are RocksDB 7.8 option-parser text (checked in tests/check_test.cc), listed from
// the mildest change to the strongest, because rapidcheck shrinks a choice toward the first.
#pragma once

#include <string>
#include <vector>

#include "harness/check/case.h"

namespace powercut::harness {

struct OptionChoice {
  std::string name;
  std::vector<std::string> values;  // non-default values only: absent means RocksDB's default
};

const std::vector<OptionChoice>& DurabilityOptions();

struct FilterContext {
  bool direct_io = false;  // the work directory accepts O_DIRECT
};

// Why this case must not run (RocksDB rejects or silently drops the combination, or its
// documented behavior is not point-in-time recovery), or "" when it may. `forced` are
// NAME=VALUE options every case carries.
std::string Incompatibility(const CheckCase& c, const std::vector<std::string>& forced,
                            const FilterContext& ctx);

// True if files in `dir` can be opened with O_DIRECT (tmpfs, for one, refuses).
bool SupportsDirectIo(const std::string& dir);

}  // namespace powercut::harness
