#include "faults/ledger_fs.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "faults/carried_durability.h"

namespace powercut::faults {
namespace {

using rocksdb::DataVerificationInfo;
using rocksdb::DirFsyncOptions;
using rocksdb::FileOptions;
using rocksdb::FSDirectory;
using rocksdb::FSRandomRWFile;
using rocksdb::FSWritableFile;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

std::atomic<uint64_t> g_event_count{0};
std::atomic<uint64_t> g_io_error_count{0};  // injected errors, see InjectedIoErrorCount

// Saved durable bytes go into records of at most this size: one big overwrite must not need
// one huge buffer, and a record's length field is 32 bits.
constexpr uint64_t kSaveChunkBytes = 1ull << 20;

std::string Normalize(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) p = path;
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// The info LOG is written with stdio behind the FileSystem's back and never synced; it is the
// evidence of what the writer saw, so it is neither tracked nor cut.
bool IsInfoLog(std::string_view rel) {
  size_t slash = rel.rfind('/');
  std::string_view base = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
  return base == "LOG" || base.substr(0, 7) == "LOG.old";
}

IOStatus Errno(const std::string& what, const std::string& path) {
  return IOStatus::IOError("powercut ledger: " + what + " " + path + ": " + std::strerror(errno));
}

bool FileSize(const std::string& path, uint64_t* size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  *size = static_cast<uint64_t>(st.st_size);
  return true;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool IsDirectoryPath(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void RaiseMax(std::atomic<uint64_t>* value, uint64_t candidate) {
  uint64_t cur = value->load(std::memory_order_relaxed);
  while (cur < candidate && !value->compare_exchange_weak(cur, candidate)) {
  }
}

// One inode the writer has seen, shared by the name table and the handles open on it.
struct Inode {
  Inode(uint32_t id_in, FileClass cls_in, std::string path_in, uint64_t size_in)
      : id(id_in), cls(cls_in), size(size_in), durable(size_in), path(std::move(path_in)) {}
  ~Inode() {
    if (read_fd >= 0) ::close(read_fd);
  }

  const uint32_t id;
  const FileClass cls;
  std::atomic<uint64_t> size;     // end of the furthest write, as recorded
  std::atomic<uint64_t> durable;  // durable length, replayed as the cut will (decides saves)
  std::atomic<bool> kept{false};  // hard-linked into keep/ (set under State::ns_mu)
  std::string path;               // current absolute name (guarded by State::ns_mu)

  std::mutex mu;               // guards the fields below
  bool trunc_pending = false;  // truncated below `durable` since the last sync
  int read_fd = -1;            // the keep link, opened to read bytes about to be overwritten
};

// The name a directory handle syncs under. Kept current across renames (under State::ns_mu),
// so a fsync through a handle opened before a rename is recorded under the name the replay
// then knows the directory by.
struct DirName {
  explicit DirName(std::string rel_in) : rel(std::move(rel_in)) {}
  std::string rel;
  bool gone = false;  // removed or replaced: its fsync covers nothing that can survive
};

// A call the I/O error plan may fail instead of making it (faults/io_error.h): its site and
// what the kIoError record names. No site: a call the plan never fails.
struct IoCall {
  std::optional<IoSite> site;
  uint32_t file_id = 0;          // the inode; 0 for a directory
  const Inode* inode = nullptr;  // a data call: its name is read (under ns_mu) only if it fails
  std::string rel;               // a namespace call, made under ns_mu: the name it acts on
  uint64_t sync_bytes = 0;       // a file sync: the file's length when it began
};

// The site of an append or a sync (`kind`) of a file of class `cls`; none for other files.
std::optional<IoSite> DataSite(RecordKind kind, FileClass cls) {
  const bool sync = kind == RecordKind::kSync;
  switch (cls) {
    case FileClass::kWal:
      return sync ? IoSite::kWalSync : IoSite::kWalAppend;
    case FileClass::kSst:
      return sync ? IoSite::kSstSync : IoSite::kSstWrite;
    case FileClass::kManifest:
      return sync ? IoSite::kManifestSync : IoSite::kManifestWrite;
    case FileClass::kOther:
      break;
  }
  return std::nullopt;
}

// A namespace call of `site` (none: never failed) on `rel`, inode `file_id` (0: a directory,
// or a file a failed create never made).
IoCall NameCall(std::optional<IoSite> site, uint32_t file_id, std::string rel) {
  IoCall io;
  io.site = site;
  io.file_id = file_id;
  io.rel = std::move(rel);
  return io;
}

// What the file system, its files and its directories share; outlives whichever goes last.
class State {
 public:
  // `roots`: absolute, normalized, disjoint; `base` holds them all (and is the only one when
  // there are no extra roots).
  State(std::string base, std::vector<std::string> roots, std::string ledger_dir,
        CrashPoint crash_at, CallKill kill_at_call, IoErrorPlan io_error,
        void (*on_first_io_error)(), std::unique_ptr<LedgerWriter> ledger)
      : base_(std::move(base)),
        roots_(std::move(roots)),
        ledger_dir_(std::move(ledger_dir)),
        crash_at_(crash_at),
        kill_at_call_(kill_at_call),
        io_error_(io_error),
        on_first_io_error_(on_first_io_error),
        ledger_(std::move(ledger)) {}

  // Strictly inside a root, and not an info log: a name the ledger tracks (relative to base).
  bool TrackedFile(const std::string& path, std::string* rel, std::string* abs) const {
    *abs = Normalize(path);
    for (const std::string& root : roots_) {
      if (Inside(*abs, root)) {
        *rel = RelOf(*abs);
        return !IsInfoLog(*rel);
      }
    }
    return false;
  }

  // A root, or a directory inside one.
  bool TrackedDir(const std::string& path, std::string* rel) const {
    std::string abs = Normalize(path);
    for (const std::string& root : roots_) {
      if (abs == root) {
        *rel = RelOf(abs);
        return true;
      }
    }
    std::string ignored;
    return TrackedFile(path, rel, &ignored);
  }

  std::string RelOf(const std::string& abs) const {
    if (abs == base_) return "";
    return abs.substr(base_ == "/" ? 1 : base_.size() + 1);
  }
  std::string AbsOf(const std::string& rel) const {
    if (rel.empty()) return base_;
    return base_ == "/" ? "/" + rel : base_ + "/" + rel;
  }
  // Names relative to the base: `rel` is directory `dir` (never the base) or inside it.
  static bool AtOrUnder(const std::string& rel, const std::string& dir) {
    return rel.compare(0, dir.size(), dir) == 0 &&
           (rel.size() == dir.size() || rel[dir.size()] == '/');
  }
  static bool Inside(const std::string& path, const std::string& dir) {
    if (dir == "/") return path.size() > 1;
    return path.size() > dir.size() + 1 && path.compare(0, dir.size(), dir) == 0 &&
           path[dir.size()] == '/';
  }

  // Records one event; SIGKILLs the process right after it when it is the crash point.
  uint64_t Record(EventKind event, const LedgerWriter::Head& head, std::string_view name,
                  std::string_view rest = {}) {
    uint64_t writing_event = 0;
    const uint64_t ordinal = ledger_->Append(head, name, rest, &writing_event);
    g_event_count.fetch_add(1, std::memory_order_relaxed);
    if (IsCrashPoint(event, writing_event)) Die();
    return ordinal;
  }

  // An op boundary (kIssued/kAcked): no file-system event, never a crash point.
  void RecordOp(RecordKind kind, uint64_t op) { ledger_->Append({kind, 0, 0, op, 0}, ""); }

  // An intent: the record of a call about to be made (faults/ledger.h, "Intents"). Its crash
  // point, if it is one, fires in Settle, once the call reached the disk.
  struct Intent {
    uint64_t ordinal = 0;
    uint64_t writing_event = 0;  // see LedgerWriter::Append
  };
  Intent Intend(const LedgerWriter::Head& head, std::string_view name, std::string_view rest = {}) {
    Intent intent;
    intent.ordinal = ledger_->Append(head, name, rest, &intent.writing_event);
    g_event_count.fetch_add(1, std::memory_order_relaxed);
    return intent;
  }

  // After an intent's call: an error voids the intent (kFailed); a success may be the crash
  // point. Namespace intents settle under ns_mu, which their intent was recorded under.
  void Settle(EventKind event, const Intent& intent, uint32_t file_id, const IOStatus& s) {
    if (!s.ok()) {
      Record(EventKind::kNone, {RecordKind::kFailed, file_id, 0, intent.ordinal, 0}, "");
      event = EventKind::kNone;  // a failed call is no event of its kind
    }
    if (IsCrashPoint(event, intent.writing_event)) Die();
  }

  // Makes one mutating system call, whose record is of `kind`, unless the I/O error plan
  // fails it (`io`: its site): then the call is not made, a kIoError record says so and the
  // injected status is returned, which the caller treats as any failed call's. The test hook
  // (CallKill) may SIGKILL the process on either side of it.
  template <typename Call>
  IOStatus Syscall(RecordKind kind, const IoCall& io, Call call) {
    const bool chosen =
        kill_at_call_.nth != 0 && kind == kill_at_call_.kind &&
        calls_seen_.fetch_add(1, std::memory_order_relaxed) + 1 == kill_at_call_.nth;
    if (chosen && !kill_at_call_.after_call) Die();
    IOStatus s;
    if (!Injected(io, &s)) s = call();
    if (chosen && kill_at_call_.after_call) Die();
    return s;
  }
  template <typename Call>
  IOStatus Syscall(RecordKind kind, Call call) {
    return Syscall(kind, IoCall(), call);
  }

  // A data call (append, sync, close) on `inode`, of `site` (none: never failed).
  static IoCall FileCall(std::optional<IoSite> site, const Inode& inode, uint64_t sync_bytes = 0) {
    IoCall io;
    io.site = site;
    io.file_id = inode.id;
    io.inode = &inode;
    io.sync_bytes = sync_bytes;
    return io;
  }

  [[noreturn]] static void Die() {
    ::kill(::getpid(), SIGKILL);
    for (;;) ::pause();  // no thread of this process may act after the crash point
  }

  uint64_t records() const { return ledger_->records(); }

  // The marker after which crash points count (see CrashPoint). False if marked already.
  bool MarkWritingStarts() {
    if (ledger_->writing_start() != LedgerWriter::kNotWriting) return false;
    Record(EventKind::kNone, {RecordKind::kWritingStarts}, "");
    return true;
  }

  // --- The name table. Namespace operations are rare; they serialize on ns_mu. ---
  std::mutex ns_mu;

  std::shared_ptr<Inode> NewInodeLocked(const std::string& rel, const std::string& abs,
                                        uint64_t size) {
    return NewInodeLocked(ReserveIdLocked(), rel, abs, size);
  }
  // The id a create's intent names before the inode exists; a failed create's id stays unused.
  uint32_t ReserveIdLocked() { return next_id_++; }
  std::shared_ptr<Inode> NewInodeLocked(uint32_t id, const std::string& rel, const std::string& abs,
                                        uint64_t size) {
    auto inode = std::make_shared<Inode>(id, ClassifyName(rel), abs, size);
    names_[rel] = inode;
    return inode;
  }

  // The inode at `rel`: known, or recorded now as a baseline (durable at its size) when a
  // file the writer has not seen exists there; null when nothing is there.
  std::shared_ptr<Inode> TouchLocked(const std::string& rel, const std::string& abs) {
    auto it = names_.find(rel);
    if (it != names_.end()) return it->second;
    return BaselineLocked(rel, abs, ~uint64_t{0}, true);
  }

  // Records the file at `rel` (not known yet) as a baseline: durable up to `durable_bytes`
  // (clamped to its size) and, unless not `entry_durable`, under its name. Null when no
  // regular file is there.
  std::shared_ptr<Inode> BaselineLocked(const std::string& rel, const std::string& abs,
                                        uint64_t durable_bytes, bool entry_durable) {
    assert(names_.count(rel) == 0);
    struct stat st;
    if (::stat(abs.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    auto inode = NewInodeLocked(rel, abs, size);
    const uint64_t durable = std::min(durable_bytes, size);
    inode->durable.store(durable);  // bytes above it are not durable: overwrites save nothing
    Record(EventKind::kNone,
           {RecordKind::kBaseline, inode->id, 0, size, durable,
            entry_durable ? 0u : kBaselineEntryNotDurable},
           rel);
    return inode;
  }

  // Records a baseline now for every file an earlier cycle left not wholly durable
  // (faults/carried_durability.h), touched later or not: a power cut of this ledger must be
  // able to lose their unsynced bytes and names even if the writer never opens them.
  Status RecordCarried(const std::string& state_path) {
    CarriedDurability carried;
    Status s = LoadCarriedDurability(state_path, &carried);
    if (!s.ok()) return s;
    const std::string dir = std::filesystem::path(Normalize(state_path)).parent_path().string();
    std::lock_guard<std::mutex> lock(ns_mu);
    for (const CarriedFile& f : carried.files) {
      std::string rel, abs;
      // Outside every root: no cut of this ledger reaches it. Gone: nothing left to lose.
      if (!TrackedFile(dir + "/" + f.name, &rel, &abs) || names_.count(rel) != 0) continue;
      BaselineLocked(rel, abs, f.durable_bytes, f.entry_durable);
    }
    return Status::Ok();
  }

  // --- Directories ---
  std::shared_ptr<DirName> OpenDir(const std::string& rel) {
    std::lock_guard<std::mutex> lock(ns_mu);
    auto dir = std::make_shared<DirName>(rel);
    std::erase_if(dir_handles_, [](const std::weak_ptr<DirName>& d) { return d.expired(); });
    dir_handles_.push_back(dir);
    return dir;
  }

  // After a rename of directory `from` to `to`: every name at or under `from` moves.
  void MoveDirLocked(const std::string& from, const std::string& to) {
    std::vector<std::pair<std::string, std::shared_ptr<Inode>>> moved;
    for (auto it = names_.begin(); it != names_.end();) {
      if (!AtOrUnder(it->first, from)) {
        ++it;
        continue;
      }
      std::string rel = to + it->first.substr(from.size());
      if (it->second->path == AbsOf(it->first)) it->second->path = AbsOf(rel);
      moved.emplace_back(std::move(rel), std::move(it->second));
      it = names_.erase(it);
    }
    for (auto& [rel, inode] : moved) names_[rel] = std::move(inode);
    ForEachDirHandle(from, [&](DirName& d) { d.rel = to + d.rel.substr(from.size()); });
  }

  // After directory `rel` was removed (or replaced by a rename).
  void RemoveDirLocked(const std::string& rel) {
    ForEachDirHandle(rel, [](DirName& d) { d.gone = true; });
  }

  // Where a directory fsync beginning now starts covering. Taken under ns_mu: a namespace
  // intent recorded before it has had its call return, so the fsync really covers it.
  // `rel`: the directory's name now, for the I/O error plan (renames change it under ns_mu).
  uint64_t DirSyncBound(const DirName& dir, std::string* rel) {
    std::lock_guard<std::mutex> lock(ns_mu);
    *rel = dir.rel;
    return records();
  }

  // A completed directory fsync; `bound`: the records before it began.
  void RecordDirSync(const DirName& dir, uint64_t bound) {
    std::lock_guard<std::mutex> lock(ns_mu);
    if (dir.gone) return;
    Record(EventKind::kDirFsync, {RecordKind::kDirSync, 0, 0, bound, 0}, dir.rel);
  }

  void ForgetLocked(const std::string& rel) { names_.erase(rel); }
  void BindLocked(const std::string& rel, std::shared_ptr<Inode> inode) {
    names_[rel] = std::move(inode);
  }

  // Hard-links the inode into keep/ before it may lose its last name or its durable bytes,
  // so the cut can always find it there.
  IOStatus KeepLocked(Inode& inode) {
    if (inode.kept.load()) return IOStatus::OK();
    const std::string keep = KeepPath(ledger_dir_, inode.id);
    if (::link(inode.path.c_str(), keep.c_str()) != 0) return Errno("cannot keep", inode.path);
    inode.kept.store(true);
    return IOStatus::OK();
  }

  IOStatus Keep(Inode& inode) {
    if (inode.kept.load()) return IOStatus::OK();
    std::lock_guard<std::mutex> lock(ns_mu);
    return KeepLocked(inode);
  }

  // Where the inode can be found now (for stat after close).
  std::string PathOf(const Inode& inode) {
    if (inode.kept.load()) return KeepPath(ledger_dir_, inode.id);
    std::lock_guard<std::mutex> lock(ns_mu);
    return inode.path;
  }

  // Saves the bytes the file holds in [offset, offset + length) before a write or truncate
  // replaces them (WAL recycling, rewrites), so the cut can put durable ones back and a crash
  // image of an earlier event (faults/crash_image.h) can rebuild the file as it was then,
  // unsynced bytes included. A write at `offset`: bytes it overwrites are saved first, then the
  // write is recorded once it reached the file. Writable and random-RW files share this. The intent
  // comes first; the in-memory size grows only once the bytes are written, so a later sync never
  // claims bytes a failed write left out.
  template <typename Call>
  IOStatus Written(Inode& inode, uint64_t offset, uint64_t length, Call write) {
    IOStatus s = SaveOverwritten(inode, offset, length);
    if (!s.ok()) return s;
    const Intent intent = Intend({RecordKind::kAppend, inode.id, 0, offset, length}, "");
    s = Syscall(RecordKind::kAppend, FileCall(DataSite(RecordKind::kAppend, inode.cls), inode),
                write);
    if (s.ok()) RaiseMax(&inode.size, offset + length);
    Settle(ClassifyEvent(RecordKind::kAppend, inode.cls, {}), intent, inode.id, s);
    return s;
  }

  IOStatus SaveOverwritten(Inode& inode, uint64_t offset, uint64_t length) {
    const uint64_t held = std::max(inode.durable.load(std::memory_order_acquire),
                                   inode.size.load(std::memory_order_acquire));
    if (length == 0 || offset >= held) return IOStatus::OK();
    const uint64_t end = std::min(offset + length, held);
    IOStatus s = Keep(inode);
    if (!s.ok()) return s;
    std::string buf;
    for (uint64_t pos = offset; pos < end;) {
      buf.resize(std::min(kSaveChunkBytes, end - pos));
      ssize_t n;
      {
        std::lock_guard<std::mutex> lock(inode.mu);
        if (inode.read_fd < 0) {
          inode.read_fd = ::open(KeepPath(ledger_dir_, inode.id).c_str(), O_RDONLY | O_CLOEXEC);
          if (inode.read_fd < 0) return Errno("cannot read back", inode.path);
        }
        n = ::pread(inode.read_fd, buf.data(), buf.size(), static_cast<off_t>(pos));
      }
      if (n < 0) return Errno("cannot read back", inode.path);
      if (n == 0) break;  // shorter than it should be; the cut reports missing bytes
      Record(EventKind::kNone, {RecordKind::kSave, inode.id, 0, pos, 0}, "",
             std::string_view(buf.data(), static_cast<size_t>(n)));
      pos += static_cast<uint64_t>(n);
    }
    return IOStatus::OK();
  }

  // A completed Sync/Fsync made the first `length` bytes durable (the length when it began:
  // bytes written during the sync may or may not have made it).
  // The length to call durable is the one before the sync began: bytes appended while it
  // ran (another thread) may not be covered. Writable and random-RW files share this.
  template <typename Call>
  IOStatus Synced(Inode& inode, Call sync) {
    const uint64_t length = inode.size.load(std::memory_order_acquire);
    IOStatus s = Syscall(RecordKind::kSync,
                         FileCall(DataSite(RecordKind::kSync, inode.cls), inode, length), sync);
    if (s.ok()) RecordSync(inode, length);
    return s;
  }
  template <typename Call>
  IOStatus Closed(Inode& inode, Call close) {
    IOStatus s = Syscall(RecordKind::kClose, FileCall(IoSite::kClose, inode), close);
    if (s.ok()) RecordClose(inode);
    return s;
  }

  void RecordSync(Inode& inode, uint64_t length) {
    Record(ClassifyEvent(RecordKind::kSync, inode.cls, {}),
           {RecordKind::kSync, inode.id, 0, length, 0}, "");
    std::lock_guard<std::mutex> lock(inode.mu);
    if (inode.trunc_pending) {
      inode.durable.store(length);
      inode.trunc_pending = false;
    } else {
      RaiseMax(&inode.durable, length);
    }
  }

  // Truncation through a handle, by name, or by an open with O_TRUNC: saves what it cuts off,
  // then records its intent.
  IOStatus Truncate(Inode& inode, uint64_t length, const std::function<IOStatus()>& op) {
    const uint64_t held = std::max(inode.durable.load(), inode.size.load());
    IOStatus s = SaveOverwritten(inode, length, held > length ? held - length : 0);
    if (!s.ok()) return s;
    const Intent intent = Intend({RecordKind::kTruncate, inode.id, 0, length, 0}, "");
    s = Syscall(RecordKind::kTruncate, op);
    if (s.ok()) {
      inode.size.store(length);
      std::lock_guard<std::mutex> lock(inode.mu);
      if (length < inode.durable.load()) inode.trunc_pending = true;
    }
    Settle(EventKind::kNone, intent, inode.id, s);
    return s;
  }

  // After Close, which may trim preallocated space: record the length left on disk.
  void RecordClose(Inode& inode) {
    uint64_t length = 0;
    if (!FileSize(PathOf(inode), &length)) return;
    Record(EventKind::kNone, {RecordKind::kClose, inode.id, 0, length, 0}, "");
    inode.size.store(length);
    // A trim below the durable length counts, as the replay's does, unless a truncation is
    // pending: then the durable bytes are the old ones, saved, and the trim changes nothing.
    std::lock_guard<std::mutex> lock(inode.mu);
    if (!inode.trunc_pending && length < inode.durable.load()) inode.durable.store(length);
  }

 private:
  template <typename F>
  void ForEachDirHandle(const std::string& rel, F f) {
    for (const auto& weak : dir_handles_) {
      std::shared_ptr<DirName> d = weak.lock();
      if (d && AtOrUnder(d->rel, rel)) f(*d);
    }
  }

  // Whether the plan fails this call (then *s is its status, and the kIoError record is
  // written). Calls are counted as crash points count events: of the writing only, so the
  // judging open never meets an injected error.
  bool Injected(const IoCall& io, IOStatus* s) {
    if (!io_error_.armed() || io.site != io_error_.site) return false;
    if (ledger_->writing_start() == LedgerWriter::kNotWriting) return false;
    const uint64_t nth = io_site_calls_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (nth == io_error_.nth) {
      if (io_error_.mode == IoErrorMode::kSticky) {
        std::lock_guard<std::mutex> lock(io_mu_);
        stuck_on_ = StickyKey(io);
        stuck_.store(true, std::memory_order_release);
      }
    } else {
      // Every other call of the site (WAL appends: one per write) pays one load, no string.
      if (!stuck_.load(std::memory_order_acquire)) return false;
      std::lock_guard<std::mutex> lock(io_mu_);
      if (*stuck_on_ != StickyKey(io)) return false;
    }
    std::string rel = io.rel;
    if (io.inode != nullptr) {
      std::lock_guard<std::mutex> lock(ns_mu);
      rel = Inside(io.inode->path, base_) ? RelOf(io.inode->path) : io.inode->path;
    }
    const uint64_t sync_bytes = IsFileSyncSite(*io.site) ? io.sync_bytes : 0;
    Record(EventKind::kNone,
           {RecordKind::kIoError, io.file_id, 0, static_cast<uint64_t>(*io.site), sync_bytes}, rel);
    *s = InjectedIoStatus(io_error_.status, *io.site, AbsOf(rel));
    if (g_io_error_count.fetch_add(1, std::memory_order_relaxed) == 0 && on_first_io_error_)
      on_first_io_error_();
    return true;
  }

  // What a sticky error sticks to: the inode; for a directory fsync or a create, the name
  // (a failed create leaves no inode, and each try reserves a new id).
  static std::string StickyKey(const IoCall& io) {
    if (io.file_id == 0 || io.site == IoSite::kFileCreate) return "name:" + io.rel;
    return "inode:" + std::to_string(io.file_id);
  }

  // Whether the record at `ordinal`, of crash-point kind `event`, is the crash point. The
  // writing start is published under the ledger's append lock, so a record that follows the
  // marker always sees it: the count here and SummarizeLedger's agree.
  // `writing_event`: the record's number among the writing's file-system events, 0 before
  // the writing starts (LedgerWriter::Append).
  bool IsCrashPoint(EventKind event, uint64_t writing_event) {
    if (crash_at_.kind == EventKind::kNone || writing_event == 0) return false;
    if (crash_at_.kind == EventKind::kAnyEvent) return writing_event == crash_at_.nth;
    return event == crash_at_.kind &&
           crash_seen_.fetch_add(1, std::memory_order_relaxed) + 1 == crash_at_.nth;
  }

  const std::string base_;
  const std::vector<std::string> roots_;
  const std::string ledger_dir_;
  const CrashPoint crash_at_;
  const CallKill kill_at_call_;
  const IoErrorPlan io_error_;
  void (*const on_first_io_error_)();
  std::unique_ptr<LedgerWriter> ledger_;
  std::atomic<uint64_t> crash_seen_{0};
  std::atomic<uint64_t> calls_seen_{0};     // calls of kill_at_call_.kind so far
  std::atomic<uint64_t> io_site_calls_{0};  // calls of io_error_.site in the writing so far
  std::mutex io_mu_;                        // guards stuck_on_
  std::optional<std::string> stuck_on_;     // sticky mode, once fired: StickyKey of the file
  std::atomic<bool> stuck_{false};          // stuck_on_ is set
  // Under ns_mu:
  std::unordered_map<std::string, std::shared_ptr<Inode>> names_;
  std::vector<std::weak_ptr<DirName>> dir_handles_;
  uint32_t next_id_ = 1;
};

class LedgerWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  LedgerWritableFile(std::unique_ptr<FSWritableFile> target, std::shared_ptr<State> state,
                     std::shared_ptr<Inode> inode, uint64_t position)
      : FSWritableFileOwnerWrapper(std::move(target)),
        state_(std::move(state)),
        inode_(std::move(inode)),
        position_(position) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    return Write(position_, data.size(), true,
                 [&] { return target()->Append(data, options, dbg); });
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const DataVerificationInfo& verification_info, IODebugContext* dbg) override {
    return Write(position_, data.size(), true,
                 [&] { return target()->Append(data, options, verification_info, dbg); });
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* dbg) override {
    return Write(offset, data.size(), false,
                 [&] { return target()->PositionedAppend(data, offset, options, dbg); });
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            const DataVerificationInfo& verification_info,
                            IODebugContext* dbg) override {
    return Write(offset, data.size(), false, [&] {
      return target()->PositionedAppend(data, offset, options, verification_info, dbg);
    });
  }
  IOStatus Truncate(uint64_t size, const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s =
        state_->Truncate(*inode_, size, [&] { return target()->Truncate(size, options, dbg); });
    if (s.ok()) position_ = size;
    return s;
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    return state_->Synced(*inode_, [&] { return target()->Sync(options, dbg); });
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return state_->Synced(*inode_, [&] { return target()->Fsync(options, dbg); });
  }
  IOStatus Close(const IOOptions& options, IODebugContext* dbg) override {
    return state_->Closed(*inode_, [&] { return target()->Close(options, dbg); });
  }
  // RangeSync (sync_file_range) starts writeback but promises nothing: passed through, and
  // deliberately not recorded as durable.

 private:
  template <typename Op>
  IOStatus Write(uint64_t offset, uint64_t length, bool appending, Op op) {
    IOStatus s = state_->Written(*inode_, offset, length, op);
    if (s.ok() && appending) position_ = offset + length;
    return s;
  }

  std::shared_ptr<State> state_;
  std::shared_ptr<Inode> inode_;
  uint64_t position_;  // where the next Append lands; RocksDB appends from one thread
};

class LedgerRandomRWFile : public rocksdb::FSRandomRWFileOwnerWrapper {
 public:
  LedgerRandomRWFile(std::unique_ptr<FSRandomRWFile> target, std::shared_ptr<State> state,
                     std::shared_ptr<Inode> inode)
      : FSRandomRWFileOwnerWrapper(std::move(target)),
        state_(std::move(state)),
        inode_(std::move(inode)) {}

  IOStatus Write(uint64_t offset, const Slice& data, const IOOptions& options,
                 IODebugContext* dbg) override {
    return state_->Written(*inode_, offset, data.size(),
                           [&] { return target()->Write(offset, data, options, dbg); });
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    return state_->Synced(*inode_, [&] { return target()->Sync(options, dbg); });
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return state_->Synced(*inode_, [&] { return target()->Fsync(options, dbg); });
  }
  IOStatus Close(const IOOptions& options, IODebugContext* dbg) override {
    return state_->Closed(*inode_, [&] { return target()->Close(options, dbg); });
  }

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<Inode> inode_;
};

// RocksDB 7.8 syncs directories through FsyncWithDirOptions, which the stock wrapper forwards
// straight to the target, so both entry points are overridden.
class LedgerDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  LedgerDirectory(std::unique_ptr<FSDirectory> target, std::shared_ptr<State> state,
                  std::shared_ptr<DirName> name)
      : FSDirectoryWrapper(std::move(target)), state_(std::move(state)), name_(std::move(name)) {}

  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    // Only namespace changes recorded before the fsync began are covered: a change recorded
    // after this point may have reached the directory after the fsync looked.
    std::string rel;
    const uint64_t bound = state_->DirSyncBound(*name_, &rel);
    IOStatus s =
        state_->Syscall(RecordKind::kDirSync, NameCall(IoSite::kDirFsync, 0, std::move(rel)),
                        [&] { return FSDirectoryWrapper::Fsync(options, dbg); });
    if (s.ok()) Recorded(bound);
    return s;
  }
  IOStatus FsyncWithDirOptions(const IOOptions& options, IODebugContext* dbg,
                               const DirFsyncOptions& dir_fsync_options) override {
    std::string rel;
    const uint64_t bound = state_->DirSyncBound(*name_, &rel);
    IOStatus s = state_->Syscall(
        RecordKind::kDirSync, NameCall(IoSite::kDirFsync, 0, std::move(rel)),
        [&] { return FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_fsync_options); });
    if (s.ok()) Recorded(bound);
    return s;
  }

