// Store keys: "k" followed by the key id in 9 decimal digits, so keys sort by id and a key
// found in the store either parses to an id in the key space or is foreign.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace powercut {

inline constexpr uint32_t kMaxKeyCount = 100'000'000;  // ids fit 9 digits
inline constexpr size_t kKeySizeBytes = 10;

inline std::string KeyFor(uint32_t id) {
  std::string key(kKeySizeBytes, '0');
  key[0] = 'k';
  for (size_t i = kKeySizeBytes - 1; id > 0; --i, id /= 10)
    key[i] = static_cast<char>('0' + id % 10);
  return key;
}

// The id of a key in powercut's format, or nothing for a foreign key.
inline std::optional<uint32_t> KeyId(std::string_view key) {
  if (key.size() != kKeySizeBytes || key[0] != 'k') return std::nullopt;
  uint32_t id = 0;
  auto [ptr, ec] = std::from_chars(key.data() + 1, key.data() + key.size(), id);
  if (ec != std::errc() || ptr != key.data() + key.size()) return std::nullopt;
  return id;
}

}  // namespace powercut
