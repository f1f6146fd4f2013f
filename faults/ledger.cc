#include "faults/ledger.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "faults/io_error.h"

namespace powercut::faults {
namespace {

constexpr char kFileMagic[8] = {'P', 'C', 'L', 'E', 'D', 'G', 'R', '1'};
constexpr uint32_t kVersion = 5;
constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kHeadBytes = 48;
constexpr uint64_t kRecordMagic = 0x4C52;
constexpr uint64_t kEndOffsetAt = 16;
// Growth of the ledger file: it doubles from 1 MiB (~20k events, a short cycle's whole
// ledger) up to steps of 16 MiB (~350k events), so growing is rare and a dead writer, which
// never trims, leaves at most about its own size unused on a disk that may be small.
constexpr uint64_t kMinGrowBytes = 1ull << 20;
constexpr uint64_t kMaxGrowBytes = 16ull << 20;
constexpr uint64_t kMinMaxBytes = 1ull << 20;

uint64_t Round8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void Store64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
void Store32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }

// Detects torn, truncated or flipped records, not adversaries: a multiply-xorshift over
// 8-byte words costs a few ns for a 40-byte head, where a table CRC would cost ~10x that on
// the writer's hot path. `n` is a multiple of 8.
uint32_t Checksum(const char* p, uint64_t n) {
  uint64_t h = 0x6A09E667F3BCC909ull ^ n;
  for (uint64_t i = 0; i < n; i += 8) {
    h ^= Load64(p + i);
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
  }
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return static_cast<uint32_t>(h);
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string_view Basename(std::string_view name) {
  size_t slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

bool HasSecondName(RecordKind kind) {
  return kind == RecordKind::kRename || kind == RecordKind::kLink || kind == RecordKind::kRenameDir;
}

// A read-only view of a whole file; unmaps on destruction.
class MappedFile {
 public:
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  Status Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::IoError(Errno("cannot open ledger", path));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Status s = Status::IoError(Errno("cannot stat ledger", path));
      ::close(fd);
      return s;
    }
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        Status s = Status::IoError(Errno("cannot map ledger", path));
        ::close(fd);
        return s;
      }
      data_ = static_cast<const char*>(p);
    }
    ::close(fd);
    return Status::Ok();
  }
  const char* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  const char* data_ = nullptr;
  uint64_t size_ = 0;
};

// Parses the record at data[off] that must end by `limit`; an empty string means OK.
std::string ParseRecord(const char* data, uint64_t off, uint64_t limit, LedgerRecord* out) {
  if (limit - off < kHeadBytes) return "record head runs past the end";
  const char* r = data + off;
  const uint64_t commit = Load64(r);
  if ((commit & 0xFFFF) != kRecordMagic) return "bad record marker";
  const uint64_t kind = (commit >> 16) & 0xFF;
  if (kind < 1 || kind > kMaxRecordKind || ((commit >> 24) & 0xFF) != 0) {
    return "unknown record kind " + std::to_string(kind);
  }
  const uint64_t total = Load32(r + 8);
  const uint64_t payload = Load32(r + 12);
  const uint64_t name_len = Load32(r + 24);
  if (total < kHeadBytes || total % 8 != 0 || total > limit - off) {
    return "bad record length " + std::to_string(total);
  }
  if (Round8(payload) != total - kHeadBytes || name_len > payload) return "bad payload length";
  const uint32_t flags = Load32(r + 28);
  const uint32_t allowed =
      kind == static_cast<uint64_t>(RecordKind::kBaseline) ? kBaselineEntryNotDurable : 0;
  if ((flags & ~allowed) != 0) return "unknown flags " + std::to_string(flags);
  if (Checksum(r + 8, total - 8) != static_cast<uint32_t>(commit >> 32)) {
    return "checksum mismatch";
  }
  out->kind = static_cast<RecordKind>(kind);
  out->file_id = Load32(r + 16);
  out->aux_id = Load32(r + 20);
  out->flags = flags;
  out->a = Load64(r + 32);
  out->b = Load64(r + 40);
  out->name.assign(r + kHeadBytes, name_len);
  const char* rest = r + kHeadBytes + name_len;
  const uint64_t rest_len = payload - name_len;
  out->name2.clear();
  out->data.clear();
  if (HasSecondName(out->kind)) {
    out->name2.assign(rest, rest_len);
  } else if (out->kind == RecordKind::kSave) {
    out->data.assign(rest, rest_len);
  } else if (rest_len != 0) {
    return "unexpected payload";
  }
  return "";
}

}  // namespace