 private:
  void Recorded(uint64_t bound) { state_->RecordDirSync(*name_, bound); }

  std::shared_ptr<State> state_;
  std::shared_ptr<DirName> name_;
};

class LedgerFileSystem : public rocksdb::FileSystemWrapper {
 public:
  LedgerFileSystem(std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<State> state)
      : FileSystemWrapper(base), state_(std::move(state)) {}

  static const char* kClassName() { return "PowercutLedgerFileSystem"; }
  const char* Name() const override { return kClassName(); }

  bool MarkWritingStarts() { return state_->MarkWritingStarts(); }
  void RecordOp(RecordKind kind, uint64_t op) { state_->RecordOp(kind, op); }

  IOStatus NewWritableFile(const std::string& fname, const FileOptions& options,
                           std::unique_ptr<FSWritableFile>* result, IODebugContext* dbg) override {
    std::string rel, abs;
    if (!state_->TrackedFile(fname, &rel, &abs)) {
      return target()->NewWritableFile(fname, options, result, dbg);
    }
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    auto open = [&] { return target()->NewWritableFile(fname, options, result, dbg); };
    std::shared_ptr<Inode> inode = state_->TouchLocked(rel, abs);
    IOStatus s;
    if (inode) {
      // O_TRUNC cuts the inode the name holds, as POSIX does: no name changes, and once a sync
      // of the file makes the cut durable the old bytes never come back. Until then the cut
      // restores them from the saves, read back through keep/ (linked here, under ns_mu).
      s = state_->KeepLocked(*inode);
      if (s.ok()) s = state_->Truncate(*inode, 0, open);
    } else {
      s = CreateLocked(rel, abs, open, &inode);
    }
    if (!s.ok()) return s;
    *result = std::make_unique<LedgerWritableFile>(std::move(*result), state_, inode, 0);
    return s;
  }

