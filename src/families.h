// Column families: how a chain's key space is spread over them. Family f holds the key ids
// [Begin(f), End(f)), contiguous, so a family is a key range to the oracle and the verifier
// (dropping a family is a delete of its range) and the key format needs no family tag.
// Family 0 is RocksDB's "default"; the others are named "cf1", "cf2", ….
#pragma once

#include <cassert>
#include <cstdint>
#include <string>

namespace powercut {

inline constexpr uint32_t kMaxColumnFamilies = 16;

class FamilyLayout {
 public:
  FamilyLayout(uint32_t key_count, uint32_t families) : keys_(key_count), families_(families) {
    assert(families >= 1 && families <= kMaxColumnFamilies && families <= key_count);
  }

  uint32_t count() const { return families_; }
  uint32_t Begin(uint32_t f) const {
    return static_cast<uint32_t>(uint64_t{f} * keys_ / families_);
  }
  uint32_t End(uint32_t f) const { return Begin(f + 1); }
  // The largest f with Begin(f) <= k: f * keys / families <= k  ⇔  f <= ((k+1)·families − 1)/keys.
  uint32_t Of(uint32_t key_id) const {
    return static_cast<uint32_t>(((uint64_t{key_id} + 1) * families_ - 1) / keys_);
  }

 private:
  uint32_t keys_;
  uint32_t families_;
};

inline std::string FamilyName(uint32_t f) {
  return f == 0 ? std::string("default") : "cf" + std::to_string(f);
}

}  // namespace powercut
