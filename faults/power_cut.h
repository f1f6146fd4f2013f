// The power cut: after the writer is dead, roll the store directory back to what a disk
// would hold after losing power, using the ledger the writer kept (faults/ledger_fs.h).
#pragma once

#include <cstdint>
#include <string>

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

// Applies the cut to `db_dir` from the ledger in `ledger_dir`, and to the extra roots the
// writer tracked (LedgerOptions::extra_roots): the ledger names them relative to the
// directory holding them and the store, so given `<chain>/db` the cut also reaches
// `<chain>/checkpoints`. Same (ledger, mode, seed) gives the same bytes on disk. Corruption
// when the ledger is unreadable; BadInput when `db_dir` does not end in the store's name
// the ledger recorded.
Status ApplyPowerCut(const std::string& ledger_dir, const std::string& db_dir, CutMode mode,
                     uint64_t seed, CutStats* stats);

}  // namespace powercut::faults
