// The ledger: the writer's record of the file-system events that matter for durability. This
// header fixes its on-disk format, the writer used inside the writer process (by
// faults/ledger_fs.cc) and the reader the controller uses after the writer died.
//
// File `<ledger_dir>/ledger.bin`, little-endian, every record 8-byte aligned:
//
//   header, 64 bytes
//     0  char[8] magic "PCLEDGR1"
//     8  u32     version (5: kIoError, injected I/O errors; 4: kIssued and kAcked op
//                boundaries; 3: kBaseline carries a durable length and entry flag; 2:
//                intents and kFailed, below; 1 recorded every call after it)
//     12 u32     header size (64)
//     16 u64     end offset: header plus committed records. Stored after each commit, so it
//                lags by at most the one record the writer died after committing.
//     24 u64     the writer's size limit
//     32 u32     the writer's pid
//     36         zero up to 64
//
//   record: a 48-byte head, then the payload padded with zeros to 8 bytes
//     0  u64 commit: bits 0-15 0x4C52, bits 16-23 RecordKind, bits 32-63 checksum of the
//            bytes [8, total). Stored last, so a record the writer died inside reads as 0.
//     8  u32 total length (head + padded payload)
//     12 u32 payload length
//     16 u32 file id: one per inode the writer saw, from 1; 0 = none
//     20 u32 aux id (the inode a create or rename replaced; 0 = none)
//     24 u32 name length: payload[0, name length) is a path relative to the base (below);
//            the rest is a second name (rename, link) or saved bytes (save)
//     28 u32 flags: kBaseline only (kBaselineEntryNotDurable); zero for every other kind
//     32 u64 a, 40 u64 b: meaning per kind, see RecordKind
//
// A record's ordinal is its 0-based position. Anything that does not parse before the end
// offset is Corruption; a file shorter than its end offset is Corruption (truncated).
//
// Names and roots: the writer tracks whole directory trees, its roots: the store and any
// extra roots (checkpoints). Names are relative to the base, the deepest directory holding
// every root. A ledger with no kRoot record has one root, the store, and it is the base (so
// names are relative to the store); otherwise kRoot records come first and declare each root
// by its path relative to the base. Every other name lies strictly inside a root.
//
// Intents: the writer can be SIGKILLed between any system call and its record, so the order
// of the two is chosen per kind so that the cut is right whichever side the kill lands.
//   - A record that changes what the disk holds (create, save, append, truncate, rename,
//     link, delete, mkdir, rmdir, rename-dir) is an intent: written before its call, so no
//     change is ever on disk unrecorded. A call that returns an error is followed by a
//     kFailed record naming the intent, which the replay then ignores.
//   - A record that states what a call established (sync, close, reopen, dir-sync, baseline)
//     is written after it: a lost one only makes the cut act as if the power failed during
//     the call, a state the disk may really show, since nothing observed the call's return.
// So a dead writer leaves at most one intent per thread whose call may not have been made.
// Data intents need nothing more: an append not made leaves no bytes to cut, a truncation not
// made leaves the durable bytes its saves (written before it) describe. Namespace calls hold
// one lock from their intent to their outcome, so only the last namespace intent of a ledger
// can be in doubt; the cut probes the disk for it (faults/in_doubt.h) and, when its call was
// not made, replays the ledger without it. A directory fsync takes its bound under the same
// lock, so it never covers an intent whose call had not returned when the fsync began.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "src/status.h"

