// Seeded randomness. Everything random in powercut derives from the run seed through a
// named stream, so that the same seed and plan give the same ops, options and crash points.
// There is deliberately no way to construct an Rng without a seed.
#pragma once

#include <cassert>
#include <cstdint>
#include <string_view>

#include "src/hash.h"

namespace powercut {

class Rng {
 public:
  // A stream named `name` of `seed`, optionally indexed (e.g. op index, chain index).
  Rng(uint64_t seed, std::string_view name, uint64_t index = 0)
      : state_(Mix64(seed ^ HashBytes(name.data(), name.size(), 0x9e3779b97f4a7c15ULL) ^
                     Mix64(index + 0x632be59bd9b4e019ULL))) {}

  uint64_t Next() {  // SplitMix64: tiny state, good enough for workload choices
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }

  // Uniform in [0, n). n > 0.
  uint64_t Uniform(uint64_t n) {
    assert(n > 0);
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

  // Uniform in [lo, hi], inclusive.
  uint64_t Between(uint64_t lo, uint64_t hi) {
    assert(lo <= hi);
    return lo + Uniform(hi - lo + 1);
  }

  // True with probability per_million / 1e6.
  bool Chance(uint32_t per_million) { return Uniform(1000000) < per_million; }

  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace powercut
