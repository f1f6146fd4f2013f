#include "faults/wal_records.h"

namespace powercut::faults {
namespace {

constexpr uint64_t kHeaderBytes = 7;
constexpr uint64_t kRecyclableHeaderBytes = 11;

// Physical record types of the log format: 1-4 full, first, middle, last; 5-8 the same
// with the log number in the header (recycled WALs).
bool EndsRecord(unsigned type) { return type == 1 || type == 4 || type == 5 || type == 8; }

}  // namespace

std::vector<uint64_t> WalRecordEnds(std::string_view file) {
  std::vector<uint64_t> ends;
  uint64_t pos = 0;
  while (pos + kHeaderBytes <= file.size()) {
    const uint64_t left_in_block = kWalBlockBytes - pos % kWalBlockBytes;
    if (left_in_block < kHeaderBytes) {  // the block's trailer: zero padding
      pos += left_in_block;
      continue;
    }
    const auto type = static_cast<unsigned char>(file[pos + 6]);
    const uint64_t length = static_cast<unsigned char>(file[pos + 4]) |
                            (static_cast<uint64_t>(static_cast<unsigned char>(file[pos + 5])) << 8);
    if (type == 0 || type > 8) break;  // preallocated zeros, or not a header
    const uint64_t header = type >= 5 ? kRecyclableHeaderBytes : kHeaderBytes;
    const uint64_t end = pos + header + length;
    if (end > file.size() || header + length > left_in_block) break;
    if (EndsRecord(type)) ends.push_back(end);
    pos = end;
  }
  return ends;
}

}  // namespace powercut::faults
