#include "src/value_codec.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "src/hash.h"

namespace powercut {
namespace {

constexpr uint32_t kPutMagic = 0x31564350;      // "PCV1"
constexpr uint32_t kOperandMagic = 0x314d4350;  // "PCM1"
constexpr uint32_t kResultMagic = 0x31524350;   // "PCR1"
constexpr size_t kChecksumOffset = 20;

template <typename T>
void Put(std::string* out, size_t offset, T v) {
  std::memcpy(out->data() + offset, &v, sizeof(T));
}

template <typename T>
T Get(std::string_view in, size_t offset) {
  T v;
  std::memcpy(&v, in.data() + offset, sizeof(T));
  return v;
}

uint32_t Checksum(std::string_view value) {
  uint64_t h = HashBytes(value.data(), kChecksumOffset, 0x5eedULL);
  h = HashBytes(value.data() + kValueHeaderBytes, value.size() - kValueHeaderBytes, h);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

std::string Encode(uint32_t magic, uint64_t seed, uint32_t key_id, uint64_t op_index,
                   uint32_t length_bytes, double compression_ratio) {
  assert(length_bytes >= kValueHeaderBytes && length_bytes <= kMaxValueBytes);
  assert(compression_ratio >= 0 && compression_ratio <= 1);
  std::string v(length_bytes, '\0');
  Put<uint32_t>(&v, 0, magic);
  Put<uint32_t>(&v, 4, key_id);
  Put<uint64_t>(&v, 8, op_index);
  Put<uint32_t>(&v, 16, length_bytes);
  // Payload: a fragment from a SplitMix64 stream of (seed, op, key), repeated to the end.
  const size_t payload = length_bytes - kValueHeaderBytes;
  const size_t fresh = std::clamp<size_t>(
      static_cast<size_t>(static_cast<double>(payload) * compression_ratio + 0.999), 1,
      std::max<size_t>(payload, 1));
  uint64_t state = Mix64(seed ^ Mix64(op_index * 0x9e3779b97f4a7c15ULL + key_id));
  char* out = v.data() + kValueHeaderBytes;
  for (size_t i = 0; i < fresh && i < payload; i += 8) {
    state = Mix64(state + 0x9e3779b97f4a7c15ULL);
    std::memcpy(out + i, &state, std::min<size_t>(8, std::min(fresh, payload) - i));
  }
  for (size_t i = fresh; i < payload; ++i) out[i] = out[i % fresh];
  Put<uint32_t>(&v, kChecksumOffset, Checksum(v));
  return v;
}

}  // namespace

std::string EncodeValue(uint64_t seed, uint32_t key_id, uint64_t op_index, uint32_t length_bytes,
                        double compression_ratio) {
  return Encode(kPutMagic, seed, key_id, op_index, length_bytes, compression_ratio);
}

std::string EncodeMergeOperand(uint64_t seed, uint32_t key_id, uint64_t op_index,
                               uint32_t length_bytes, double compression_ratio) {
  return Encode(kOperandMagic, seed, key_id, op_index, length_bytes, compression_ratio);
}

std::string EncodeMergeResult(uint32_t key_id, const Slot& slot) {
  std::string v(kMergeResultBytes, '\0');
  Put<uint32_t>(&v, 0, kResultMagic);
  Put<uint32_t>(&v, 4, key_id);
  Put<uint64_t>(&v, 8, slot.op);
  Put<uint32_t>(&v, 16, kMergeResultBytes);
  Put<uint64_t>(&v, 24, slot.base_op);
  Put<uint32_t>(&v, 32, slot.value_bytes);
  Put<uint32_t>(&v, 36, slot.merge_count);
  Put<uint64_t>(&v, 40, slot.merge_xor);
  Put<uint32_t>(&v, kChecksumOffset, Checksum(v));
  return v;
}

DecodedValue DecodeValue(uint32_t key_id, std::string_view value) {
  DecodedValue d;
  using P = DecodedValue::Problem;
  using K = DecodedValue::Kind;
  if (value.size() < kValueHeaderBytes) {
    d.problem = P::kTooShort;
    return d;
  }
  const uint32_t magic = Get<uint32_t>(value, 0);
  if (magic == kPutMagic) {
    d.kind = K::kPut;
  } else if (magic == kOperandMagic) {
    d.kind = K::kOperand;
  } else if (magic == kResultMagic) {
    d.kind = K::kResult;
  } else {
    d.problem = P::kBadMagic;
    return d;
  }
  const uint64_t op = Get<uint64_t>(value, 8);
  const uint32_t length = Get<uint32_t>(value, 16);
  if (length != value.size() || (d.kind == K::kResult && length != kMergeResultBytes)) {
    d.problem = P::kBadLength;
    return d;
  }
  if (Get<uint32_t>(value, kChecksumOffset) != Checksum(value)) {
    d.problem = P::kBadChecksum;
    return d;
  }
  if (Get<uint32_t>(value, 4) != key_id) {
    d.problem = P::kWrongKey;
    return d;
  }
  switch (d.kind) {
    case K::kPut:
      d.slot = Slot{op, op, 0, length, 0};
      break;
    case K::kOperand:
      d.slot = Slot{op, 0, op, 0, 1};
      break;  // one merge onto nothing
    case K::kResult:
      d.slot = Slot{op, Get<uint64_t>(value, 24), Get<uint64_t>(value, 40),
                    Get<uint32_t>(value, 32), Get<uint32_t>(value, 36)};
      break;
  }
  return d;
}

const char* ProblemName(DecodedValue::Problem problem) {
  switch (problem) {
    case DecodedValue::Problem::kNone:
      return "ok";
    case DecodedValue::Problem::kTooShort:
      return "shorter than a header";
    case DecodedValue::Problem::kBadMagic:
      return "not a powercut value";
    case DecodedValue::Problem::kBadLength:
      return "length field disagrees with size";
    case DecodedValue::Problem::kBadChecksum:
      return "checksum mismatch";
    case DecodedValue::Problem::kWrongKey:
      return "value names another key";
  }
  return "?";
}

}  // namespace powercut
