// The op generator: op i of a chain is a pure function of (seed, spec, i). Nothing is
// remembered between calls, so the writer, the controller and the verifier each regenerate
// exactly the same ops on demand, in any order.
#pragma once

#include <cstdint>

#include "src/op.h"
#include "workloads/spec.h"

namespace powercut::workloads {

class OpGenerator final : public OpSource {
 public:
  OpGenerator(uint64_t seed, const WorkloadSpec& spec) : seed_(seed), spec_(spec) {}
  Op Get(uint64_t index) const override;

  uint64_t seed() const { return seed_; }
  const WorkloadSpec& spec() const { return spec_; }

 private:
  uint64_t seed_;
  WorkloadSpec spec_;
};

}  // namespace powercut::workloads
