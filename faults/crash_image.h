// Crash images: the exact directory tree a crash right after ledger event e would have left,
// built from one dead writer's trace without running the writer again (DESIGN.md, "Crash
// states"). One trace yields many states: a process crash after any event (every byte
// written and every directory change up to and including e, nothing after), or a power cut
// after it (durability as of e, and a fate per file for its unsynced bytes).
//
// The trace is the ledger plus the files as the writer left them: each inode is read through
// its name at death or its link in the ledger's keep folder, and the ledger's saves (the bytes
// every overwrite or truncation replaced, faults/ledger_fs.cc) give back what later writes
// changed. So a trace must be loaded, and its images built, before any cut rewrites the store.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "faults/ledger.h"
#include "faults/power_cut.h"
#include "faults/replay.h"
#include "src/in_flight.h"
#include "src/status.h"

namespace powercut::faults {

enum class CrashKind : uint8_t { kProcess, kPowerCut };
const char* CrashKindName(CrashKind kind);  // "process-crash" | "power-cut"

// One crash state: a crash right after ledger record `event`, its effects included.
struct CrashState {
  uint64_t event = 0;
  CrashKind kind = CrashKind::kProcess;
  // Power cuts: the fate of each inode's unsynced bytes; an inode not listed loses them.
  std::map<uint32_t, FileFate> fates;
  bool operator==(const CrashState&) const = default;
};

// "process-crash@1234" or "power-cut@1234:3=keep,5=to-4096,7=pages-99": what the report and
// `powercut replay --state` name a state by. ParseCrashState reads it back.
std::string CrashStateName(const CrashState& state);
Status ParseCrashState(const std::string& text, CrashState* state);

struct ImageStats {
  uint64_t files_linked = 0;  // complete SSTs hard-linked, never copied
  uint64_t files_copied = 0;
  uint64_t bytes_copied = 0;
};

// The highest op issued and acked by some point of a ledger; 0 when none.
struct OpsAt {
  uint64_t issued = 0;
  uint64_t acked = 0;  // every op up to here is acked
  // Concurrent writers (workloads/lanes.h) ack out of order: acked ops above `acked`.
  std::vector<uint64_t> acked_above;
};

class Trace {
 public:
  Trace() = default;
  Trace(const Trace&) = delete;  // holds pointers into its own records
  Trace& operator=(const Trace&) = delete;

  // Reads the ledger in `ledger_dir` of a dead writer whose store is `db_dir` (the store as
  // the writer left it: before any cut). Corruption when the ledger does not parse.
  static Status Load(const std::string& ledger_dir, const std::string& db_dir, Trace* trace);

  const std::vector<LedgerRecord>& records() const { return records_; }
  // The ordinal of the writing-start marker; records().size() when the writer never started.
  uint64_t writing_start() const { return writing_start_; }
  const std::string& ledger_path() const { return ledger_path_; }

  // The op boundaries up to and including `event` (a binary search, not a scan).
  OpsAt OpsThrough(uint64_t event) const;
  // What was in flight at each op's issue, over the whole ledger (concurrent writers).
  const InFlight& in_flight() const { return in_flight_; }

  // Namespace, sizes and durability right after `event` (ReplayLedger through it).
  Status ReplayAt(uint64_t event, Replay* replay) const;

  // Builds the image of `state` in `out_dir`, which must not exist: the tree under the
  // ledger's base, so a chain's trace gives out_dir/db and out_dir/checkpoints. `at` is
  // ReplayAt(state.event). With `link_ssts`, SSTs whose bytes the state leaves as the writer
  // left them are hard-linked (they are never written again), everything else is copied; an
  // image that must outlive the store (the cut rewrites files in place) copies everything.
  Status BuildImage(const CrashState& state, const Replay& at, const std::string& out_dir,
                    ImageStats* stats, bool link_ssts = true) const;

  // A description of the image's content, equal for two states exactly when their images
  // hold the same bytes under the same names (the same inodes, at the same version, cut the
  // same way), without building either. `at` is ReplayAt(state.event).
  std::string ContentKey(const CrashState& state, const Replay& at) const;

  // The bytes [offset, offset + length) of inode `id` right after `event` (fewer at its end).
  Status ReadAt(uint32_t id, uint64_t event, uint64_t offset, uint64_t length,
                std::string* out) const;

 private:
  struct Save {
    uint64_t ordinal;  // of the write or truncation that replaced these bytes (see Load)
    uint64_t offset;
    const std::string* bytes;  // into records_
  };
  struct Source {
    std::string path;  // where the inode's bytes at death are read
    uint64_t bytes = 0;
    std::vector<Save> saves;        // in ordinal order
    std::vector<uint64_t> changes;  // ordinals of records that changed its bytes
    FileClass cls = FileClass::kOther;
  };
  const Source* SourceOf(uint32_t id) const;
  uint64_t VersionAt(const Source& source, uint64_t event) const;
  Status Materialize(uint32_t id, uint64_t event, uint64_t length, bool may_link,
                     const std::string& out, ImageStats* stats) const;
  Status PlaceFiles(const CrashState& state, const Replay& at, const std::string& out_dir,
                    bool link_ssts, ImageStats* stats) const;

  // Files the ledger never names: they were in the roots before the writer started and it
  // never touched them (an SST it only read), so every state holds them as they are.
  struct Untouched {
    std::string name;  // relative to the base
    bool sst = false;
  };
  void FindUntouched(const Replay& at_death);
  Status PlaceUntouched(const std::string& out_dir, bool link_ssts, ImageStats* stats) const;

  std::vector<LedgerRecord> records_;
  std::vector<Untouched> untouched_;
  // At each op boundary record, in ordinal order: the ops issued and acked through it.
  std::vector<std::pair<uint64_t, OpsAt>> op_marks_;
  InFlight in_flight_;
  std::string ledger_path_;
  std::string base_;
  uint64_t writing_start_ = 0;
  std::map<uint32_t, Source> sources_;
};

}  // namespace powercut::faults