  IOStatus ReopenWritableFile(const std::string& fname, const FileOptions& options,
                              std::unique_ptr<FSWritableFile>* result,
                              IODebugContext* dbg) override {
    std::string rel, abs;
    if (!state_->TrackedFile(fname, &rel, &abs)) {
      return target()->ReopenWritableFile(fname, options, result, dbg);
    }
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    auto open = [&] { return target()->ReopenWritableFile(fname, options, result, dbg); };
    std::shared_ptr<Inode> inode = state_->TouchLocked(rel, abs);
    IOStatus s = inode ? state_->Syscall(RecordKind::kReopen, open)
                       : CreateLocked(rel, abs, open, &inode);  // the reopen creates it
    if (!s.ok()) return s;
    uint64_t size = 0;
    FileSize(abs, &size);
    state_->Record(EventKind::kNone, {RecordKind::kReopen, inode->id, 0, size, size}, "");
    inode->size.store(size);
    *result = std::make_unique<LedgerWritableFile>(std::move(*result), state_, inode, size);
    return s;
  }

  // WAL recycling: the old log is renamed to the new name and overwritten from offset 0.
  IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                             const FileOptions& options, std::unique_ptr<FSWritableFile>* result,
                             IODebugContext* dbg) override {
    std::string rel, abs, old_rel, old_abs;
    if (!state_->TrackedFile(fname, &rel, &abs) ||
        !state_->TrackedFile(old_fname, &old_rel, &old_abs)) {
      return target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
    }
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    std::shared_ptr<Inode> inode = state_->TouchLocked(old_rel, old_abs);
    if (!inode) return target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
    IOStatus s = state_->KeepLocked(*inode);
    std::shared_ptr<Inode> replaced = state_->TouchLocked(rel, abs);
    if (s.ok() && replaced) s = state_->KeepLocked(*replaced);
    if (!s.ok()) return s;
    IOStatus opened;
    s = MoveLocked(old_rel, rel, abs, inode, replaced ? replaced->id : 0, std::nullopt, [&] {
      opened = target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
      // The rename stands when the open after it failed: the disk decides, not the status.
      if (!opened.ok() && !PathExists(old_abs) && PathExists(abs)) return IOStatus::OK();
      return opened;
    });
    if (!opened.ok()) return opened;
    uint64_t size = 0;
    FileSize(abs, &size);
    state_->Record(EventKind::kNone, {RecordKind::kReopen, inode->id, 0, size, 0}, "");
    *result = std::make_unique<LedgerWritableFile>(std::move(*result), state_, inode, 0);
    return s;
  }

