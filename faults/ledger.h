// The ledger: the writer's record of the file-system events that matter for durability. This
// header fixes its on-disk format, the writer used inside the writer process (by
// faults/ledger_fs.cc) and the reader the controller uses after the writer died.
//
// File `<ledger_dir>/ledger.bin`, little-endian, every record 8-byte aligned:
//
//   header, 64 bytes
//     0  char[8] magic "PCLEDGR1"
//     8  u32     version (1)
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
//     28 u32 zero
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
  kAnyEvent,       // "event": any ledger record — how a replay crashes where a timed kill did
};
inline constexpr int kEventKindCount = 8;

// "wal-append" | "wal-sync" | "sst-create" | "manifest-write" | "current-rename" |
// "dir-fsync"; BadInput naming the value otherwise.
Status ParseEventKind(const std::string& text, EventKind* kind);
const char* EventKindName(EventKind kind);

enum class RecordKind : uint8_t {
  kBaseline = 1,    // a file that existed before the writer touched it: name and a=size durable
  kCreate = 2,      // new inode at name (replacing aux); a = size, b = durable size (0, 0 unless
                    // it was moved in from outside the store, then both its size)
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
};
inline constexpr uint8_t kMaxRecordKind = 16;
const char* RecordKindName(RecordKind kind);

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
  uint64_t events = 0;                              // records, all kinds
  std::array<uint64_t, kEventKindCount> by_kind{};  // indexed by EventKind
  bool has_last = false;
  LedgerRecord last;  // the last record (its saved bytes dropped)
  uint64_t count(EventKind kind) const { return by_kind[static_cast<int>(kind)]; }
};
Status SummarizeLedger(const std::string& ledger_dir, LedgerSummary* summary);

// Rewrites the ledger without the record at `ordinal`, renumbering directory-sync bounds, so
// it still parses. For tests that must show a tampered ledger leads to a FAIL.
Status RemoveLedgerRecord(const std::string& ledger_dir, uint64_t ordinal);

// Appends records to a fresh ledger file through a shared mapping: an event is a store into
// memory, not a system call, and the kernel keeps the pages when the process dies. The file
// grows by ftruncate in 16 MiB chunks inside one mapping reserved for max_bytes, so record
// addresses never move. Past max_bytes the process aborts with a message: a ledger that
// silently stopped recording would make every later cut wrong.
class LedgerWriter {
 public:
  struct Head {
    RecordKind kind;
    uint32_t file_id = 0;
    uint32_t aux_id = 0;
    uint64_t a = 0;
    uint64_t b = 0;
  };

  // Creates `path` (which must not exist). BadInput/IoError naming the path otherwise.
  static Status Create(const std::string& path, uint64_t max_bytes,
                       std::unique_ptr<LedgerWriter>* writer);
  ~LedgerWriter();  // trims the file to its end offset
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  // Thread-safe. Returns the record's ordinal. `rest` follows the name in the payload.
  uint64_t Append(const Head& head, std::string_view name, std::string_view rest = {});
  // Records committed so far; the ordinal the next record will get.
  uint64_t records() const;

 private:
  LedgerWriter() = default;
  void GrowOrDie(uint64_t needed_end);

  std::string path_;
  int fd_ = -1;
  char* base_ = nullptr;
  uint64_t max_bytes_ = 0;
  std::mutex mu_;  // guards end_, file_bytes_ and the bytes at [end_, file_bytes_)
  uint64_t end_ = 0;
  uint64_t file_bytes_ = 0;
  std::atomic<uint64_t> records_{0};  // written under mu_, read without it
};

}  // namespace powercut::faults
