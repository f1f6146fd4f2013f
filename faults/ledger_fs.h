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

#include "faults/io_error.h"
#include "faults/ledger.h"
#include "src/status.h"

namespace powercut::faults {

// EventKind, ParseEventKind and EventKindName live in faults/ledger.h (the reader needs them).

// A crash point counts the events of the cycle's writing only: those after the writer marked
// the writing start (MarkWritingStarts), never the judging open's own, which the ledger still
// records (they are as cuttable as the workload's) but which would kill the judge. kAnyEvent
// counts every record after the marker, so `event:N` stays exact where the open's events vary.
// SummarizeLedger counts the same way: the controller can tell whether the point was reached.
struct CrashPoint {
  EventKind kind = EventKind::kNone;
  uint64_t nth = 0;  // 1-based: SIGKILL self right after the nth such event reached disk
};

// TESTS ONLY: SIGKILL the writer at one system call, on one side of it, to show that the
// ledger and the disk agree whichever side of the gap between a call and its record a kill
// lands (faults/ledger.h, "Intents"). Calls are counted by the kind of the record they make:
// an open with O_TRUNC of an existing name is a truncate, a directory fsync a dir-sync.
struct CallKill {
  RecordKind kind = RecordKind::kAppend;
  uint64_t nth = 0;         // 1-based count of calls of `kind`; 0: off
  bool after_call = false;  // false: just before the system call; true: just after it
};
// "KIND:N:before" or "KIND:N:after", KIND a record kind's name (e.g. `rename-dir:1:after`);
// BadInput otherwise. The ledger file system reads it from POWERCUT_TEST_KILL_AT_CALL when
// LedgerOptions::kill_at_call is off, so end-to-end tests reach the real writer.
Status ParseCallKill(const std::string& text, CallKill* kill);

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
  uint64_t max_ledger_bytes = kDefaultMaxLedgerBytes;  // beyond it: on_ledger_full
  // Called when the ledger cannot grow (limit, or disk full); null: print and abort.
  LedgerFullHandler on_ledger_full = nullptr;
  CallKill kill_at_call;  // TESTS ONLY, see CallKill
  // Armed: fail calls of the cycle's writing as the plan says (faults/io_error.h), recording
  // each as a kIoError record. Counted like crash points: after MarkWritingStarts only.
  IoErrorPlan io_error;
  // Called once, on the thread whose call was failed, right after the first injected error is
  // recorded: the writer tells the controller at once, a background flush's error included.
  void (*on_first_io_error)() = nullptr;
  // Non-empty: the state file (faults/carried_durability.h) of what earlier cycles left not
  // durable; its files enter the ledger at once as baselines with their durable length and
  // name durability. Empty: every file that exists is durable.
  std::string carried_durability;
};

// Wraps `base`. On error (ledger cannot be created) returns nullptr and sets *status.
std::shared_ptr<rocksdb::FileSystem> NewLedgerFileSystem(std::shared_ptr<rocksdb::FileSystem> base,
                                                         const LedgerOptions& options,
                                                         Status* status);

// Records the kWritingStarts marker in the ledger of `fs` (made by NewLedgerFileSystem) and
// arms its crash point: call once, when the writer starts writing ops. BadInput if `fs` is
// not a ledger file system or was marked already.
Status MarkWritingStarts(rocksdb::FileSystem* fs);

// Records op `op`'s boundary, kind kIssued (about to execute it) or kAcked (it returned OK),
// in the ledger of `fs`, in the same total order as the file-system events. BadInput if `fs`
// is not a ledger file system or `kind` is no op boundary.
Status RecordOpBoundary(rocksdb::FileSystem* fs, RecordKind kind, uint64_t op);

// Events (ledger records) recorded by this process since the last NewLedgerFileSystem call
// (0 if none). The controller, which cannot call this, reads SummarizeLedger instead.
uint64_t LedgerEventCount();

// I/O errors injected by this process's ledger file system since the last
// NewLedgerFileSystem call (LedgerOptions::io_error): the writer tells an error of the
// injection's making from the store's own.
uint64_t InjectedIoErrorCount();

}  // namespace powercut::faults
