// Injected I/O errors: the ledger file system (faults/ledger_fs.h) fails one seeded call of
// the cycle's writing, or every later call of that kind on that file (a dying disk), instead
// of making it. The call is not made: no byte of a failed write reaches the file, a failed
// sync makes nothing durable. fsyncgate (Linux since 4.13, PostgreSQL's name for it): a
// failed Sync/Fsync leaves the bytes the file held unsynced at that moment out of every later
// sync, because the kernel marked their pages clean; a power cut loses them (the cut writes
// zeros there) even when a later sync of the file returns OK. A process crash keeps them: the
// page cache still holds them.
#pragma once

#include <cstdint>
#include <string>

#include <rocksdb/io_status.h>

#include "src/status.h"

namespace powercut::faults {

// Where an error is injected: a call of one kind, on files of one class where it matters.
enum class IoSite : uint8_t {
  kWalAppend,      // "wal-append": Append/PositionedAppend to a *.log file
  kWalSync,        // "wal-sync": Sync/Fsync of a *.log file
  kSstWrite,       // "sst-write": Append/PositionedAppend to a *.sst file
  kSstSync,        // "sst-sync": Sync/Fsync of a *.sst file
  kManifestWrite,  // "manifest-write": Append to a MANIFEST-* file
  kManifestSync,   // "manifest-sync": Sync/Fsync of a MANIFEST-* file
  kDirFsync,       // "dir-fsync": Fsync of a tracked directory
  kFileCreate,     // "file-create": a new file (NewWritableFile, ReopenWritableFile of none)
  kRename,         // "rename": RenameFile (CURRENT is installed this way)
  kDelete,         // "delete": DeleteFile
  kClose,          // "close": Close of a writable file
};
inline constexpr int kIoSiteCount = 11;

// The status an injected call returns.
enum class IoErrorStatus : uint8_t {
  kRetryable,  // "retryable": IOError with the retryable flag (RocksDB may auto-resume)
  kFatal,      // "fatal": plain IOError
  kNoSpace,    // "nospace": IOError NoSpace (ENOSPC)
};
inline constexpr int kIoErrorStatusCount = 3;

enum class IoErrorMode : uint8_t {
  kOnce,    // "once": the nth call of the site fails, later ones succeed
  kSticky,  // "sticky": the nth call fails, and so does every later call of the site on the
            // same file (the same inode; a directory or a create: the same name)
};

struct IoErrorPlan {
  IoSite site = IoSite::kWalAppend;
  uint64_t nth = 0;  // 1-based count of the site's calls after the writing starts; 0: off
  IoErrorStatus status = IoErrorStatus::kFatal;
  IoErrorMode mode = IoErrorMode::kOnce;
  bool armed() const { return nth != 0; }
};

// "SITE:N:STATUS:MODE", e.g. "wal-sync:3:fatal:once", N >= 1; BadInput naming the part
// otherwise. Format gives the text Parse reads back.
Status ParseIoErrorPlan(const std::string& text, IoErrorPlan* plan);
std::string FormatIoErrorPlan(const IoErrorPlan& plan);

Status ParseIoSite(const std::string& text, IoSite* site);
const char* IoSiteName(IoSite site);
Status ParseIoErrorStatus(const std::string& text, IoErrorStatus* status);
const char* IoErrorStatusName(IoErrorStatus status);
Status ParseIoErrorMode(const std::string& text, IoErrorMode* mode);
const char* IoErrorModeName(IoErrorMode mode);

// Whether the site is a Sync/Fsync of a file (fsyncgate applies).
bool IsFileSyncSite(IoSite site);

// The most calls of `site` a cycle's seeded N is drawn up to (1..MaxNthCall): small enough
// that the error usually fires within a cycle's writing, large enough to land mid-stream.
uint64_t MaxNthCall(IoSite site);

// The status an injected call of `site` returns; the message names powercut, the site and
// `path`, so a report tells an injected error from a real one.
rocksdb::IOStatus InjectedIoStatus(IoErrorStatus status, IoSite site, const std::string& path);

}  // namespace powercut::faults