Status ParseEventKind(const std::string& text, EventKind* kind) {
  for (int i = 1; i < kEventKindCount; ++i) {
    if (text == EventKindName(static_cast<EventKind>(i))) {
      *kind = static_cast<EventKind>(i);
      return Status::Ok();
    }
  }
  return Status::BadInput("unknown crash-point event '" + text +
                          "': use wal-append, wal-sync, sst-create, manifest-write, "
                          "current-rename, dir-fsync or event");
}

const char* EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kNone:
      return "none";
    case EventKind::kAnyEvent:
      return "event";
    case EventKind::kWalAppend:
      return "wal-append";
    case EventKind::kWalSync:
      return "wal-sync";
    case EventKind::kSstCreate:
      return "sst-create";
    case EventKind::kManifestWrite:
      return "manifest-write";
    case EventKind::kCurrentRename:
      return "current-rename";
    case EventKind::kDirFsync:
      return "dir-fsync";
  }
  return "?";
}

const char* RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kBaseline:
      return "baseline";
    case RecordKind::kCreate:
      return "create";
    case RecordKind::kReopen:
      return "reopen";
    case RecordKind::kAppend:
      return "append";
    case RecordKind::kSave:
      return "save";
    case RecordKind::kTruncate:
      return "truncate";
    case RecordKind::kSync:
      return "sync";
    case RecordKind::kClose:
      return "close";
    case RecordKind::kRename:
      return "rename";
    case RecordKind::kLink:
      return "link";
    case RecordKind::kDelete:
      return "delete";
    case RecordKind::kDirSync:
      return "dir-sync";
    case RecordKind::kRoot:
      return "root";
    case RecordKind::kMkdir:
      return "mkdir";
    case RecordKind::kRmdir:
      return "rmdir";
    case RecordKind::kRenameDir:
      return "rename-dir";
    case RecordKind::kWritingStarts:
      return "writing-starts";
    case RecordKind::kFailed:
      return "failed";
    case RecordKind::kIssued:
      return "issued";
    case RecordKind::kAcked:
      return "acked";
    case RecordKind::kIoError:
      return "io-error";
  }
  return "?";
}

Status ParseRecordKind(const std::string& text, RecordKind* kind) {
  for (uint8_t i = 1; i <= kMaxRecordKind; ++i) {
    if (text == RecordKindName(static_cast<RecordKind>(i))) {
      *kind = static_cast<RecordKind>(i);
      return Status::Ok();
    }
  }
  return Status::BadInput("unknown ledger record kind '" + text + "'");
}

bool IsNamespaceIntent(RecordKind kind) {
  switch (kind) {
    case RecordKind::kCreate:
    case RecordKind::kRename:
    case RecordKind::kLink:
    case RecordKind::kDelete:
    case RecordKind::kMkdir:
    case RecordKind::kRmdir:
    case RecordKind::kRenameDir:
      return true;
    default:
      return false;
  }
}

bool IsIntent(RecordKind kind) {
  return IsNamespaceIntent(kind) || kind == RecordKind::kSave || kind == RecordKind::kAppend ||
         kind == RecordKind::kTruncate;
}

FileClass ClassifyName(std::string_view relative_name) {
  std::string_view base = Basename(relative_name);
  auto ends_with = [&](std::string_view suffix) {
    return base.size() >= suffix.size() && base.substr(base.size() - suffix.size()) == suffix;
  };
  if (ends_with(".log")) return FileClass::kWal;
  if (ends_with(".sst")) return FileClass::kSst;
  if (base.substr(0, 9) == "MANIFEST-") return FileClass::kManifest;
  return FileClass::kOther;
}

