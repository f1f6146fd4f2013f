#include "faults/crash_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "faults/in_doubt.h"
#include "faults/pwrite_all.h"
#include "src/acked_ops.h"

namespace powercut::faults {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError("crash image: " + what + " " + path + ": " + std::strerror(errno));
}

std::string Join(const std::string& dir, const std::string& name) {
  if (name.empty()) return dir;
  return dir == "/" ? "/" + name : dir + "/" + name;
}

Status PWriteAll(int fd, const char* data, uint64_t length, uint64_t offset,
                 const std::string& path) {
  return faults::PWriteAll(fd, data, length, offset) ? Status::Ok() : Errno("cannot write", path);
}

// Copies the first `length` bytes of `from` into the (empty) file `to_fd`, in the kernel.
Status CopyPrefix(const std::string& from, int to_fd, uint64_t length, const std::string& to) {
  if (length == 0) return Status::Ok();
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Errno("cannot open", from);
  loff_t in_off = 0, out_off = 0;
  Status s;
  while (static_cast<uint64_t>(in_off) < length) {
    const ssize_t n =
        ::copy_file_range(in, &in_off, to_fd, &out_off, length - static_cast<uint64_t>(in_off), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = Errno("cannot copy into", to);
      break;
    }
    if (n == 0) break;  // `from` is shorter: the caller extends with zeros
  }
  ::close(in);
  return s;
}

std::string FateName(const FileFate& fate) {
  switch (fate.kind) {
    case FileFate::Kind::kLose:
      return "lose";
    case FileFate::Kind::kKeep:
      return "keep";
    case FileFate::Kind::kKeepTo:
      return "to-" + std::to_string(fate.keep_to);
    case FileFate::Kind::kPages:
      return "pages-" + std::to_string(fate.page_seed);
  }
  return "?";
}

bool ParseUnsigned(const std::string& text, uint64_t* value) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  errno = 0;
  *value = std::strtoull(text.c_str(), nullptr, 10);
  return errno == 0;
}

bool ParseFate(const std::string& text, FileFate* fate) {
  *fate = FileFate();
  if (text == "lose") return true;
  if (text == "keep") {
    fate->kind = FileFate::Kind::kKeep;
    return true;
  }
  if (text.rfind("to-", 0) == 0) {
    fate->kind = FileFate::Kind::kKeepTo;
    return ParseUnsigned(text.substr(3), &fate->keep_to);
  }
  if (text.rfind("pages-", 0) == 0) {
    fate->kind = FileFate::Kind::kPages;
    return ParseUnsigned(text.substr(6), &fate->page_seed);
  }
  return false;
}

// Records that change an inode's bytes (or its length): a content version of the inode.
bool ChangesBytes(RecordKind kind) {
  switch (kind) {
    case RecordKind::kBaseline:
    case RecordKind::kCreate:
    case RecordKind::kReopen:
    case RecordKind::kAppend:
    case RecordKind::kSave:
    case RecordKind::kTruncate:
    case RecordKind::kClose:
      return true;
    default:
      return false;
  }
}

}  // namespace

const char* CrashKindName(CrashKind kind) {
  return kind == CrashKind::kProcess ? "process-crash" : "power-cut";
}

std::string CrashStateName(const CrashState& state) {
  std::string name = std::string(CrashKindName(state.kind)) + "@" + std::to_string(state.event);
  char sep = ':';
  for (const auto& [id, fate] : state.fates) {
    name += sep + std::to_string(id) + "=" + FateName(fate);
    sep = ',';
  }
  return name;
}

