// Durability carried across the cycles of a chain. A process kill syncs nothing: the bytes and
// the names its writer left unsynced stay in the page cache, and a power cut in a later cycle
// may still lose them, until a sync or a directory fsync covers them. After each cycle that
// ends without a power cut, the controller computes from the cycle's ledger what the disk
// durably holds (the replay the cut would make); the next writer's ledger starts each such
// file with a kBaseline record carrying it (faults/ledger.h), so the replay and the cut honour
// it. After a power cut the disk state is real: nothing is carried.
//
// What is carried: per file, its durable length and whether its name is durable. Not carried
// (each a state a real disk may show, so no loss is invented, but some go unmodelled):
//   - durable bytes an unsynced write overwrote or a truncation cut (saves): the new bytes
//     count as having reached the disk;
//   - a name whose rename or replacement no fsync covered: the rename counts as having reached
//     the disk (the old inode's bytes are not kept), and a file deleted without a covering
//     fsync stays deleted;
//   - directories: a directory on disk counts as durable (acked checkpoints fsync their parent).
// A name counts as not durable only when its file has no durable name at all and nothing
// durably holds the name: a creation no fsync covered.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/status.h"

namespace powercut::faults {

struct CarriedFile {
  std::string name;            // relative to the directory holding the state file
  uint64_t durable_bytes = 0;  // bytes [0, durable_bytes) survive a power cut
  bool entry_durable = true;   // the name survives a power cut
};

// The files not wholly durable; every other file, and every directory, is durable.
struct CarriedDurability {
  std::vector<CarriedFile> files;  // sorted by name, one entry per name
};

// What the disk durably holds after the writer that kept `ledger_dir` died, with no power
// cut: per file name on disk in the store `db_dir` (and the ledger's other roots), from the
// same replay the cut uses. Names are made relative to `state_dir`, which must hold every
// root (BadInput otherwise). Corruption when the ledger is unreadable. Reads only.
Status CarriedAfterLedger(const std::string& ledger_dir, const std::string& db_dir,
                          const std::string& state_dir, CarriedDurability* carried);

// The state file: JSON, written atomically (src/atomic_file.h), e.g. `CHAIN/durability.json`.
//   {"version": 1, "files": [{"name": "db/000004.log", "durable_bytes": 0,
//                             "entry_durable": true}, ...]}
Status SaveCarriedDurability(const std::string& path, const CarriedDurability& carried);
// Corruption naming the path when it does not parse, or a name is absolute, holds "." or
// "..", or appears twice.
Status LoadCarriedDurability(const std::string& path, CarriedDurability* carried);

}  // namespace powercut::faults