EventKind ClassifyEvent(RecordKind kind, FileClass file, std::string_view target_name) {
  switch (kind) {
    case RecordKind::kAppend:
      if (file == FileClass::kWal) return EventKind::kWalAppend;
      if (file == FileClass::kManifest) return EventKind::kManifestWrite;
      return EventKind::kNone;
    case RecordKind::kSync:
      return file == FileClass::kWal ? EventKind::kWalSync : EventKind::kNone;
    case RecordKind::kCreate:
      return file == FileClass::kSst ? EventKind::kSstCreate : EventKind::kNone;
    case RecordKind::kRename:
      return Basename(target_name) == "CURRENT" ? EventKind::kCurrentRename : EventKind::kNone;
    case RecordKind::kDirSync:
      return EventKind::kDirFsync;
    default:
      return EventKind::kNone;
  }
}

namespace {

// "#17 io-error wal-sync file 3 (000012.log) length 4096": the site by name, the file by id
// and name (a directory by name), a failed sync's length.
std::string DescribeIoError(const LedgerRecord& r) {
  const bool known = r.a < static_cast<uint64_t>(kIoSiteCount);
  const IoSite site = static_cast<IoSite>(r.a);
  std::string s = "#" + std::to_string(r.ordinal) + " io-error " +
                  (known ? IoSiteName(site) : "site " + std::to_string(r.a));
  const std::string name = r.name.empty() ? "." : r.name;
  s +=
      r.file_id != 0 ? " file " + std::to_string(r.file_id) + " (" + name + ")" : " '" + name + "'";
  if (known && IsFileSyncSite(site)) s += " length " + std::to_string(r.b);
  return s;
}

}  // namespace

std::string DescribeRecord(const LedgerRecord& r) {
  std::string s = "#" + std::to_string(r.ordinal) + " " + RecordKindName(r.kind);
  if (r.file_id != 0) s += " file " + std::to_string(r.file_id);
  auto quoted = [](const std::string& n) { return "'" + n + "'"; };
  switch (r.kind) {
    case RecordKind::kBaseline:
      return s + " " + quoted(r.name) + " size " + std::to_string(r.a) + " durable " +
             std::to_string(r.b) +
             ((r.flags & kBaselineEntryNotDurable) != 0 ? " (name not durable)" : "");
    case RecordKind::kCreate:
      return s + " " + quoted(r.name) + (r.aux_id ? " replacing " + std::to_string(r.aux_id) : "");
    case RecordKind::kReopen:
      return s + " size " + std::to_string(r.a) + " at " + std::to_string(r.b);
    case RecordKind::kAppend:
      return s + " offset " + std::to_string(r.a) + " length " + std::to_string(r.b);
    case RecordKind::kSave:
      return s + " offset " + std::to_string(r.a) + " length " + std::to_string(r.data.size());
    case RecordKind::kTruncate:
    case RecordKind::kSync:
    case RecordKind::kClose:
      return s + " length " + std::to_string(r.a);
    case RecordKind::kRename:
    case RecordKind::kLink:
    case RecordKind::kRenameDir:
      return s + " " + quoted(r.name) + " -> " + quoted(r.name2);
    case RecordKind::kDelete:
    case RecordKind::kMkdir:
    case RecordKind::kRmdir:
      return s + " " + quoted(r.name);
    case RecordKind::kRoot:
      return s + " " + quoted(r.name) + (r.a == 1 ? " (the store)" : "");
    case RecordKind::kDirSync:
      return s + " " + quoted(r.name.empty() ? "." : r.name) + " covers below #" +
             std::to_string(r.a);
    case RecordKind::kWritingStarts:
      return s + " (the store was judged; crash points count from here)";
    case RecordKind::kFailed:
      return s + ": the call of #" + std::to_string(r.a) + " returned an error";
    case RecordKind::kIssued:
    case RecordKind::kAcked:
      return s + " op " + std::to_string(r.a);
    case RecordKind::kIoError:
      return DescribeIoError(r);
  }
  return s;
}

std::string LedgerFilePath(const std::string& ledger_dir) { return ledger_dir + "/ledger.bin"; }
std::string LedgerKeepDir(const std::string& ledger_dir) { return ledger_dir + "/keep"; }
std::string KeepPath(const std::string& ledger_dir, uint32_t file_id) {
  return LedgerKeepDir(ledger_dir) + "/" + std::to_string(file_id);
}

