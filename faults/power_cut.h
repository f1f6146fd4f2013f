// The power cut: after the writer is dead, roll the store directory back to what a disk
// would hold after losing power, using the ledger the writer kept (faults/ledger_fs.h).
// fsyncgate (faults/io_error.h): bytes a failed sync doomed (ReplayedInode::doomed) read as
// zeros after any cut, whatever their file's fate and however many syncs succeeded since.
#pragma once

#include <cstdint>
#include <string>

#include "faults/replay.h"
#include "src/status.h"

namespace powercut::faults {

enum class CutMode {
  kDrop,     // every unsynced byte lost; uncovered creates/renames/deletes undone
  kTorn,     // per file, seeded: unsynced tail lost whole, kept whole, or kept to a byte
  kReorder,  // per file, seeded subset of unsynced 4 KiB pages kept, the rest zeroed or absent
};

// "drop" | "torn" | "reorder"; BadInput naming the value otherwise.
Status ParseCutMode(const std::string& text, CutMode* mode);
const char* CutModeName(CutMode mode);

struct CutStats {
  uint64_t files_truncated = 0;  // files whose unsynced tail was cut or torn
  uint64_t bytes_dropped = 0;    // unsynced bytes removed or zeroed
  uint64_t files_removed = 0;    // creations not covered by a directory fsync, undone
  uint64_t files_restored = 0;   // deletions/renames not covered, undone
  uint64_t dirs_removed = 0;     // directory creations not covered, undone with their contents
  uint64_t dirs_restored = 0;    // directory renames/removals not covered, undone
  uint64_t events = 0;           // ledger events read
};

// How one file's unsynced bytes fare in a power cut: the unit of a crash state's per-file
// variants (faults/crash_image.h). ApplyPowerCut picks one per file from its mode and seed.
struct FileFate {
  enum class Kind : uint8_t {
    kLose,    // every unsynced byte lost (drop)
    kKeep,    // every unsynced byte reached the disk
    kKeepTo,  // writeback stopped at `keep_to`: unsynced bytes below it kept, the rest lost
    kPages,   // each unsynced 4 KiB page kept or lost, seeded per (page_seed, file, page)
  };
  Kind kind = Kind::kLose;
  uint64_t keep_to = 0;
  uint64_t page_seed = 0;
  bool operator==(const FileFate&) const = default;
};

// The bytes [first, last) where a file's durable state and the `disk_bytes` it holds may
// differ (saved ranges, and the span between the durable length and the length on disk): the
// bytes a fate decides; first >= last when there are none. `doomed_bytes`: bytes below
// `disk_bytes` a failed sync doomed (fsyncgate), inside the span or not, which every cut
// zeroes. empty(): the cut leaves the file as it is.
struct UnsyncedSpan {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t doomed_bytes = 0;
  bool empty() const { return first >= last && doomed_bytes == 0; }
};
UnsyncedSpan UnsyncedSpanOf(const ReplayedInode& inode, uint64_t disk_bytes);

// The fate ApplyPowerCut gives file `file_id` under `mode` and `seed`: drop loses every
// unsynced byte; torn is writeback of one inode in offset order that stops somewhere (lost
// whole, kept whole, or kept up to an arbitrary byte); reorder keeps a seeded page subset.
FileFate FateFor(CutMode mode, uint64_t seed, uint32_t file_id, const UnsyncedSpan& span);

// Cuts the file at `path`, which is the replay's inode `file_id`, to what the disk holds after
// losing power when its unsynced bytes fare as `fate`, then zeroes its doomed bytes still
// inside it (fsyncgate). A file with nothing unsynced and nothing doomed, or whose fate keeps
// all of it and which has nothing doomed, is not opened.
Status CutFile(const std::string& path, uint32_t file_id, const ReplayedInode& inode,
               const FileFate& fate, CutStats* stats);

// Applies the cut to `db_dir` from the ledger in `ledger_dir`, and to the extra roots the
// writer tracked (LedgerOptions::extra_roots): the ledger names them relative to the
// directory holding them and the store, so given `<chain>/db` the cut also reaches
// `<chain>/checkpoints`. Same (ledger, mode, seed) gives the same bytes on disk. Corruption
// when the ledger is unreadable; BadInput when `db_dir` does not end in the store's name
// the ledger recorded.
Status ApplyPowerCut(const std::string& ledger_dir, const std::string& db_dir, CutMode mode,
                     uint64_t seed, CutStats* stats);

}  // namespace powercut::faults