  IOStatus NewRandomRWFile(const std::string& fname, const FileOptions& options,
                           std::unique_ptr<FSRandomRWFile>* result, IODebugContext* dbg) override {
    std::string rel, abs;
    if (!state_->TrackedFile(fname, &rel, &abs)) {
      return target()->NewRandomRWFile(fname, options, result, dbg);
    }
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    auto open = [&] { return target()->NewRandomRWFile(fname, options, result, dbg); };
    std::shared_ptr<Inode> inode = state_->TouchLocked(rel, abs);
    IOStatus s =
        inode ? state_->Syscall(RecordKind::kReopen, open) : CreateLocked(rel, abs, open, &inode);
    if (!s.ok()) return s;
    uint64_t size = 0;
    FileSize(abs, &size);
    state_->Record(EventKind::kNone, {RecordKind::kReopen, inode->id, 0, size, 0}, "");
    RaiseMax(&inode->size, size);
    *result = std::make_unique<LedgerRandomRWFile>(std::move(*result), state_, inode);
    return s;
  }

  IOStatus NewDirectory(const std::string& name, const IOOptions& options,
                        std::unique_ptr<FSDirectory>* result, IODebugContext* dbg) override {
    IOStatus s = target()->NewDirectory(name, options, result, dbg);
    std::string rel;
    if (s.ok() && state_->TrackedDir(name, &rel)) {
      *result = std::make_unique<LedgerDirectory>(std::move(*result), state_, state_->OpenDir(rel));
    }
    return s;
  }