Status ReadLedger(const std::string& ledger_dir, std::vector<LedgerRecord>* records) {
  records->clear();
  const std::string path = LedgerFilePath(ledger_dir);
  MappedFile file;
  Status s = file.Open(path);
  if (!s.ok()) return s;
  const char* data = file.data();
  const uint64_t size = file.size();
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("ledger " + path + ": " + why);
  };
  if (size < kHeaderBytes) return corrupt("truncated header (" + std::to_string(size) + " bytes)");
  if (std::memcmp(data, kFileMagic, 8) != 0) return corrupt("not a powercut ledger (bad magic)");
  if (Load32(data + 8) != kVersion || Load32(data + 12) != kHeaderBytes) {
    return corrupt("unsupported version " + std::to_string(Load32(data + 8)));
  }
  const uint64_t end = Load64(data + kEndOffsetAt);
  if (end < kHeaderBytes || end % 8 != 0) return corrupt("bad end offset " + std::to_string(end));
  if (end > size) {
    return corrupt("truncated: end offset " + std::to_string(end) + " beyond file size " +
                   std::to_string(size));
  }
  uint64_t off = kHeaderBytes;
  LedgerRecord record;
  while (off < end) {
    record.ordinal = records->size();
    std::string why = ParseRecord(data, off, end, &record);
    if (!why.empty()) {
      return corrupt("record #" + std::to_string(record.ordinal) + " at offset " +
                     std::to_string(off) + ": " + why);
    }
    off += Round8(kHeadBytes + record.name.size() + record.name2.size() + record.data.size());
    records->push_back(record);
  }
  // The writer may have died between committing a record and storing the end offset: one
  // committed record may follow. A record it died inside has a zero commit word.
  if (off + 8 <= size && Load64(data + off) != 0) {
    record.ordinal = records->size();
    std::string why = ParseRecord(data, off, size, &record);
    if (!why.empty()) {
      return corrupt("record #" + std::to_string(record.ordinal) + " past the end offset " +
                     std::to_string(off) + ": " + why);
    }
    records->push_back(record);
  }
  return Status::Ok();
}

std::vector<WritingEvent> WritingEvents(const std::vector<LedgerRecord>& records) {
  std::unordered_map<uint32_t, FileClass> classes;
  std::unordered_set<uint64_t> failed;  // intents whose call failed: no event of their kind
  for (const LedgerRecord& r : records) {
    if (r.kind == RecordKind::kFailed) failed.insert(r.a);
  }
  std::vector<WritingEvent> events;
  bool writing = false;  // past the kWritingStarts marker: the events crash points count
  for (const LedgerRecord& r : records) {
    if (r.kind == RecordKind::kBaseline || r.kind == RecordKind::kCreate) {
      classes[r.file_id] = ClassifyName(r.name);
    }
    if (r.kind == RecordKind::kWritingStarts) writing = true;
    if (!writing || IsMarker(r.kind)) continue;
    auto it = classes.find(r.file_id);
    const FileClass cls = it == classes.end() ? FileClass::kOther : it->second;
    const bool made = failed.count(r.ordinal) == 0;
    events.push_back({r.ordinal, made ? ClassifyEvent(r.kind, cls, r.name2) : EventKind::kNone});
  }
  return events;
}

bool NthWritingEvent(const std::vector<WritingEvent>& events, EventKind kind, uint64_t nth,
                     uint64_t* ordinal) {
  uint64_t seen = 0;
  for (const WritingEvent& e : events) {
    if ((kind == EventKind::kAnyEvent || e.kind == kind) && ++seen == nth) {
      *ordinal = e.ordinal;
      return true;
    }
  }
  return false;
}

Status SummarizeLedger(const std::string& ledger_dir, LedgerSummary* summary) {
  *summary = LedgerSummary();
  std::vector<LedgerRecord> records;
  Status s = ReadLedger(ledger_dir, &records);
  if (!s.ok()) return s;
  for (const WritingEvent& e : WritingEvents(records)) {
    summary->by_kind[static_cast<int>(e.kind)]++;
    summary->by_kind[static_cast<int>(EventKind::kAnyEvent)]++;
  }
  summary->events = records.size();
  summary->by_kind[static_cast<int>(EventKind::kNone)] = 0;
  // Counted as crash points count: an error the judging open met is no error of the writing.
  bool writing = false;
  for (const LedgerRecord& r : records) {
    writing |= r.kind == RecordKind::kWritingStarts;
    if (!writing || r.kind != RecordKind::kIoError) continue;
    if (summary->io_errors++ == 0) summary->first_io_error = r;
  }
  if (!records.empty()) {
    summary->has_last = true;
    summary->last = records.back();
    summary->last.data.clear();
  }
  return Status::Ok();
}

