// Ledger replay: from a dead writer's records to what a disk would hold after losing power —
// for each name the ledger mentions, the inode its directory entry durably points to; for
// each inode, its durable length and the durable bytes later writes overwrote. Pure: touches
// no file. faults/power_cut.cc applies the result to a store directory.
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
};

struct ReplayedName {
  uint32_t durable = 0;  // inode the entry durably points to (0: no entry survives)
  uint32_t current = 0;  // inode it points to at the writer's death, per the ledger
};

struct Replay {
  std::map<uint32_t, ReplayedInode> inodes;
  std::map<std::string, ReplayedName> names;  // every name the ledger mentions
};

// Corruption naming `ledger_path` and the record when the records contradict themselves
// (unknown file id, reused id, a name escaping the store, a bound in the future).
Status ReplayLedger(const std::vector<LedgerRecord>& records, const std::string& ledger_path,
                    Replay* replay);

}  // namespace powercut::faults
