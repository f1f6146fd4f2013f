// ChainRunner: one chain's life. Each cycle starts a writer on the recovered store, which
// first verifies it (the verdict of the previous cycle's fault) and then writes on; the
// controller injects this cycle's fault, reads the acks, and records the durable point the
// contract gives. The chain stops at its first FAIL, keeping the store as recovered.
#pragma once

#include <cstdint>

#include "harness/run/plan.h"
#include "harness/run/run_state.h"

namespace powercut::harness {

// Chain k runs cycle numbers k+1, k+1+chains, k+1+2·chains, …: the numbering, and so every
// seeded choice, does not depend on how the chains' threads are scheduled.
void RunChain(const RunPlan& plan, uint32_t chain, RunState* state);

// Chains of different shards of one run get disjoint seeds: they derive from (seed, shard).
uint64_t ChainSeed(uint64_t run_seed, uint32_t shard, uint32_t chain);

}  // namespace powercut::harness