  // A new directory's name is an entry of its parent like a file's: undone by the cut unless
  // a fsync of the parent covers it. (A root's own creation passes through: durable.) On an
  // existing directory the call changes nothing: no intent, so none the cut must probe for.
  IOStatus CreateDir(const std::string& dirname, const IOOptions& options,
                     IODebugContext* dbg) override {
    std::string rel, abs;
    if (!state_->TrackedFile(dirname, &rel, &abs)) {
      return target()->CreateDir(dirname, options, dbg);
    }
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    auto make = [&] { return target()->CreateDir(dirname, options, dbg); };
    return IsDirectoryPath(abs) ? make() : MkdirLocked(rel, make);
  }

  IOStatus CreateDirIfMissing(const std::string& dirname, const IOOptions& options,
                              IODebugContext* dbg) override {
    std::string rel, abs;
    if (!state_->TrackedFile(dirname, &rel, &abs)) {
      return target()->CreateDirIfMissing(dirname, options, dbg);
    }
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    auto make = [&] { return target()->CreateDirIfMissing(dirname, options, dbg); };
    return IsDirectoryPath(abs) ? make() : MkdirLocked(rel, make);
  }

  // Only an empty directory can go, so nothing needs keeping: the files it held were deleted
  // (and kept) one by one.
  IOStatus DeleteDir(const std::string& dirname, const IOOptions& options,
                     IODebugContext* dbg) override {
    std::string rel, abs;
    if (!state_->TrackedFile(dirname, &rel, &abs)) {
      return target()->DeleteDir(dirname, options, dbg);
    }
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    const State::Intent intent = state_->Intend({RecordKind::kRmdir, 0, 0, 0, 0}, rel);
    IOStatus s = state_->Syscall(RecordKind::kRmdir,
                                 [&] { return target()->DeleteDir(dirname, options, dbg); });
    if (s.ok()) state_->RemoveDirLocked(rel);
    state_->Settle(EventKind::kNone, intent, 0, s);
    return s;
  }

