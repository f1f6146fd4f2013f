// What the tests that drive powercut's libraries directly (the ledger file system, the cut,
// crash images, bit rot) share: a scratch directory under /tmp, and whole-file bytes.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

namespace unit {

// A fresh directory /tmp/powercut-unit-XXXXXX, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/powercut-unit-XXXXXX";
    const char* made = ::mkdtemp(tmpl.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Bytes that differ from offset to offset and are never zero, so a misplaced or zeroed byte
// shows.
inline std::string Pattern(size_t n, uint8_t salt) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + salt) % 251 + 1);
  return s;
}

}  // namespace unit
