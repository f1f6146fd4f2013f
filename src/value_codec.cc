#include "src/value_codec.h"

#include <cassert>
#include <cstring>

#include "src/hash.h"

namespace powercut {
namespace {

constexpr uint32_t kMagic = 0x31564350;  // "PCV1"
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

}  // namespace

std::string EncodeValue(uint64_t seed, uint32_t key_id, uint64_t op_index, uint32_t length_bytes) {
  assert(length_bytes >= kValueHeaderBytes && length_bytes <= kMaxValueBytes);
  std::string v(length_bytes, '\0');
  Put<uint32_t>(&v, 0, kMagic);
  Put<uint32_t>(&v, 4, key_id);
  Put<uint64_t>(&v, 8, op_index);
  Put<uint32_t>(&v, 16, length_bytes);
  // Payload: a SplitMix64 stream of (seed, op, key). Half of each 16-byte block repeats, so
  // the value compresses about 2:1 the way real data often does.
  uint64_t state = Mix64(seed ^ Mix64(op_index * 0x9e3779b97f4a7c15ULL + key_id));
  for (size_t i = kValueHeaderBytes; i < length_bytes; i += 8) {
    if ((i / 8) % 2 == 0) state = Mix64(state + 0x9e3779b97f4a7c15ULL);
    const size_t n = std::min<size_t>(8, length_bytes - i);
    std::memcpy(v.data() + i, &state, n);
  }
  Put<uint32_t>(&v, kChecksumOffset, Checksum(v));
  return v;
}

DecodedValue DecodeValue(uint32_t key_id, std::string_view value) {
  DecodedValue d;
  using P = DecodedValue::Problem;
  if (value.size() < kValueHeaderBytes) {
    d.problem = P::kTooShort;
    return d;
  }
  if (Get<uint32_t>(value, 0) != kMagic) {
    d.problem = P::kBadMagic;
    return d;
  }
  d.op_index = Get<uint64_t>(value, 8);
  d.length_bytes = Get<uint32_t>(value, 16);
  if (d.length_bytes != value.size()) {
    d.problem = P::kBadLength;
  } else if (Get<uint32_t>(value, kChecksumOffset) != Checksum(value)) {
    d.problem = P::kBadChecksum;
  } else if (Get<uint32_t>(value, 4) != key_id) {
    d.problem = P::kWrongKey;
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
