// The verifier: is the recovered store equal to the oracle's state after some prefix r of
// the op stream with lo ≤ r ≤ hi? It computes the mismatch set once against the state at
// lo, then applies ops lo+1 … hi one at a time, touching only the keys each op touches, so
// the cost is O(keys + (hi − lo)), never O(keys × ops). The smallest r with no mismatch is
// the recovered point. When there is none, every key wrong at the closest r is classified.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/families.h"
#include "src/in_flight.h"
#include "src/op.h"
#include "src/oracle.h"
#include "src/value_codec.h"
#include "src/verdict.h"

namespace powercut {

// What the store holds for one key id.
struct Observed {
  enum class State : uint8_t { kAbsent, kValue, kCorrupt };
  State state = State::kAbsent;
  DecodedValue::Problem problem = DecodedValue::Problem::kNone;  // kCorrupt only
  uint32_t corrupt_bytes = 0;                                    // kCorrupt only
  Slot slot;                                                     // kValue only
};

// The whole store as read back, one Observed per key id plus keys that are not ours.
struct StoreImage {
  explicit StoreImage(uint32_t key_count, uint32_t families = 1)
      : keys(key_count),
        families(key_count == 0 ? 1 : families),
        layout(key_count == 0 ? 1 : key_count, this->families) {}
  // A key read from column family `family` (src/families.h); a key of another family's range,
  // or of a family that is not the chain's (any `family` >= families), is foreign.
  void Add(std::string_view key, std::string_view value, uint32_t family = 0);

  std::vector<Observed> keys;
  uint32_t families = 1;
  FamilyLayout layout;                       // built once: Add runs for every key of the store
  uint64_t foreign_count = 0;                // keys outside the format or the key space
  std::vector<std::string> foreign_samples;  // at most kMaxFindings of them
};

// Concurrent writers (workloads/lanes.h). With T threads a recovery may keep an op and lose
// one issued just before it that was still in flight, so the states it may leave are
// S = [1, m] ∪ X: every op up to m, none of m + 1, and X a set of ops among m+2 … m+T. Every
// op at least T before another was acknowledged before that one was issued (real-time order),
// so no S may hold an op and lack one T or more before it. Nearer ops are ordered by the
// record of what was in flight at each issue (src/in_flight.h) where the judge has one, and
// taken as concurrent where it has not, which never cries wolf. Any T consecutive ops touch
// disjoint keys, so the state of S does not depend on the order RocksDB applied concurrent ops in,
// and an op of X changes the mismatch count by what it did when the sweep applied it: the search
// stays O(keys + (hi − lo)·T).
struct Concurrency {
  uint32_t threads = 1;
  // Ops above lo that S must hold: acked out of order, or made durable by the contract beside
  // the prefix [1, lo] (src/contract.h).
  std::vector<uint64_t> required;
  // Non-zero: S is the state a checkpoint (or backup) op took while other threads wrote: it
  // holds op cut_at and no op that cut_at precedes (none from cut_at + T on).
  uint64_t cut_at = 0;
  // The real-time order of the ops within T of each other; null: all taken as concurrent.
  const InFlight* in_flight = nullptr;
};

// `base` is the oracle at some index ≤ lo (taken by value: move it in to save a copy);
// lo ≤ hi. Ops come from `ops`.
Verdict Verify(const StoreImage& image, Oracle base, uint64_t lo, uint64_t hi, const OpSource& ops,
               const Concurrency& concurrency = Concurrency());

}  // namespace powercut