Status RemoveLedgerRecord(const std::string& ledger_dir, uint64_t ordinal) {
  std::vector<LedgerRecord> records;
  Status s = ReadLedger(ledger_dir, &records);
  if (!s.ok()) return s;
  if (ordinal >= records.size()) {
    return Status::BadInput("ledger " + LedgerFilePath(ledger_dir) + " has no record #" +
                            std::to_string(ordinal));
  }
  const std::string path = LedgerFilePath(ledger_dir);
  const std::string tmp = path + ".rewrite";
  ::unlink(tmp.c_str());
  {
    std::unique_ptr<LedgerWriter> writer;
    s = LedgerWriter::Create(tmp, kDefaultMaxLedgerBytes, &writer);
    if (!s.ok()) return s;
    for (const LedgerRecord& r : records) {
      if (r.ordinal == ordinal) continue;
      LedgerWriter::Head head{r.kind, r.file_id, r.aux_id, r.a, r.b, r.flags};
      const bool names_ordinal = r.kind == RecordKind::kDirSync || r.kind == RecordKind::kFailed;
      if (names_ordinal && r.a > ordinal) head.a = r.a - 1;
      writer->Append(head, r.name, HasSecondName(r.kind) ? r.name2 : r.data);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError(Errno("cannot replace", path));
  }
  return Status::Ok();
}

Status LedgerWriter::Create(const std::string& path, uint64_t max_bytes,
                            std::unique_ptr<LedgerWriter>* writer, LedgerFullHandler on_full) {
  if (max_bytes < kMinMaxBytes) {
    return Status::BadInput("ledger size limit " + std::to_string(max_bytes) +
                            " is below the minimum of 1 MiB");
  }
  max_bytes = Round8(max_bytes);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status::BadInput("ledger " + path + " already exists: use a fresh ledger directory");
    }
    return Status::IoError(Errno("cannot create ledger", path));
  }
  // One mapping for the largest the ledger may become; the file behind it grows in chunks.
  // Pages past the file's end are never touched, so the reservation costs address space only.
  void* p = ::mmap(nullptr, max_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    Status s = Status::IoError(Errno("cannot map ledger", path));
    ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  std::unique_ptr<LedgerWriter> w(new LedgerWriter());
  w->path_ = path;
  w->fd_ = fd;
  w->base_ = static_cast<char*>(p);
  w->max_bytes_ = max_bytes;
  w->on_full_ = on_full;
  const std::string why = w->Grow(kHeaderBytes);
  if (!why.empty()) {
    w.reset();  // unmaps and closes
    ::unlink(path.c_str());
    return Status::IoError(why);
  }
  std::memcpy(w->base_, kFileMagic, 8);
  Store32(w->base_ + 8, kVersion);
  Store32(w->base_ + 12, kHeaderBytes);
  Store64(w->base_ + kEndOffsetAt, kHeaderBytes);
  Store64(w->base_ + 24, max_bytes);
  Store32(w->base_ + 32, static_cast<uint32_t>(::getpid()));
  w->end_ = kHeaderBytes;
  *writer = std::move(w);
  return Status::Ok();
}

LedgerWriter::~LedgerWriter() {
  std::lock_guard<std::mutex> lock(mu_);
  ::munmap(base_, max_bytes_);
  // Trimming is tidiness only (the reader stops at the end offset): the evidence stays small.
  if (::ftruncate(fd_, static_cast<off_t>(end_)) != 0) {
    std::fprintf(stderr, "powercut: cannot trim ledger %s: %s\n", path_.c_str(),
                 std::strerror(errno));
  }
  ::close(fd_);
}