namespace powercut::faults {

// Kinds of file-system event a deterministic crash point can name.
enum class EventKind {
  kNone,
  kWalAppend,      // "wal-append": bytes appended to a *.log file
  kWalSync,        // "wal-sync": Sync/Fsync of a *.log file
  kSstCreate,      // "sst-create": a *.sst file created
  kManifestWrite,  // "manifest-write": bytes appended to a MANIFEST-* file
  kCurrentRename,  // "current-rename": a rename whose target is CURRENT
  kDirFsync,       // "dir-fsync": a directory fsync
  kAnyEvent,       // "event": any ledger record (of the writing, like every kind here)
};
inline constexpr int kEventKindCount = 8;

// "wal-append" | "wal-sync" | "sst-create" | "manifest-write" | "current-rename" |
// "dir-fsync"; BadInput naming the value otherwise.
Status ParseEventKind(const std::string& text, EventKind* kind);
const char* EventKindName(EventKind kind);

enum class RecordKind : uint8_t {
  kBaseline = 1,    // a file that existed before the writer touched it: a = its size, b = its
                    // durable length (<= a; below a when an earlier cycle's kill left bytes
                    // unsynced, see faults/carried_durability.h); its name durable unless
                    // flags hold kBaselineEntryNotDurable (created and never dir-synced)
  kCreate = 2,      // new inode at name (replacing aux); a = size, b = durable size (0, 0 unless
                    // it was moved in from outside the store, then both its size). An open
                    // with O_TRUNC of an existing name is no create: kTruncate of its inode
  kReopen = 3,      // inode reopened for writing: a = its size on disk, b = write position
  kAppend = 4,      // a = offset, b = length written (Append, PositionedAppend, RandomRW Write)
  kSave = 5,        // a = offset; payload after the name holds durable bytes about to be lost
                    // (overwritten or truncated): the cut restores them
  kTruncate = 6,    // a = new length
  kSync = 7,        // Sync/Fsync: a = the length when the sync began, durable now
  kClose = 8,       // a = the length on disk after close (Close may trim preallocation)
  kRename = 9,      // inode moved from name to second name, replacing aux
  kLink = 10,       // second name is a new hard link to the inode at name
  kDelete = 11,     // name unlinked
  kDirSync = 12,    // directory `name` (a root, or a directory inside one; "" = the store when
                    // it is the base) synced: its entries as they were before record a are durable
  kRoot = 13,       // a tracked root, `name` relative to the base; a = 1 for the store
  kMkdir = 14,      // directory `name` created (empty); its entry in its parent is new
  kRmdir = 15,      // (empty) directory `name` removed
  kRenameDir = 16,  // directory moved from name to second name, with everything inside it
  kWritingStarts = 17,  // the writer judged the recovered store and starts writing ops: crash
                        // points count events after this marker only (at most one, no file)
  kFailed = 18,         // the call of intent #a returned an error: the intent changed nothing
                        // (file id: the intent's, for the reader)
  // Op boundaries, in the same total order as the file-system events (no file, nothing on
  // disk changes): the writer is about to execute op a (kIssued), or op a returned OK
  // (kAcked). So for every prefix of the ledger the issued and acked points are exact, and a
  // crash state built after any event is judged against the ops that had been issued and
  // acked by then (faults/crash_image.h).
  kIssued = 19,
  kAcked = 20,
  // An injected I/O error (faults/io_error.h): the call was not made. a = its IoSite, b = for
  // a file sync, the file's length when the failed sync began (fsyncgate: the bytes from the
  // durable length up to b are never durable through a later sync); 0 otherwise. file id: the
  // file's inode (0 for a directory fsync); name: the file or directory.
  kIoError = 21,
};
inline constexpr uint8_t kMaxRecordKind = 21;
// kBaseline flag: no directory fsync has covered the file's name yet (it was created in an
// earlier cycle that ended in a kill), so a power cut before one loses the name.
inline constexpr uint32_t kBaselineEntryNotDurable = 1;
const char* RecordKindName(RecordKind kind);
// The name RecordKindName gives; BadInput naming the text otherwise.
Status ParseRecordKind(const std::string& text, RecordKind* kind);
// Records written before their call (see "Intents" above), and the namespace ones of them.
bool IsIntent(RecordKind kind);
bool IsNamespaceIntent(RecordKind kind);
// Records that change nothing on disk and name no file: the writing-start marker and the op
// boundaries. Crash points and the `event` kind count file-system events only, never these.
inline bool IsMarker(RecordKind kind) {
  return kind == RecordKind::kWritingStarts || kind == RecordKind::kIssued ||
         kind == RecordKind::kAcked;
}

// Which store file an inode is, from its name when the writer first saw it.
enum class FileClass : uint8_t { kOther, kWal, kSst, kManifest };
FileClass ClassifyName(std::string_view relative_name);

// The crash-point kind of a record, or kNone. `target_name` is the rename target.
EventKind ClassifyEvent(RecordKind kind, FileClass file, std::string_view target_name);

struct LedgerRecord {
  uint64_t ordinal = 0;
  RecordKind kind = RecordKind::kBaseline;
  uint32_t file_id = 0;
  uint32_t aux_id = 0;
  uint32_t flags = 0;  // kBaseline: kBaselineEntryNotDurable or 0
  uint64_t a = 0;
  uint64_t b = 0;
  std::string name;   // relative to the base; the directory for kDirSync
  std::string name2;  // rename/link target
  std::string data;   // kSave bytes
};

// One line, e.g. `#17 sync file 3 length 4096`, for reports and failure evidence.
std::string DescribeRecord(const LedgerRecord& record);

inline constexpr uint64_t kDefaultMaxLedgerBytes = 1ull << 30;  // 1 GiB
std::string LedgerFilePath(const std::string& ledger_dir);
std::string LedgerKeepDir(const std::string& ledger_dir);  // hard links the cut restores from
std::string KeepPath(const std::string& ledger_dir, uint32_t file_id);

// Reads every committed record. Corruption naming the file and offset when it does not parse.
Status ReadLedger(const std::string& ledger_dir, std::vector<LedgerRecord>* records);

// What a dead writer reached: for a timed kill's replay at the same event.
struct LedgerSummary {
  uint64_t events = 0;  // records, all kinds, the open's included
  // Events of the cycle's writing, after the kWritingStarts marker (all zero without one),
  // counted as the writer's crash points count them; kAnyEvent: every record after it.
  std::array<uint64_t, kEventKindCount> by_kind{};  // indexed by EventKind
  bool has_last = false;
  LedgerRecord last;  // the last record (its saved bytes dropped)
  // Injected I/O errors of the writing (kIoError records after the marker), and the first.
  uint64_t io_errors = 0;
  LedgerRecord first_io_error;
  uint64_t count(EventKind kind) const { return by_kind[static_cast<int>(kind)]; }
};
Status SummarizeLedger(const std::string& ledger_dir, LedgerSummary* summary);

// The events of the cycle's writing as crash points count them: every record after the
// kWritingStarts marker but the markers, each with its crash-point kind (kNone for a call that
// failed, or a record of no kind). An event's 1-based position is its `event:N` number.
struct WritingEvent {
  uint64_t ordinal;
  EventKind kind;
};
std::vector<WritingEvent> WritingEvents(const std::vector<LedgerRecord>& records);
// The ordinal of the nth writing event of `kind` (kAnyEvent: of any kind); false when there
// are fewer.
bool NthWritingEvent(const std::vector<WritingEvent>& events, EventKind kind, uint64_t nth,
                     uint64_t* ordinal);

// Rewrites the ledger without the record at `ordinal`, renumbering directory-sync bounds, so
// it still parses. For tests that must show a tampered ledger leads to a FAIL.
Status RemoveLedgerRecord(const std::string& ledger_dir, uint64_t ordinal);

// Told why the ledger cannot grow (one line naming the ledger's directory and the bytes it
// needs); must not return: a ledger that silently stopped recording would make every later
// cut wrong. The process aborts if it does return.
using LedgerFullHandler = void (*)(const std::string& message);

// Appends records to a fresh ledger file through a shared mapping: an event is a store into
// memory, not a system call, and the kernel keeps the pages when the process dies. The file
// grows by fallocate, doubling from 1 MiB up to 16 MiB steps, inside one mapping reserved for
// max_bytes, so record addresses never move and a dead writer's ledger holds little unused
// space. When it cannot grow (max_bytes reached, or the disk is full) it calls the full
// handler, or without one prints the message and aborts.
class LedgerWriter {
 public:
  struct Head {
    RecordKind kind;
    uint32_t file_id = 0;
    uint32_t aux_id = 0;
    uint64_t a = 0;
    uint64_t b = 0;
    uint32_t flags = 0;  // kBaseline only
  };