  IOStatus DeleteFile(const std::string& fname, const IOOptions& options,
                      IODebugContext* dbg) override {
    std::string rel, abs;
    if (!state_->TrackedFile(fname, &rel, &abs)) return target()->DeleteFile(fname, options, dbg);
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    std::shared_ptr<Inode> inode = state_->TouchLocked(rel, abs);
    if (!inode) return target()->DeleteFile(fname, options, dbg);
    IOStatus s = state_->KeepLocked(*inode);
    if (!s.ok()) return s;
    return UnlinkLocked(rel, *inode, IoSite::kDelete,
                        [&] { return target()->DeleteFile(fname, options, dbg); });
  }

  IOStatus RenameFile(const std::string& src, const std::string& dst, const IOOptions& options,
                      IODebugContext* dbg) override {
    std::string src_rel, src_abs, dst_rel, dst_abs;
    const bool src_in = state_->TrackedFile(src, &src_rel, &src_abs);
    const bool dst_in = state_->TrackedFile(dst, &dst_rel, &dst_abs);
    if (!src_in && !dst_in) return target()->RenameFile(src, dst, options, dbg);
    if (IsDirectoryPath(src)) {
      if (src_in != dst_in) {
        return IOStatus::NotSupported("powercut ledger: moving directory " + src + " to " + dst +
                                      " across the edge of a tracked root is not modelled");
      }
      return RenameDir(src, dst, src_rel, dst_rel, dst_abs, options, dbg);
    }
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    std::shared_ptr<Inode> moved = src_in ? state_->TouchLocked(src_rel, src_abs) : nullptr;
    std::shared_ptr<Inode> replaced = dst_in ? state_->TouchLocked(dst_rel, dst_abs) : nullptr;
    IOStatus s;
    if (moved) s = state_->KeepLocked(*moved);
    if (s.ok() && replaced) s = state_->KeepLocked(*replaced);
    if (!s.ok()) return s;
    auto rename = [&] { return target()->RenameFile(src, dst, options, dbg); };
    const uint32_t replaced_id = replaced ? replaced->id : 0;
    if (moved && dst_in) {
      return MoveLocked(src_rel, dst_rel, dst_abs, moved, replaced_id, IoSite::kRename, rename);
    }
    // Moved out of every root: gone, as far as the store is concerned.
    if (moved) return UnlinkLocked(src_rel, *moved, IoSite::kRename, rename);
    if (dst_in) return AdoptLocked(src, dst_rel, dst_abs, replaced_id, IoSite::kRename, rename);
    return rename();
  }