std::string LedgerWriter::Grow(uint64_t needed_end) {
  if (needed_end > max_bytes_) {
    return "ledger " + path_ + " is full: " + std::to_string(needed_end) + " bytes needed, limit " +
           std::to_string(max_bytes_) +
           "; a cycle recorded more file-system events than the ledger holds "
           "(lower --max-ops-per-cycle or --fault-after-max-ms)";
  }
  const uint64_t step = std::clamp(file_bytes_, kMinGrowBytes, kMaxGrowBytes);
  uint64_t new_bytes = std::max(needed_end, file_bytes_ + step);
  new_bytes = std::min(max_bytes_, (new_bytes + kMinGrowBytes - 1) / kMinGrowBytes * kMinGrowBytes);
  // fallocate, not ftruncate: on a full disk a sparse page would SIGBUS at the first store;
  // this fails here, with a message.
  int rc = ::fallocate(fd_, 0, static_cast<off_t>(file_bytes_),
                       static_cast<off_t>(new_bytes - file_bytes_));
  if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
    rc = ::ftruncate(fd_, static_cast<off_t>(new_bytes));
  }
  if (rc != 0) {
    const std::string why = Errno("cannot grow ledger", path_);  // before errno changes
    const std::string dir = path_.substr(0, path_.rfind('/'));
    return why + "; the harness needs " + std::to_string(new_bytes - file_bytes_) +
           " more bytes in " + dir + " (free space there, or give --data-dir a larger disk)";
  }
  file_bytes_ = new_bytes;
  return "";
}

void LedgerWriter::GrowOrDie(uint64_t needed_end) {
  const std::string why = Grow(needed_end);
  if (!why.empty()) Full(why);
}

void LedgerWriter::Full(const std::string& message) {
  if (on_full_ != nullptr) on_full_(message);
  std::fprintf(stderr, "powercut: %s\n", message.c_str());
  std::abort();
}

uint64_t LedgerWriter::Append(const Head& head, std::string_view name, std::string_view rest,
                              uint64_t* writing_event) {
  const uint64_t payload = name.size() + rest.size();
  const uint64_t total = kHeadBytes + Round8(payload);
  // Only a baseline has flags: the reader refuses them on any other kind.
  assert(head.flags == 0 || head.kind == RecordKind::kBaseline);
  std::lock_guard<std::mutex> lock(mu_);
  if (end_ + total > file_bytes_) GrowOrDie(end_ + total);
  char* r = base_ + end_;
  // Bytes past end_ are zero (fresh file, written only forward), so padding needs no store.
  Store32(r + 8, static_cast<uint32_t>(total));
  Store32(r + 12, static_cast<uint32_t>(payload));
  Store32(r + 16, head.file_id);
  Store32(r + 20, head.aux_id);
  Store32(r + 24, static_cast<uint32_t>(name.size()));
  Store32(r + 28, head.flags);
  Store64(r + 32, head.a);
  Store64(r + 40, head.b);
  if (!name.empty()) std::memcpy(r + kHeadBytes, name.data(), name.size());
  if (!rest.empty()) std::memcpy(r + kHeadBytes + name.size(), rest.data(), rest.size());
  const uint64_t commit = kRecordMagic | (static_cast<uint64_t>(head.kind) << 16) |
                          (static_cast<uint64_t>(Checksum(r + 8, total - 8)) << 32);
  // Commit word last: a reader of a dead writer's ledger sees the record whole or not at all.
  __atomic_store_n(reinterpret_cast<uint64_t*>(r), commit, __ATOMIC_RELEASE);
  end_ += total;
  __atomic_store_n(reinterpret_cast<uint64_t*>(base_ + kEndOffsetAt), end_, __ATOMIC_RELEASE);
  const uint64_t ordinal = records_.load(std::memory_order_relaxed);
  records_.store(ordinal + 1, std::memory_order_release);
  const bool counted =
      writing_start_.load(std::memory_order_relaxed) != kNotWriting && !IsMarker(head.kind);
  if (counted) ++writing_events_;
  if (writing_event != nullptr) *writing_event = counted ? writing_events_ : 0;
  if (head.kind == RecordKind::kWritingStarts) {
    assert(writing_start() == kNotWriting);  // one marker a ledger: crash points count once
    writing_start_.store(ordinal, std::memory_order_release);
  }
  return ordinal;
}

uint64_t LedgerWriter::records() const { return records_.load(std::memory_order_acquire); }

}  // namespace powercut::faults