  // Creates `path` (which must not exist) with room for its first records. BadInput/IoError
  // naming the path otherwise (IoError naming the space needed when the disk is full).
  static Status Create(const std::string& path, uint64_t max_bytes,
                       std::unique_ptr<LedgerWriter>* writer, LedgerFullHandler on_full = nullptr);
  ~LedgerWriter();  // trims the file to its end offset
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  // Thread-safe. Returns the record's ordinal. `rest` follows the name in the payload.
  // *writing_event, if given, is set to the record's 1-based number among the file-system
  // events after the kWritingStarts marker (markers not counted), 0 for any other record: the
  // number `event:N` crash points and SummarizeLedger's kAnyEvent count.
  uint64_t Append(const Head& head, std::string_view name, std::string_view rest = {},
                  uint64_t* writing_event = nullptr);
  // Records committed so far; the ordinal the next record will get.
  uint64_t records() const;
  // The ordinal of the kWritingStarts record, kNotWriting before it. Set under the append
  // lock, so a thread whose record follows the marker sees it after its Append returns.
  static constexpr uint64_t kNotWriting = ~uint64_t{0};
  uint64_t writing_start() const { return writing_start_.load(std::memory_order_acquire); }

 private:
  LedgerWriter() = default;
  // Grows the file to hold `needed_end` bytes: "" when done, else why it cannot.
  std::string Grow(uint64_t needed_end);
  void GrowOrDie(uint64_t needed_end);
  [[noreturn]] void Full(const std::string& message);

  std::string path_;
  int fd_ = -1;
  char* base_ = nullptr;
  uint64_t max_bytes_ = 0;
  std::mutex mu_;  // guards end_, file_bytes_ and the bytes at [end_, file_bytes_)
  uint64_t end_ = 0;
  uint64_t file_bytes_ = 0;
  std::atomic<uint64_t> records_{0};                  // written under mu_, read without it
  std::atomic<uint64_t> writing_start_{kNotWriting};  // written under mu_, read without it
  uint64_t writing_events_ = 0;                       // under mu_: see Append
  LedgerFullHandler on_full_ = nullptr;
};

}  // namespace powercut::faults