Status ParseCrashState(const std::string& text, CrashState* state) {
  auto bad = [&] {
    return Status::BadInput("bad crash state '" + text +
                            "': use the name the report gives, e.g. power-cut@1234:3=keep");
  };
  CrashState parsed;
  const size_t at = text.find('@');
  if (at == std::string::npos) return bad();
  const std::string kind = text.substr(0, at);
  if (kind == CrashKindName(CrashKind::kProcess)) {
    parsed.kind = CrashKind::kProcess;
  } else if (kind == CrashKindName(CrashKind::kPowerCut)) {
    parsed.kind = CrashKind::kPowerCut;
  } else {
    return bad();
  }
  const size_t colon = text.find(':', at);
  if (!ParseUnsigned(text.substr(at + 1, colon == std::string::npos ? colon : colon - at - 1),
                     &parsed.event)) {
    return bad();
  }
  for (size_t pos = colon; pos != std::string::npos && parsed.kind == CrashKind::kPowerCut;) {
    const size_t next = text.find(',', pos + 1);
    const std::string item =
        text.substr(pos + 1, next == std::string::npos ? next : next - pos - 1);
    const size_t eq = item.find('=');
    uint64_t id = 0;
    FileFate fate;
    if (eq == std::string::npos || !ParseUnsigned(item.substr(0, eq), &id) || id > UINT32_MAX ||
        !ParseFate(item.substr(eq + 1), &fate)) {
      return bad();
    }
    parsed.fates[static_cast<uint32_t>(id)] = fate;
    pos = next;
  }
  if (parsed.kind == CrashKind::kProcess && colon != std::string::npos) return bad();
  *state = parsed;
  return Status::Ok();
}

Status Trace::Load(const std::string& ledger_dir, const std::string& db_dir, Trace* trace) {
  Status s = ReadLedger(ledger_dir, &trace->records_);
  if (!s.ok()) return s;
  trace->ledger_path_ = LedgerFilePath(ledger_dir);
  s = LedgerBase(trace->records_, db_dir, trace->ledger_path_, &trace->base_);
  if (!s.ok()) return s;
  // The writer may have died between its last namespace intent and the call: the disk says.
  DropUnmadeCall(trace->base_, ledger_dir, &trace->records_);
  trace->writing_start_ = trace->records_.size();
  for (const LedgerRecord& r : trace->records_) {
    if (r.kind == RecordKind::kWritingStarts) trace->writing_start_ = r.ordinal;
  }
  Replay at_death;
  s = ReplayLedger(trace->records_, trace->ledger_path_, &at_death);
  if (!s.ok()) return s;
  for (const auto& [id, inode] : at_death.inodes) {
    Source& source = trace->sources_[id];
    const std::string keep = KeepPath(ledger_dir, id);
    struct stat st;
    if (::stat(keep.c_str(), &st) == 0) {
      source.path = keep;
    } else if (auto it = at_death.current.find(id); it != at_death.current.end()) {
      source.path = Join(trace->base_, it->second);
      if (::stat(source.path.c_str(), &st) != 0) source.path.clear();
    }
    if (!source.path.empty()) source.bytes = static_cast<uint64_t>(st.st_size);
  }
  trace->FindUntouched(at_death);
  OpsAt ops;
  AckedOps acks;
  bool first = true;
  for (const LedgerRecord& r : trace->records_) {
    if (r.kind != RecordKind::kIssued && r.kind != RecordKind::kAcked) continue;
    // The ledger's first boundary is the cycle's first op (ops are issued in index order; a
    // lying writer acks each before issuing it): every op below it was recovered.
    if (first) acks = AckedOps(r.a - 1), first = false;
    if (r.kind == RecordKind::kIssued) {
      ops.issued = std::max(ops.issued, r.a);
      trace->in_flight_.Issued(r.a);
    } else {
      trace->in_flight_.Acked(r.a);
      // With concurrent writers acks come out of order: what lies above a gap is kept apart.
      if (acks.Add(r.a)) ops.acked = acks.prefix, ops.acked_above = acks.above;
    }
    trace->op_marks_.push_back({r.ordinal, ops});
  }
  for (const LedgerRecord& r : trace->records_) {
    auto it = trace->sources_.find(r.file_id);
    if (it == trace->sources_.end() || !ChangesBytes(r.kind)) continue;
    if (r.kind == RecordKind::kBaseline || r.kind == RecordKind::kCreate) {
      it->second.cls = ClassifyName(r.name);
    }
    it->second.changes.push_back(r.ordinal);
    // A save is recorded before the write or truncation that replaces its bytes (the intent
    // right after it, faults/ledger_fs.cc): at an event between the two the file still holds
    // them, so a save counts from the ordinal of that change, not its own. One the writer
    // died before making keeps kWholeLedger: the file holds its bytes still, either way.
    if (r.kind == RecordKind::kSave) {
      it->second.saves.push_back({kWholeLedger, r.a, &r.data});
    } else if (r.kind == RecordKind::kAppend || r.kind == RecordKind::kTruncate) {
      for (auto save = it->second.saves.rbegin();
           save != it->second.saves.rend() && save->ordinal == kWholeLedger; ++save) {
        save->ordinal = r.ordinal;
      }
    }
  }
  return Status::Ok();
}