  IOStatus LinkFile(const std::string& src, const std::string& dst, const IOOptions& options,
                    IODebugContext* dbg) override {
    std::string src_rel, src_abs, dst_rel, dst_abs;
    const bool src_in = state_->TrackedFile(src, &src_rel, &src_abs);
    const bool dst_in = state_->TrackedFile(dst, &dst_rel, &dst_abs);
    // A link out of every root changes nothing tracked. A link into a checkpoint is a new
    // name of the inode, durable once the checkpoint directory is fsynced.
    if (!dst_in) return target()->LinkFile(src, dst, options, dbg);
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    std::shared_ptr<Inode> inode = src_in ? state_->TouchLocked(src_rel, src_abs) : nullptr;
    auto link = [&] { return target()->LinkFile(src, dst, options, dbg); };
    if (!inode) return AdoptLocked(src, dst_rel, dst_abs, 0, std::nullopt, link);
    const State::Intent intent =
        state_->Intend({RecordKind::kLink, inode->id, 0, 0, 0}, src_rel, dst_rel);
    IOStatus s = state_->Syscall(RecordKind::kLink, link);
    if (s.ok()) state_->BindLocked(dst_rel, inode);
    state_->Settle(EventKind::kNone, intent, inode->id, s);
    return s;
  }

  IOStatus Truncate(const std::string& fname, size_t size, const IOOptions& options,
                    IODebugContext* dbg) override {
    std::string rel, abs;
    if (!state_->TrackedFile(fname, &rel, &abs)) {
      return target()->Truncate(fname, size, options, dbg);
    }
    std::shared_ptr<Inode> inode;
    {
      std::lock_guard<std::mutex> lock(state_->ns_mu);
      inode = state_->TouchLocked(rel, abs);
    }
    if (!inode) return target()->Truncate(fname, size, options, dbg);
    return state_->Truncate(*inode, size,
                            [&] { return target()->Truncate(fname, size, options, dbg); });
  }

 private:
  // The namespace calls, under ns_mu: each records its intent, makes its call, then settles
  // it (faults/ledger.h, "Intents"); the name table follows only a call that was made.

  // A new inode at `rel`, made by `call`. `size`: its bytes, all durable (a file moved in).
  // `site`: what the I/O error plan counts the call as (a file moved in is a rename's).
  template <typename Call>
  IOStatus CreateLocked(const std::string& rel, const std::string& abs, Call call,
                        std::shared_ptr<Inode>* inode, uint64_t size = 0, uint32_t replaced = 0,
                        std::optional<IoSite> site = IoSite::kFileCreate) {
    const uint32_t id = state_->ReserveIdLocked();
    const State::Intent intent =
        state_->Intend({RecordKind::kCreate, id, replaced, size, size}, rel);
    IOStatus s = state_->Syscall(RecordKind::kCreate, NameCall(site, id, rel), call);
    if (s.ok()) *inode = state_->NewInodeLocked(id, rel, abs, size);
    state_->Settle(ClassifyEvent(RecordKind::kCreate, ClassifyName(rel), {}), intent, id, s);
    return s;
  }

  // `site`: the I/O error plan's (none for a WAL recycled by ReuseWritableFile: no RenameFile).
  template <typename Call>
  IOStatus MoveLocked(const std::string& from, const std::string& to, const std::string& to_abs,
                      const std::shared_ptr<Inode>& inode, uint32_t replaced_id,
                      std::optional<IoSite> site, Call call) {
    const State::Intent intent =
        state_->Intend({RecordKind::kRename, inode->id, replaced_id, 0, 0}, from, to);
    IOStatus s = state_->Syscall(RecordKind::kRename, NameCall(site, inode->id, from), call);
    if (s.ok()) {
      state_->ForgetLocked(from);
      state_->BindLocked(to, inode);
      inode->path = to_abs;
    }
    state_->Settle(ClassifyEvent(RecordKind::kRename, inode->cls, to), intent, inode->id, s);
    return s;
  }

  // `site`: kDelete, or kRename for a file moved out of every root.
  template <typename Call>
  IOStatus UnlinkLocked(const std::string& rel, const Inode& inode, IoSite site, Call call) {
    const State::Intent intent = state_->Intend({RecordKind::kDelete, inode.id, 0, 0, 0}, rel);
    IOStatus s = state_->Syscall(RecordKind::kDelete, NameCall(site, inode.id, rel), call);
    if (s.ok()) state_->ForgetLocked(rel);
    state_->Settle(EventKind::kNone, intent, inode.id, s);
    return s;
  }

  template <typename Call>
  IOStatus MkdirLocked(const std::string& rel, Call call) {
    const State::Intent intent = state_->Intend({RecordKind::kMkdir, 0, 0, 0, 0}, rel);
    IOStatus s = state_->Syscall(RecordKind::kMkdir, call);
    state_->Settle(EventKind::kNone, intent, 0, s);
    return s;
  }

  // A checkpoint's `<dir>.tmp` becoming `<dir>`: one entry leaves the parent, one arrives,
  // and everything inside moves along without an event of its own.
  IOStatus RenameDir(const std::string& src, const std::string& dst, const std::string& src_rel,
                     const std::string& dst_rel, const std::string& dst_abs,
                     const IOOptions& options, IODebugContext* dbg) {
    std::lock_guard<std::mutex> lock(state_->ns_mu);
    const bool replaces = IsDirectoryPath(dst_abs);  // rename(2) may replace an empty directory
    const State::Intent intent =
        state_->Intend({RecordKind::kRenameDir, 0, 0, 0, 0}, src_rel, dst_rel);
    IOStatus s = state_->Syscall(RecordKind::kRenameDir, NameCall(IoSite::kRename, 0, src_rel),
                                 [&] { return target()->RenameFile(src, dst, options, dbg); });
    if (s.ok()) {
      if (replaces) state_->RemoveDirLocked(dst_rel);
      state_->MoveDirLocked(src_rel, dst_rel);
    }
    state_->Settle(EventKind::kNone, intent, 0, s);
    return s;
  }

