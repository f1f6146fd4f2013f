// Lanes: how the ops of a chain are shared among T writer threads, and which keys each may
// touch, so that ops which may run at once never touch the same key.
//
// Op i belongs to thread (i − 1) mod T and is its round (i − 1) div T. The writer issues ops
// in index order and each thread runs its own ops one after the other, so op i is issued only
// after op i − T (same thread) was acknowledged: at most the T − 1 ops before it can still be
// in flight beside it, and every op at least T before it precedes it in real time.
//
// The invariant that makes the verdict exact: any T consecutive ops touch disjoint keys. Then
// the state after a set of ops does not depend on the order in which concurrent ones were
// applied (src/verifier.h). The key space is split in half:
//   - private: thread t alone writes [t·P/T, (t+1)·P/T), P = keys / 2;
//   - shared: 2T parts of the other half. In round ρ thread t writes part
//     ((t + ρ div 2) mod T) + (ρ mod 2)·T: within a round the parts differ, two adjacent rounds
//     use different halves of the parts, and the rotation hands every part to every thread
//     over time — so the shared keys are written by all threads, never by two at once.
#pragma once

#include <cassert>
#include <cstdint>

namespace powercut::workloads {

inline constexpr uint32_t kMaxThreads = 16;
inline constexpr uint32_t kMinKeysPerThread = 8;  // every private range and shared part non-empty

// A contiguous range of key ids [begin, end).
struct KeyRange {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t size() const { return end - begin; }
};

class Lanes {
 public:
  Lanes(uint32_t key_count, uint32_t threads) : keys_(key_count), threads_(threads) {
    assert(threads >= 1 && (threads == 1 || key_count >= kMinKeysPerThread * threads));
  }

  uint32_t threads() const { return threads_; }
  uint32_t ThreadOf(uint64_t op_index) const {
    return static_cast<uint32_t>((op_index - 1) % threads_);
  }

  // The keys op `op_index` may touch: its thread's private range (private_keys) or its round's
  // shared part. With one thread, the whole key space either way.
  KeyRange For(uint64_t op_index, bool private_keys) const {
    if (threads_ == 1) return {0, keys_};
    const uint64_t t = (op_index - 1) % threads_, round = (op_index - 1) / threads_;
    const uint32_t half = keys_ / 2;
    if (private_keys) return Slice(0, half, t, threads_);
    const uint64_t part = (t + round / 2) % threads_ + (round % 2) * threads_;
    return Slice(half, keys_, part, 2 * threads_);
  }

 private:
  static KeyRange Slice(uint32_t begin, uint32_t end, uint64_t i, uint64_t n) {
    const uint64_t span = end - begin;
    return {static_cast<uint32_t>(begin + i * span / n),
            static_cast<uint32_t>(begin + (i + 1) * span / n)};
  }

  uint32_t keys_;
  uint32_t threads_;
};

}  // namespace powercut::workloads
