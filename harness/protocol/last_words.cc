#include "harness/protocol/last_words.h"

#include <algorithm>
#include <fstream>

namespace powercut::harness {
namespace {

constexpr std::string_view kProgramPrefix = "powercut-writer: ";
constexpr std::streamoff kTailBytes = 64 * 1024;  // the last words are near the end

}  // namespace

std::string LastWordsOf(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const size_t start = text.rfind('\n');
  std::string_view last = start == std::string_view::npos ? text : text.substr(start + 1);
  if (last.substr(0, kProgramPrefix.size()) == kProgramPrefix)
    last.remove_prefix(kProgramPrefix.size());
  if (last.size() > kMaxLastWordsBytes)
    return std::string(last.substr(0, kMaxLastWordsBytes)) + "…";
  return std::string(last);
}

std::string LastWordsIn(const std::string& path, uint64_t from_offset) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff from =
      std::max(static_cast<std::streamoff>(from_offset), size > kTailBytes ? size - kTailBytes : 0);
  if (from >= size) return "";
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<size_t>(in.gcount()));
  return LastWordsOf(tail);
}

}  // namespace powercut::harness