  // A file that comes into a root from outside (a rename or link): its bytes count as durable
  // (the ledger never saw them written), its name is new like any create's. Sized before the
  // call, for the intent.
  template <typename Call>
  IOStatus AdoptLocked(const std::string& src, const std::string& rel, const std::string& abs,
                       uint32_t replaced_id, std::optional<IoSite> site, Call call) {
    struct stat st;
    if (::stat(src.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return call();
    std::shared_ptr<Inode> inode;
    return CreateLocked(rel, abs, call, &inode, static_cast<uint64_t>(st.st_size), replaced_id,
                        site);
  }

  std::shared_ptr<State> state_;
};

bool Within(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// The deepest directory holding both (normalized, absolute) paths.
std::string CommonDir(const std::string& a, const std::string& b) {
  size_t common = 0;  // the longest common prefix that ends where a component ends in both
  for (size_t i = 0;; ++i) {
    const bool a_end = i == a.size() || a[i] == '/';
    const bool b_end = i == b.size() || b[i] == '/';
    if (a_end && b_end && i > 0) common = i;
    if (i == a.size() || i == b.size() || a[i] != b[i]) break;
  }
  return common == 0 ? "/" : a.substr(0, common);
}

// The device of `path`, or of its nearest existing ancestor (the store may not exist yet).
bool DeviceOf(std::filesystem::path path, dev_t* dev) {
  for (;;) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      *dev = st.st_dev;
      return true;
    }
    if (!path.has_parent_path() || path.parent_path() == path) return false;
    path = path.parent_path();
  }
}

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewLedgerFileSystem(std::shared_ptr<rocksdb::FileSystem> base,
                                                         const LedgerOptions& options,
                                                         Status* status) {
  *status = Status::Ok();
  if (!base) {
    *status = Status::BadInput("ledger file system: no base file system");
    return nullptr;
  }
  if (options.ledger_dir.empty() || options.db_dir.empty()) {
    *status = Status::BadInput("ledger file system: ledger and store directories are required");
    return nullptr;
  }
  const std::string root = Normalize(options.db_dir);
  const std::string ledger_dir = Normalize(options.ledger_dir);
  std::vector<std::string> roots = {root};  // the store first
  for (const std::string& extra : options.extra_roots) {
    if (extra.empty()) {
      *status = Status::BadInput("ledger file system: an empty extra root");
      return nullptr;
    }
    roots.push_back(Normalize(extra));
  }
  for (size_t i = 0; i < roots.size(); ++i) {
    if (Within(ledger_dir, roots[i]) || Within(roots[i], ledger_dir)) {
      *status = Status::BadInput("ledger directory " + ledger_dir + " and tracked directory " +
                                 roots[i] + " must not contain one another");
      return nullptr;
    }
    for (size_t j = 0; j < i; ++j) {
      if (Within(roots[i], roots[j]) || Within(roots[j], roots[i])) {
        *status = Status::BadInput("tracked directories " + roots[j] + " and " + roots[i] +
                                   " must not contain one another");
        return nullptr;
      }
    }
  }
  if (options.crash_at.kind != EventKind::kNone && options.crash_at.nth == 0) {
    *status = Status::BadInput("crash point " + std::string(EventKindName(options.crash_at.kind)) +
                               " needs an event number from 1");
    return nullptr;
  }
  if (options.io_error.armed() &&
      (static_cast<int>(options.io_error.site) >= kIoSiteCount ||
       static_cast<int>(options.io_error.status) >= kIoErrorStatusCount)) {
    *status = Status::BadInput("ledger file system: an I/O error plan of unknown site or status");
    return nullptr;
  }
  CallKill kill_at_call = options.kill_at_call;
  if (const char* env = std::getenv("POWERCUT_TEST_KILL_AT_CALL");
      env != nullptr && kill_at_call.nth == 0) {
    *status = ParseCallKill(env, &kill_at_call);
    if (!status->ok()) return nullptr;
  }
  std::error_code ec;
  std::filesystem::create_directories(LedgerKeepDir(ledger_dir), ec);
  if (ec) {
    *status = Status::IoError("cannot create " + LedgerKeepDir(ledger_dir) + ": " + ec.message());
    return nullptr;
  }
  dev_t ledger_dev = 0;
  for (const std::string& r : roots) {
    dev_t root_dev = 0;
    if (!DeviceOf(ledger_dir, &ledger_dev) || !DeviceOf(r, &root_dev) || ledger_dev != root_dev) {
      *status =
          Status::BadInput("ledger directory " + ledger_dir + " must be on the file system of " +
                           r + " (it keeps hard links to the tracked files)");
      return nullptr;
    }
  }
  std::string names_base = root;
  for (const std::string& r : roots) names_base = CommonDir(names_base, r);
  std::unique_ptr<LedgerWriter> writer;
  *status = LedgerWriter::Create(LedgerFilePath(ledger_dir), options.max_ledger_bytes, &writer,
                                 options.on_ledger_full);
  if (!status->ok()) return nullptr;
  g_event_count.store(0);
  g_io_error_count.store(0);
  auto state =
      std::make_shared<State>(names_base, roots, ledger_dir, options.crash_at, kill_at_call,
                              options.io_error, options.on_first_io_error, std::move(writer));
  // Without extra roots the store is the base and the ledger declares nothing: names are
  // relative to the store, as the cut assumes when no root is declared.
  if (roots.size() > 1) {
    for (size_t i = 0; i < roots.size(); ++i) {
      state->Record(EventKind::kNone, {RecordKind::kRoot, 0, 0, i == 0 ? 1u : 0u, 0},
                    state->RelOf(roots[i]));
    }
  }
  if (!options.carried_durability.empty()) {
    *status = state->RecordCarried(options.carried_durability);
    if (!status->ok()) return nullptr;
  }
  return std::make_shared<LedgerFileSystem>(std::move(base), std::move(state));
}

Status MarkWritingStarts(rocksdb::FileSystem* fs) {
  auto* ledger = dynamic_cast<LedgerFileSystem*>(fs);
  if (ledger == nullptr) return Status::BadInput("MarkWritingStarts: not a ledger file system");
  if (!ledger->MarkWritingStarts()) return Status::BadInput("the writing start is marked already");
  return Status::Ok();
}

Status RecordOpBoundary(rocksdb::FileSystem* fs, RecordKind kind, uint64_t op) {
  auto* ledger = dynamic_cast<LedgerFileSystem*>(fs);
  if (ledger == nullptr) return Status::BadInput("RecordOpBoundary: not a ledger file system");
  if (kind != RecordKind::kIssued && kind != RecordKind::kAcked) {
    return Status::BadInput("RecordOpBoundary: not an op boundary kind");
  }
  ledger->RecordOp(kind, op);
  return Status::Ok();
}

Status ParseCallKill(const std::string& text, CallKill* kill) {
  const size_t first = text.find(':');
  const size_t second = first == std::string::npos ? first : text.find(':', first + 1);
  auto bad = [&] {
    return Status::BadInput("bad call kill '" + text + "': use KIND:N:before or KIND:N:after");
  };
  if (second == std::string::npos) return bad();
  CallKill parsed;
  if (!ParseRecordKind(text.substr(0, first), &parsed.kind).ok()) return bad();
  const std::string nth = text.substr(first + 1, second - first - 1);
  const std::string side = text.substr(second + 1);
  if (nth.empty() || nth.find_first_not_of("0123456789") != std::string::npos) return bad();
  parsed.nth = std::stoull(nth);
  if (parsed.nth == 0 || (side != "before" && side != "after")) return bad();
  parsed.after_call = side == "after";
  *kill = parsed;
  return Status::Ok();
}

uint64_t LedgerEventCount() { return g_event_count.load(std::memory_order_relaxed); }

uint64_t InjectedIoErrorCount() { return g_io_error_count.load(std::memory_order_relaxed); }

}  // namespace powercut::faults
