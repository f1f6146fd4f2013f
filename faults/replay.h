// Ledger replay: from a dead writer's records to what a disk would hold after losing power —
// where each directory is and which inode each file name points to, as the directories
// durably hold them; for each inode, its durable length, the durable bytes later writes
// overwrote and the bytes a failed sync doomed (fsyncgate). Pure: touches no file.
// faults/place_names.cc and faults/power_cut.cc apply it.
//
// The namespace model is POSIX without the favours ext4 or btrfs grant: an entry of a
// directory (a file name, a hard link, a subdirectory's name) is durable once a fsync of that
// directory began after the change. So a directory created or renamed is durable where its
// parent was fsynced afterwards, wherever the directory itself was fsynced (that fsync makes
// its own entries durable); a directory whose entry does not survive takes its contents along.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "faults/ledger.h"
#include "src/status.h"

namespace powercut::faults {

struct ReplayedInode {
  uint64_t size = 0;     // length as recorded; the disk may hold more (writes the writer died in)
  uint64_t durable = 0;  // bytes [0, durable) survive: as synced, or saved below
  bool trunc_pending = false;  // truncated below `durable` and not synced since
  // Durable bytes overwritten or truncated away since: offset -> bytes, disjoint, all below
  // `durable`. The oldest save of a byte wins: it is the one the disk held at the last sync.
  std::map<uint64_t, std::string> saves;
  // fsyncgate (faults/io_error.h): the bytes a failed sync doomed, start -> end, disjoint and
  // merged. A failed Sync/Fsync (a kIoError record of a file-sync site) dooms what was not
  // durable when it began, [durable, its length); the kernel marked those pages clean, so no
  // later sync writes them and a power cut leaves zeros there, below `durable` too (a later
  // sync does raise it). A write over doomed bytes makes them new dirty bytes (no longer
  // doomed; a save of them holds zeros, what the disk has); a truncation or a close's trim
  // drops the doomed bytes past the new length. A process crash is unaffected: the page cache
  // still holds the bytes.
  std::map<uint64_t, uint64_t> doomed;
};

// A directory strictly inside a root. Paths are relative to the base (see faults/ledger.h).
struct ReplayedDir {
  std::string durable;  // where it is after the cut; empty: it does not survive
  std::string current;  // where it was when the writer died; empty: it was gone
};

struct Replay {
  std::string store_root;          // the store's path relative to the base ("": the base)
  std::vector<std::string> roots;  // every tracked root, relative to the base
  std::map<uint32_t, ReplayedInode> inodes;
  // Every file name the ledger mentions inside a directory that survives, by its path after
  // the cut: the inode it durably points to (0: no entry survives).
  std::map<std::string, uint32_t> names;
  std::map<uint32_t, std::string> current;     // a name each inode had when the writer died
  std::map<std::string, uint32_t> live_names;  // every file name when the writer died: its inode
  std::vector<ReplayedDir> dirs;               // every directory the ledger mentions, or implies
};

inline constexpr uint64_t kWholeLedger = ~uint64_t{0};

// Corruption naming `ledger_path` and the record when the records contradict themselves
// (unknown file id, reused id, a name outside every root, a bound in the future).
// `through`: replay only the records up to and including that ordinal, as if the writer had
// died right after it (a crash state, faults/crash_image.h); an intent whose kFailed record
// comes later changed nothing then either.
Status ReplayLedger(const std::vector<LedgerRecord>& records, const std::string& ledger_path,
                    Replay* replay, uint64_t through = kWholeLedger);

// The directory the ledger's names are relative to, given the store's directory `db_dir`:
// the store, or the directory holding the store and the extra roots. BadInput when the
// ledger was kept for a store of another name.
Status LedgerBase(const std::vector<LedgerRecord>& records, const std::string& db_dir,
                  const std::string& ledger_path, std::string* base);

}  // namespace powercut::faults
