// The durability contract: which acknowledged ops a fault may not take away. It gives the
// durable point lo from the fault, the options in force and the acked ops (DESIGN.md table).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/op.h"
#include "src/status.h"
#include "src/store_config.h"

namespace powercut {

enum class Fault { kKill, kStall, kPowerCut, kClean };

const char* FaultName(Fault fault);
Status ParseFault(const std::string& text, Fault* fault);  // one kind, not "mix"

// What makes an acked op durable, from the weakest promise to the strictest.
enum class Rule {
  kAcked,            // every acked op
  kWalFlushCovered,  // acked ops up to a completed FlushWAL / SyncWAL / sync write / Flush
  kSyncCovered,      // acked ops up to a completed sync write / SyncWAL / FlushWAL(sync)
  kFlushCovered,     // acked ops up to a completed, waited-for Flush
};

struct Contract {
  Rule rule = Rule::kAcked;
  bool forced = false;  // --expect acked overrode what the options promise

  // True if acking `op` makes every op at or below it durable.
  bool Covers(const Op& op) const;
  // e.g. "process kill, WAL on: lo = last acked op"
  std::string Describe(Fault fault) const;
};

Contract ContractFor(Fault fault, const StoreConfig& config, bool expect_acked);

struct Durability {
  uint64_t lo = 0;                    // the durable point
  std::vector<uint64_t> checkpoints;  // checkpoint ops acked: each must open as its state
};

// What a cycle that recovered to `r`, then had ops resume … acked acknowledged, may not lose.
Durability DurableAfter(const Contract& contract, const OpSource& ops, uint64_t r, uint64_t resume,
                        uint64_t acked);

}  // namespace powercut
