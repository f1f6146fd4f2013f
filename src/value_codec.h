// Self-describing values. Every value the writer stores names the key it belongs to and the
// op that wrote it, carries its own length and a checksum over everything else, and fills
// the rest with a payload derived from (seed, op index, key id). So a value read back can be
// judged on its own: damaged, foreign, or naming exactly one write.
//
// Three shapes share one header, little-endian:
//   put value      "PCV1" | key_id u32 | op u64 | length u32 | checksum u32 | payload
//   merge operand  "PCM1" | key_id u32 | op u64 | length u32 | checksum u32 | payload
//   merge result   "PCR1" | key_id u32 | last_op u64 | length u32 (= 48) | checksum u32 |
//                  base_op u64 | base_bytes u32 | merge_count u32 | merge_xor u64
// A merge result names the put under it (base_op, base_bytes; 0 when there is none), how many
// merges were applied since, the last one, and the xor of their op indices: enough to tell
// which merges a store kept without storing them all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace powercut {

inline constexpr uint32_t kValueHeaderBytes = 24;
inline constexpr uint32_t kMergeResultBytes = 48;
inline constexpr uint32_t kMaxValueBytes = 1 << 20;  // 1 MiB, the largest a profile may ask

// How well payloads compress, as db_bench's --compression_ratio means it: a payload is a
// fresh pseudo-random fragment of ratio x its length, repeated to fill it, so a compressor
// shrinks it to about that fraction. 1: incompressible; 0: one byte repeated.
inline constexpr double kDefaultCompressionRatio = 0.5;

// The value op `op_index` puts under `key_id`; length_bytes in [kValueHeaderBytes,
// kMaxValueBytes], compression_ratio in [0, 1].
std::string EncodeValue(uint64_t seed, uint32_t key_id, uint64_t op_index, uint32_t length_bytes,
                        double compression_ratio = kDefaultCompressionRatio);
// The operand op `op_index` merges into `key_id`.
std::string EncodeMergeOperand(uint64_t seed, uint32_t key_id, uint64_t op_index,
                               uint32_t length_bytes,
                               double compression_ratio = kDefaultCompressionRatio);

// A key's live content, as the oracle expects it and as a value read back describes it.
struct Slot {
  uint64_t op = 0;           // last op that put, merged or deleted the key; 0 = never touched
  uint64_t base_op = 0;      // the put under any merges; 0 = none
  uint64_t merge_xor = 0;    // xor of the op indices merged since the base
  uint32_t value_bytes = 0;  // length of the base put's value; 0 = no base
  uint32_t merge_count = 0;  // merges applied since the base (or since the key was absent)

  bool present() const { return value_bytes != 0 || merge_count != 0; }
  bool operator==(const Slot&) const = default;
};

struct DecodedValue {
  enum class Problem : uint8_t {
    kNone,
    kTooShort,     // shorter than a header
    kBadMagic,     // not a powercut value at all
    kBadLength,    // the length field disagrees with the size
    kBadChecksum,  // a powercut value whose bytes changed
    kWrongKey,     // an intact value of another key
  };
  enum class Kind : uint8_t { kPut, kOperand, kResult };
  Problem problem = Problem::kNone;
  Kind kind = Kind::kPut;
  Slot slot;  // what the value says about its key (operand: op and value_bytes only)

  bool ok() const { return problem == Problem::kNone; }
};

// Judges `value` found under key `key_id`.
DecodedValue DecodeValue(uint32_t key_id, std::string_view value);

// A merge result holding `slot` for `key_id` (slot.present() and merge_count > 0).
std::string EncodeMergeResult(uint32_t key_id, const Slot& slot);

const char* ProblemName(DecodedValue::Problem problem);

}  // namespace powercut
