#include "faults/power_cut.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "faults/in_doubt.h"
#include "faults/ledger.h"
#include "faults/place_names.h"
#include "faults/pwrite_all.h"
#include "faults/replay.h"

namespace powercut::faults {
namespace {

constexpr uint64_t kPageBytes = 4096;  // the unit `reorder` keeps or loses

// The seeded choices of the cut. Local, so the cut never depends on another module's stream.
struct SplitMix64 {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// A stream per (seed, file, salt): one file's choices never shift another's.
SplitMix64 StreamFor(uint64_t seed, uint32_t file_id, uint64_t salt) {
  SplitMix64 mix{seed};
  mix.state ^= SplitMix64{static_cast<uint64_t>(file_id) * 0xD1B54A32D192ED03ull ^ salt}.Next();
  return mix;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError("power cut: " + what + " " + path + ": " + std::strerror(errno));
}

struct Range {
  uint64_t start;
  uint64_t end;
  bool keep_new;  // the unsynced write reached the disk
};

// The bytes where old (durable) and new (on disk now) may differ: saved ranges, and the span
// between the durable length and the length on disk. Sorted, disjoint, merged.
std::vector<Range> UnsyncedRanges(const ReplayedInode& inode, uint64_t disk_bytes) {
  std::vector<Range> ranges;
  for (const auto& [offset, bytes] : inode.saves) {
    ranges.push_back({offset, offset + bytes.size(), false});
  }
  const uint64_t lo = std::min(inode.durable, disk_bytes);
  const uint64_t hi = std::max(inode.durable, disk_bytes);
  if (lo < hi) ranges.push_back({lo, hi, false});
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.start < b.start; });
  std::vector<Range> merged;
  for (const Range& r : ranges) {
    if (!merged.empty() && r.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

// Marks which unsynced bytes survive under `fate`, splitting ranges where the choice changes.
std::vector<Range> Choose(std::vector<Range> ranges, const FileFate& fate, uint32_t file_id) {
  std::vector<Range> out;
  switch (fate.kind) {
    case FileFate::Kind::kLose:
      return ranges;
    case FileFate::Kind::kKeep:
      for (Range& r : ranges) r.keep_new = true;
      return ranges;
    case FileFate::Kind::kKeepTo:
      for (const Range& r : ranges) {
        if (r.start < fate.keep_to) out.push_back({r.start, std::min(r.end, fate.keep_to), true});
        if (r.end > fate.keep_to) out.push_back({std::max(r.start, fate.keep_to), r.end, false});
      }
      return out;
    case FileFate::Kind::kPages:
      break;
  }
  // Each 4 KiB page on its own, from a stream per page so the choice of a page does not
  // depend on which other pages are unsynced.
  for (const Range& r : ranges) {
    for (uint64_t pos = r.start; pos < r.end;) {
      const uint64_t page = pos / kPageBytes;
      const uint64_t end = std::min(r.end, (page + 1) * kPageBytes);
      const bool keep = StreamFor(fate.page_seed, file_id, 2 + page).Next() & 1;
      if (!out.empty() && out.back().end == pos && out.back().keep_new == keep) {
        out.back().end = end;
      } else {
        out.push_back({pos, end, keep});
      }
      pos = end;
    }
  }
  return out;
}

Status PWriteAll(int fd, const char* data, uint64_t length, uint64_t offset,
                 const std::string& path) {
  return faults::PWriteAll(fd, data, length, offset) ? Status::Ok() : Errno("cannot write", path);
}

Status WriteZeros(int fd, uint64_t start, uint64_t end, const std::string& path) {
  static const std::string kZeros(kPageBytes, '\0');
  for (uint64_t at = start; at < end;) {
    const uint64_t n = std::min<uint64_t>(kZeros.size(), end - at);
    Status s = PWriteAll(fd, kZeros.data(), n, at, path);
    if (!s.ok()) return s;
    at += n;
  }
  return Status::Ok();
}

// fsyncgate: the doomed bytes below `end_bytes`, which the cut zeroes whatever the fate.
std::vector<Range> DoomedBelow(const ReplayedInode& inode, uint64_t end_bytes) {
  std::vector<Range> out;
  for (const auto& [start, end] : inode.doomed) {
    if (start >= end_bytes) break;
    out.push_back({start, std::min(end, end_bytes), false});
  }
  return out;
}

// The bytes of [start, end) inside a range the fate loses: counted as dropped already.
uint64_t LostWithin(const std::vector<Range>& ranges, uint64_t start, uint64_t end) {
  uint64_t lost = 0;
  for (const Range& r : ranges) {
    if (!r.keep_new && r.start < end && r.end > start) {
      lost += std::min(r.end, end) - std::max(r.start, start);
    }
  }
  return lost;
}

// Puts the old (durable) state back into [start, end) of the file: saved bytes where there
// are saves, zeros past the durable length; durable bytes never saved are on disk already.
Status RestoreOld(int fd, const ReplayedInode& inode, uint64_t start, uint64_t end,
                  uint64_t disk_bytes, const std::string& path) {
  uint64_t pos = start;
  while (pos < end) {
    auto next = inode.saves.upper_bound(pos);
    if (next != inode.saves.begin()) {
      auto save = std::prev(next);
      const uint64_t save_end = save->first + save->second.size();
      if (save_end > pos) {
        const uint64_t stop = std::min(end, save_end);
        Status s = PWriteAll(fd, save->second.data() + (pos - save->first), stop - pos, pos, path);
        if (!s.ok()) return s;
        pos = stop;
        continue;
      }
    }
    const uint64_t next_save = next == inode.saves.end() ? end : std::min(end, next->first);
    if (pos < inode.durable) {
      const uint64_t stop = std::min(next_save, inode.durable);
      if (stop > disk_bytes) {
        return Status::Corruption("power cut: " + path + " is shorter (" +
                                  std::to_string(disk_bytes) + " bytes) than its durable length " +
                                  std::to_string(inode.durable) + " and the ledger saved no copy");
      }
      pos = stop;
      continue;
    }
    // Past the durable length the old state has no bytes: zero what the disk holds there.
    Status s = WriteZeros(fd, pos, std::min(next_save, disk_bytes), path);
    if (!s.ok()) return s;
    pos = next_save;
  }
  return Status::Ok();
}

}  // namespace

UnsyncedSpan UnsyncedSpanOf(const ReplayedInode& inode, uint64_t disk_bytes) {
  UnsyncedSpan span;
  const std::vector<Range> ranges = UnsyncedRanges(inode, disk_bytes);
  if (!ranges.empty()) {
    span.first = ranges.front().start;
    span.last = ranges.back().end;
  }
  for (const Range& d : DoomedBelow(inode, disk_bytes)) span.doomed_bytes += d.end - d.start;
  return span;
}

// The seeded fate of one file under `mode`: drop loses everything; torn is writeback of one
// inode in offset order that stops somewhere (lost whole, kept whole, or kept up to an
// arbitrary byte); reorder keeps a seeded subset of pages.
FileFate FateFor(CutMode mode, uint64_t seed, uint32_t file_id, const UnsyncedSpan& span) {
  FileFate fate;
  if (mode == CutMode::kReorder) {
    fate.kind = FileFate::Kind::kPages;
    fate.page_seed = seed;
  } else if (mode == CutMode::kTorn) {
    SplitMix64 rng = StreamFor(seed, file_id, 1);
    fate.kind = FileFate::Kind::kKeepTo;
    switch (rng.Next() % 3) {
      case 0:
        fate.keep_to = span.first;
        break;
      case 1:
        fate.keep_to = span.last;
        break;
      default:
        fate.keep_to = span.last - span.first > 1
                           ? span.first + 1 + rng.Next() % (span.last - span.first - 1)
                           : span.last;
    }
  }
  return fate;
}

Status CutFile(const std::string& path, uint32_t file_id, const ReplayedInode& inode,
               const FileFate& fate, CutStats* stats) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Errno("cannot stat", path);
  const uint64_t disk_bytes = static_cast<uint64_t>(st.st_size);
  std::vector<Range> ranges = UnsyncedRanges(inode, disk_bytes);
  if (ranges.empty() && DoomedBelow(inode, disk_bytes).empty()) return Status::Ok();
  ranges = Choose(std::move(ranges), fate, file_id);

  // The file ends at the last byte either state keeps.
  uint64_t final_bytes = std::min(inode.durable, disk_bytes);
  uint64_t dropped = 0;
  for (const Range& r : ranges) {
    const uint64_t present_end = std::min(r.end, r.keep_new ? disk_bytes : inode.durable);
    if (present_end > r.start) final_bytes = std::max(final_bytes, present_end);
    if (!r.keep_new && r.start < disk_bytes) dropped += std::min(r.end, disk_bytes) - r.start;
  }
  // fsyncgate: doomed bytes the file still holds after the cut never reached the disk, kept
  // by the fate or not (bytes past the disk's old end are zeros already).
  const std::vector<Range> doomed = DoomedBelow(inode, std::min(final_bytes, disk_bytes));
  for (const Range& d : doomed) dropped += d.end - d.start - LostWithin(ranges, d.start, d.end);
  if (dropped == 0 && final_bytes == disk_bytes && doomed.empty()) return Status::Ok();

  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  Status s;
  // Extending fills with zeros: kept-new bytes past the old end of the disk stay absent-as-zero.
  if (final_bytes != disk_bytes && ::ftruncate(fd, static_cast<off_t>(final_bytes)) != 0) {
    s = Errno("cannot truncate", path);
  }
  for (const Range& r : ranges) {
    if (!s.ok()) break;
    if (r.keep_new) continue;
    const uint64_t end = std::min(r.end, final_bytes);
    if (r.start < end) s = RestoreOld(fd, inode, r.start, end, disk_bytes, path);
  }
  for (const Range& d : doomed) {
    if (s.ok()) s = WriteZeros(fd, d.start, d.end, path);
  }
  ::close(fd);
  if (!s.ok()) return s;
  stats->files_truncated++;
  stats->bytes_dropped += dropped;
  return Status::Ok();
}

Status ParseCutMode(const std::string& text, CutMode* mode) {
  for (CutMode m : {CutMode::kDrop, CutMode::kTorn, CutMode::kReorder}) {
    if (text == CutModeName(m)) {
      *mode = m;
      return Status::Ok();
    }
  }
  return Status::BadInput("unknown cut mode '" + text + "': use drop, torn or reorder");
}

const char* CutModeName(CutMode mode) {
  switch (mode) {
    case CutMode::kDrop:
      return "drop";
    case CutMode::kTorn:
      return "torn";
    case CutMode::kReorder:
      return "reorder";
  }
  return "?";
}

Status ApplyPowerCut(const std::string& ledger_dir, const std::string& db_dir, CutMode mode,
                     uint64_t seed, CutStats* stats) {
  CutStats local;
  std::vector<LedgerRecord> records;
  Status s = ReadLedger(ledger_dir, &records);
  if (!s.ok()) return s;
  local.events = records.size();
  const std::string ledger_path = LedgerFilePath(ledger_dir);
  std::string base;
  s = LedgerBase(records, db_dir, ledger_path, &base);
  if (!s.ok()) return s;
  // Before the replay: the writer may have died between its last namespace intent and the
  // call, and only the disk can tell.
  DropUnmadeCall(base, ledger_dir, &records);
  Replay replay;
  s = ReplayLedger(records, ledger_path, &replay);
  if (!s.ok()) return s;
  records.clear();

  std::map<uint32_t, std::string> final_paths;  // one surviving name per surviving inode
  s = PlaceNames(replay, ledger_dir, base, ledger_path, &final_paths, &local);
  if (!s.ok()) return s;
  for (const auto& [id, path] : final_paths) {
    const ReplayedInode& inode = replay.inodes.at(id);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Errno("cannot stat", path);
    const UnsyncedSpan span = UnsyncedSpanOf(inode, static_cast<uint64_t>(st.st_size));
    if (span.empty()) continue;
    s = CutFile(path, id, inode, FateFor(mode, seed, id, span), &local);
    if (!s.ok()) return s;
  }
  if (stats != nullptr) *stats = local;
  return Status::Ok();
}

}  // namespace powercut::faults
