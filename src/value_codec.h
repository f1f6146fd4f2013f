// Self-describing values. Every value the writer stores names the key it belongs to and the
// op that wrote it, carries its own length and a checksum over everything else, and fills
// the rest with a payload derived from (seed, op index, key id). So a value read back can be
// judged on its own: corrupt (checksum, length or key wrong) or naming exactly one write.
//
// Layout, little-endian: magic u32 | key_id u32 | op_index u64 | length u32 | checksum u32 |
// payload. length counts the whole value; checksum covers every byte except itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace powercut {

inline constexpr uint32_t kValueHeaderBytes = 24;
inline constexpr uint32_t kMaxValueBytes = 1 << 20;  // 1 MiB, the largest a profile may ask

// Builds the value op `op_index` writes to `key_id`. length_bytes in
// [kValueHeaderBytes, kMaxValueBytes].
std::string EncodeValue(uint64_t seed, uint32_t key_id, uint64_t op_index, uint32_t length_bytes);

struct DecodedValue {
  enum class Problem { kNone, kTooShort, kBadMagic, kBadLength, kBadChecksum, kWrongKey };
  Problem problem = Problem::kNone;
  uint64_t op_index = 0;
  uint32_t length_bytes = 0;

  bool ok() const { return problem == Problem::kNone; }
};

// Judges `value` found under key `key_id`.
DecodedValue DecodeValue(uint32_t key_id, std::string_view value);

const char* ProblemName(DecodedValue::Problem problem);

}  // namespace powercut