void Trace::FindUntouched(const Replay& at_death) {
  // Names the ledger gives, and the names at death of files it moved with a directory.
  std::set<std::string> named;
  for (const LedgerRecord& r : records_) {
    if (!r.name.empty()) named.insert(r.name);
    if (!r.name2.empty()) named.insert(r.name2);
  }
  for (const auto& [name, id] : at_death.live_names) named.insert(name);
  for (const std::string& root : at_death.roots) {
    std::error_code ec;
    const std::filesystem::path top = Join(base_, root);
    for (auto it = std::filesystem::recursive_directory_iterator(top, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::string rel =
          std::filesystem::path(it->path()).lexically_relative(base_).lexically_normal().string();
      const std::string leaf = it->path().filename().string();
      // The info logs are evidence, never store state: the ledger does not track them.
      if (leaf == "LOG" || leaf.rfind("LOG.old.", 0) == 0 || named.count(rel) != 0) continue;
      untouched_.push_back({rel, ClassifyName(rel) == FileClass::kSst});
    }
  }
  std::sort(untouched_.begin(), untouched_.end(),
            [](const Untouched& a, const Untouched& b) { return a.name < b.name; });
}

Status Trace::PlaceUntouched(const std::string& out_dir, bool link_ssts, ImageStats* stats) const {
  for (const Untouched& u : untouched_) {
    const std::string from = Join(base_, u.name), to = Join(out_dir, u.name);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(to).parent_path(), ec);
    if (link_ssts && u.sst && ::link(from.c_str(), to.c_str()) == 0) {
      stats->files_linked++;
      continue;
    }
    std::filesystem::copy_file(from, to, ec);
    if (ec)
      return Status::IoError("crash image: cannot copy " + from + " to " + to + ": " +
                             ec.message());
    stats->files_copied++;
  }
  return Status::Ok();
}

OpsAt Trace::OpsThrough(uint64_t event) const {
  auto it = std::upper_bound(op_marks_.begin(), op_marks_.end(), event,
                             [](uint64_t e, const auto& mark) { return e < mark.first; });
  return it == op_marks_.begin() ? OpsAt() : std::prev(it)->second;
}

Status Trace::ReplayAt(uint64_t event, Replay* replay) const {
  return ReplayLedger(records_, ledger_path_, replay, event);
}

const Trace::Source* Trace::SourceOf(uint32_t id) const {
  auto it = sources_.find(id);
  return it == sources_.end() ? nullptr : &it->second;
}

uint64_t Trace::VersionAt(const Source& source, uint64_t event) const {
  auto it = std::upper_bound(source.changes.begin(), source.changes.end(), event);
  return it == source.changes.begin() ? 0 : *std::prev(it) + 1;
}

