// Small, fast, deterministic hashing used by the value codec and the seeded streams.
// Not cryptographic: it detects corruption, it does not resist an adversary.
#pragma once

#include <cstdint>
#include <cstring>

namespace powercut {

inline uint64_t Mix64(uint64_t x) {  // SplitMix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Hashes 8 bytes at a time; the tail is folded in byte by byte.
inline uint64_t HashBytes(const void* data, size_t size_bytes, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = Mix64(seed ^ (size_bytes * 0x9e3779b97f4a7c15ULL));
  size_t i = 0;
  for (; i + 8 <= size_bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ Mix64(w)) * 0x9fb21c651e98df25ULL;
  }
  uint64_t tail = 0;
  for (size_t j = 0; i < size_bytes; ++i, ++j) tail |= static_cast<uint64_t>(p[i]) << (8 * j);
  return Mix64(h ^ tail);
}

}  // namespace powercut
