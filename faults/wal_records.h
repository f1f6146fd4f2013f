// Where the logical records of a RocksDB WAL file end: the boundaries at which a power cut's
// writeback may plausibly stop between two writes (a "prefix ending at a WAL record
// boundary", faults/crash_states.h). Reads the physical record headers of the log format
// (32 KiB blocks; a 7-byte header of checksum, length and type, 11 bytes with the log number
// for recyclable types) without checking checksums: these are candidate cut points, not a
// verdict on the file.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace powercut::faults {

inline constexpr uint64_t kWalBlockBytes = 32 * 1024;

// File offsets just past each complete logical record (a full or last fragment) of the WAL
// whose first bytes are `file`, in order. Stops at the first header that is zero, unknown,
// or runs past the end.
std::vector<uint64_t> WalRecordEnds(std::string_view file);

}  // namespace powercut::faults