Status Trace::ReadAt(uint32_t id, uint64_t event, uint64_t offset, uint64_t length,
                     std::string* out) const {
  out->assign(length, '\0');
  const Source* source = SourceOf(id);
  if (source == nullptr || source->path.empty()) {
    return Status::Corruption("crash image: no bytes of file id " + std::to_string(id));
  }
  if (offset < source->bytes) {
    const int fd = ::open(source->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("cannot open", source->path);
    const uint64_t want = std::min(length, source->bytes - offset);
    uint64_t done = 0;
    while (done < want) {
      const ssize_t n =
          ::pread(fd, out->data() + done, want - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<uint64_t>(n);
    }
    ::close(fd);
  }
  // Later saves first, so that for each byte the earliest save after `event` wins: it holds
  // what the byte was before the first write that changed it after the event.
  for (auto it = source->saves.rbegin(); it != source->saves.rend() && it->ordinal > event; ++it) {
    const uint64_t start = std::max(offset, it->offset);
    const uint64_t end = std::min(offset + length, it->offset + it->bytes->size());
    if (start < end) {
      std::memcpy(out->data() + (start - offset), it->bytes->data() + (start - it->offset),
                  end - start);
    }
  }
  return Status::Ok();
}

Status Trace::Materialize(uint32_t id, uint64_t event, uint64_t length, bool may_link,
                          const std::string& out, ImageStats* stats) const {
  const Source* source = SourceOf(id);
  if (source == nullptr || source->path.empty()) {
    return Status::Corruption("crash image: no bytes of file id " + std::to_string(id) + " for " +
                              out + " (neither its name nor its keep link is left)");
  }
  bool rewritten = false;  // a save after the event restores bytes the file has now lost
  uint64_t available = source->bytes;
  for (auto it = source->saves.rbegin(); it != source->saves.rend() && it->ordinal > event; ++it) {
    rewritten |= it->offset < length;
    available = std::max<uint64_t>(available, it->offset + it->bytes->size());
  }
  // A thread's last append intent may never have been made (faults/ledger.h, "Intents"): the
  // bytes no file and no save holds were never written, so the image ends where they begin.
  length = std::min(length, available);
  if (may_link && !rewritten && length == source->bytes &&
      ::link(source->path.c_str(), out.c_str()) == 0) {
    stats->files_linked++;
    return Status::Ok();
  }
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", out);
  Status s = CopyPrefix(source->path, fd, std::min(length, source->bytes), out);
  if (s.ok() && ::ftruncate(fd, static_cast<off_t>(length)) != 0) s = Errno("cannot size", out);
  for (auto it = source->saves.rbegin();
       s.ok() && it != source->saves.rend() && it->ordinal > event; ++it) {
    if (it->offset >= length) continue;
    const uint64_t n = std::min<uint64_t>(it->bytes->size(), length - it->offset);
    s = PWriteAll(fd, it->bytes->data(), n, it->offset, out);
  }
  ::close(fd);
  stats->files_copied++;
  stats->bytes_copied += length;
  return s;
}

Status Trace::PlaceFiles(const CrashState& state, const Replay& at, const std::string& out_dir,
                         bool link_ssts, ImageStats* stats) const {
  const bool process = state.kind == CrashKind::kProcess;
  const auto& names = process ? at.live_names : at.names;
  std::map<uint32_t, std::string> placed;  // the first name of each inode: later ones link to it
  CutStats cut;
  for (const auto& [name, id] : names) {
    if (id == 0) continue;
    const std::string path = Join(out_dir, name);
    if (auto it = placed.find(id); it != placed.end()) {
      if (::link(it->second.c_str(), path.c_str()) != 0) return Errno("cannot link", path);
      continue;
    }
    const ReplayedInode& inode = at.inodes.at(id);
    const Source* source = SourceOf(id);
    const bool sst = link_ssts && source != nullptr && source->cls == FileClass::kSst;
    auto fate_it = state.fates.find(id);
    const FileFate fate = fate_it == state.fates.end() ? FileFate() : fate_it->second;
    // A process crash keeps every byte the page cache holds, doomed ones too (fsyncgate).
    const UnsyncedSpan span = process ? UnsyncedSpan() : UnsyncedSpanOf(inode, inode.size);
    const bool unchanged_by_cut =
        span.empty() || (fate.kind == FileFate::Kind::kKeep && span.doomed_bytes == 0);
    Status s = Materialize(id, state.event, inode.size, sst && unchanged_by_cut, path, stats);
    if (s.ok() && !unchanged_by_cut) s = CutFile(path, id, inode, fate, &cut);
    if (!s.ok()) return s;
    placed.emplace(id, path);
  }
  return Status::Ok();
}

Status Trace::BuildImage(const CrashState& state, const Replay& at, const std::string& out_dir,
                         ImageStats* stats, bool link_ssts) const {
  std::error_code ec;
  if (std::filesystem::exists(out_dir, ec)) {
    return Status::BadInput("crash image: " + out_dir + " exists already");
  }
  std::vector<std::string> dirs = at.roots;
  for (const ReplayedDir& d : at.dirs) {
    const std::string& where = state.kind == CrashKind::kProcess ? d.current : d.durable;
    if (!where.empty()) dirs.push_back(where);
  }
  std::sort(dirs.begin(), dirs.end());  // a parent sorts before what it holds
  std::filesystem::create_directories(out_dir, ec);
  for (const std::string& d : dirs) {
    if (!ec) std::filesystem::create_directories(Join(out_dir, d), ec);
  }
  if (ec) return Status::IoError("crash image: cannot create " + out_dir + ": " + ec.message());
  ImageStats local;
  Status s = PlaceUntouched(out_dir, link_ssts, &local);
  if (s.ok()) s = PlaceFiles(state, at, out_dir, link_ssts, &local);
  if (stats != nullptr) {
    stats->files_linked += local.files_linked;
    stats->files_copied += local.files_copied;
    stats->bytes_copied += local.bytes_copied;
  }
  return s;
}

std::string Trace::ContentKey(const CrashState& state, const Replay& at) const {
  const bool process = state.kind == CrashKind::kProcess;
  std::string key;
  for (const std::string& root : at.roots) key += "r:" + root + ";";
  std::vector<std::string> dirs;
  for (const ReplayedDir& d : at.dirs) {
    const std::string& where = process ? d.current : d.durable;
    if (!where.empty()) dirs.push_back(where);
  }
  std::sort(dirs.begin(), dirs.end());
  for (const std::string& d : dirs) key += "d:" + d + ";";
  for (const auto& [name, id] : process ? at.live_names : at.names) {
    if (id == 0) continue;
    const ReplayedInode& inode = at.inodes.at(id);
    const Source* source = SourceOf(id);
    key += "f:" + name + "=" + std::to_string(id) + "." +
           std::to_string(source == nullptr ? 0 : VersionAt(*source, state.event)) + "." +
           std::to_string(inode.size);
    const UnsyncedSpan span = process ? UnsyncedSpan() : UnsyncedSpanOf(inode, inode.size);
    auto fate_it = state.fates.find(id);
    FileFate fate = fate_it == state.fates.end() ? FileFate() : fate_it->second;
    if (fate.kind == FileFate::Kind::kKeepTo && fate.keep_to <= span.first) fate = FileFate();
    if (fate.kind == FileFate::Kind::kKeepTo && fate.keep_to >= span.last) {
      fate.kind = FileFate::Kind::kKeep;
    }
    if (span.first >= span.last) fate = FileFate();  // only doomed bytes: no fate decides any
    // As the writer had it at the event: nothing unsynced, or all of it kept, nothing doomed.
    if (span.empty() || (fate.kind == FileFate::Kind::kKeep && span.doomed_bytes == 0)) {
      key += ";";
      continue;
    }
    key += ".d" + std::to_string(inode.durable) + (inode.trunc_pending ? "t" : "");
    for (const auto& [offset, bytes] : inode.saves) {
      key += ".s" + std::to_string(offset) + "+" + std::to_string(bytes.size());
    }
    // fsyncgate: the zeros a failed sync left, which any fate keeps.
    for (const auto& [start, end] : inode.doomed) {
      if (start < inode.size) {
        key +=
            ".z" + std::to_string(start) + "+" + std::to_string(std::min(end, inode.size) - start);
      }
    }
    key += "." + FateName(fate) + ";";
  }
  return key;
}

}  // namespace powercut::faults
