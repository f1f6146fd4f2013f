// The ledger-keeping file system: a rocksdb::FileSystemWrapper used inside the writer. It
// passes every call to the real file system and records the events that matter for
// durability in the ledger, an append-only memory-mapped file outside the store. The ledger
// only has to survive the writer's death (the kernel keeps the mapped pages), not power loss.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <rocksdb/file_system.h>

#include "faults/ledger.h"
#include "src/status.h"

namespace powercut::faults {

// EventKind, ParseEventKind and EventKindName live in faults/ledger.h (the reader needs them).

struct CrashPoint {
  EventKind kind = EventKind::kNone;
  uint64_t nth = 0;  // 1-based: SIGKILL self right after the nth event of `kind` reached disk
};

struct LedgerOptions {
  std::string ledger_dir;  // created if missing, must not hold a ledger yet; outside db_dir,
                           // on the same file system (the keep folder holds hard links)
  std::string db_dir;      // files under it (subdirectories too) are tracked, except the info
                           // logs LOG and LOG.old.*, which are evidence, not store state
  // More directories tracked like db_dir, whole subtrees, e.g. `<chain>/checkpoints` where
  // checkpoints are made. Each lies outside db_dir and the ledger, does not nest with another
  // root, and is on the ledger's file system; its own creation is not modelled (it counts as
  // durable). The ledger then names files relative to the deepest directory holding every
  // root, and the cut (ApplyPowerCut given db_dir) reaches them too. In every root,
  // directories created, renamed or removed are modelled: durable once their parent
  // directory is fsynced afterwards.
  std::vector<std::string> extra_roots;
  CrashPoint crash_at;
  uint64_t max_ledger_bytes = kDefaultMaxLedgerBytes;  // the writer aborts, loudly, beyond it
};

// Wraps `base`. On error (ledger cannot be created) returns nullptr and sets *status.
std::shared_ptr<rocksdb::FileSystem> NewLedgerFileSystem(std::shared_ptr<rocksdb::FileSystem> base,
                                                         const LedgerOptions& options,
                                                         Status* status);

// Events (ledger records) recorded by this process since the last NewLedgerFileSystem call
// (0 if none). The controller, which cannot call this, reads SummarizeLedger instead.
uint64_t LedgerEventCount();

}  // namespace powercut::faults
