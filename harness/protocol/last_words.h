// What a child process that died of a signal said last: the line a failed assertion (the
// Debian RocksDB we test keeps them) or a fatal error of RocksDB's prints on stderr before
// abort(). A death reported without it names a signal and nothing an engineer can look up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace powercut::harness {

inline constexpr size_t kMaxLastWordsBytes = 400;  // file, line, function and condition

// The last non-empty line of `text`, without the "powercut-writer: " prefix glibc's assert
// puts before it, at most kMaxLastWordsBytes (then "…"); "" when there is none.
std::string LastWordsOf(std::string_view text);

// LastWordsOf the tail of the file at `path` from byte `from_offset` on ("" when it cannot
// be read): a judge server's children share one stderr file, each writing after the last.
std::string LastWordsIn(const std::string& path, uint64_t from_offset = 0);

}  // namespace powercut::harness
