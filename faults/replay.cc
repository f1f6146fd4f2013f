#include "faults/replay.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include "faults/io_error.h"

namespace powercut::faults {
namespace {

// What an entry of a directory points to: 0 (nothing), a file's id, or kDirBit | a directory's
// index in Tree::dirs.
using Child = uint64_t;
constexpr Child kDirBit = 1ull << 32;
bool IsDirChild(Child c) { return (c & kDirBit) != 0; }
size_t DirIndex(Child c) { return static_cast<size_t>(c & ~kDirBit); }

// An entry's history: (ordinal, child). A baseline predates every record: ordinal -1.
using History = std::vector<std::pair<int64_t, Child>>;

std::string ParentOf(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

std::string BaseOf(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// `path` is `dir` or inside it; every path is inside the root "".
bool Under(const std::string& path, const std::string& dir) {
  return dir.empty() || path == dir ||
         (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
          path[dir.size()] == '/');
}

// Names come from a file the cut will act on: none may leave the base directory.
bool SafeName(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    std::string part = name.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = slash + 1;
  }
  return name.find('\0') == std::string::npos;
}

Child AsOf(const History& history, uint64_t bound) {
  Child id = 0;
  for (const auto& [ordinal, inode] : history) {
    if (ordinal >= static_cast<int64_t>(bound)) break;
    id = inode;
  }
  return id;
}

void AddSave(ReplayedInode* inode, uint64_t offset, const std::string& bytes) {
  if (offset >= inode->durable) return;
  const uint64_t end = std::min<uint64_t>(offset + bytes.size(), inode->durable);
  auto& saves = inode->saves;
  uint64_t pos = offset;
  while (pos < end) {
    auto next = saves.upper_bound(pos);
    if (next != saves.begin()) {
      auto prev = std::prev(next);
      const uint64_t prev_end = prev->first + prev->second.size();
      if (prev_end > pos) {  // an older save of these bytes wins
        pos = prev_end;
        continue;
      }
    }
    const uint64_t piece_end = next == saves.end() ? end : std::min(end, next->first);
    saves.emplace(pos, bytes.substr(pos - offset, piece_end - pos));
    pos = piece_end;
  }
}

// Bytes below `bound` are durable as they are now: their saves no longer matter.
void DropSavesBelow(ReplayedInode* inode, uint64_t bound) {
  auto& saves = inode->saves;
  while (!saves.empty() && saves.begin()->first < bound) {
    auto node = saves.extract(saves.begin());
    const uint64_t start = node.key();
    const uint64_t end = start + node.mapped().size();
    if (end > bound) saves.emplace(bound, node.mapped().substr(bound - start));
  }
}

// Bytes from `bound` on are no longer durable at all.
void DropSavesFrom(ReplayedInode* inode, uint64_t bound) {
  auto& saves = inode->saves;
  saves.erase(saves.lower_bound(bound), saves.end());
  if (!saves.empty()) {
    auto last = std::prev(saves.end());
    if (last->first + last->second.size() > bound) last->second.resize(bound - last->first);
  }
}

// fsyncgate: bytes [start, end) are doomed too (merged with the doomed ranges they touch).
void Doom(ReplayedInode* inode, uint64_t start, uint64_t end) {
  if (start >= end) return;
  auto& doomed = inode->doomed;
  auto it = doomed.upper_bound(start);
  if (it != doomed.begin() && std::prev(it)->second >= start) {
    --it;
    start = it->first;
    end = std::max(end, it->second);
    it = doomed.erase(it);
  }
  while (it != doomed.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = doomed.erase(it);
  }
  doomed.emplace(start, end);
}

// Bytes [start, end) are doomed no more: rewritten (new dirty bytes a sync writes), or gone.
void Undoom(ReplayedInode* inode, uint64_t start, uint64_t end) {
  if (start >= end) return;
  auto& doomed = inode->doomed;
  auto it = doomed.upper_bound(start);
  if (it != doomed.begin()) --it;
  while (it != doomed.end() && it->first < end) {
    const uint64_t first = it->first, last = it->second;
    if (last <= start) {
      ++it;
      continue;
    }
    it = doomed.erase(it);  // the pieces outside [start, end) go back; `it` stays after them
    if (first < start) doomed.emplace(first, start);
    if (last > end) doomed.emplace(end, last);
  }
}

// A save's bytes as the disk durably holds them: zeros where a failed sync doomed them, since
// the bytes the writer read back were the page cache's, never written.
std::string AsOnDisk(const ReplayedInode& inode, uint64_t offset, std::string bytes) {
  for (const auto& [start, end] : inode.doomed) {
    const uint64_t lo = std::max(start, offset);
    const uint64_t hi = std::min<uint64_t>(end, offset + bytes.size());
    if (lo < hi) std::fill(bytes.begin() + (lo - offset), bytes.begin() + (hi - offset), '\0');
  }
  return bytes;
}

struct Dir {
  explicit Dir(std::string path_in) : path(std::move(path_in)) {}
  std::string path;  // where it is now, in the replay
  bool alive = true;
  std::map<std::string, History> entries;
  std::map<std::string, Child> durable;  // entries as the widest covering fsync saw them
  uint64_t synced_below = 0;  // the widest fsync so far covers records below this ordinal
};

// The directory tree as the records change it, directory by directory: an entry belongs to
// a directory, not to a path, so a fsync covers a directory's entries under whatever name it
// has, and a rename moves a directory without touching what it holds.
class Tree {
 public:
  void AddRoot(const std::string& path) {
    at_[path] = dirs_.size();
    dirs_.emplace_back(path);
    roots_.push_back(path);
  }
  const std::vector<std::string>& roots() const { return roots_; }

  // `name` lies strictly inside a root, or is one when `or_root`.
  bool InRoot(const std::string& name, bool or_root) const {
    for (const std::string& root : roots_) {
      if (name == root ? or_root : Under(name, root)) return true;
    }
    return false;
  }
  bool Exists(const std::string& path) const { return at_.count(path) != 0; }

  // The directory at `path` now. One the records never made predates the writer: it is
  // recorded now, durable in its parent, as a file's baseline is. `path` is InRoot.
  size_t Resolve(const std::string& path, int64_t ordinal) {
    auto it = at_.find(path);
    if (it != at_.end()) return it->second;
    const size_t parent = Resolve(ParentOf(path), ordinal);
    const size_t dir = dirs_.size();
    dirs_.emplace_back(path);
    at_[path] = dir;
    History& history = dirs_[parent].entries[BaseOf(path)];
    history.emplace_back(history.empty() ? -1 : ordinal, kDirBit | dir);
    dirs_[parent].durable[BaseOf(path)] = kDirBit | dir;
    return dir;
  }

  // Points `name` (whose parent directory is resolved) at `child`. `baseline`: it predates
  // every record, and is durable unless not `durable` (a name no fsync covered yet, which a
  // directory fsync of this ledger then covers like any older entry).
  void Bind(const std::string& name, Child child, int64_t ordinal, bool baseline = false,
            bool durable = true) {
    Dir& parent = dirs_[Resolve(ParentOf(name), ordinal)];
    History& history = parent.entries[BaseOf(name)];
    history.emplace_back(baseline && history.empty() ? -1 : ordinal, child);
    if (baseline && durable) parent.durable[BaseOf(name)] = child;
  }

  size_t Mkdir(const std::string& name, int64_t ordinal) {
    const size_t dir = dirs_.size();
    dirs_.emplace_back(name);
    Bind(name, kDirBit | dir, ordinal);
    at_[name] = dir;
    return dir;
  }

  // The directory at `path` and everything inside it leave the tree (rmdir, or replaced).
  void Drop(const std::string& path) {
    for (auto& [old_path, dir] : Extract(path)) dirs_[dir].alive = false;
  }

  void Move(const std::string& from, const std::string& to) {
    for (auto& [old_path, dir] : Extract(from)) {
      dirs_[dir].path = to + old_path.substr(from.size());
      at_[dirs_[dir].path] = dir;
    }
  }

  void Sync(size_t dir, uint64_t bound) {
    Dir& d = dirs_[dir];
    // fsyncs of one directory from several threads finish out of order: one that began
    // earlier, and so covers less, must not take back what a wider one made durable.
    if (bound <= d.synced_below) return;
    d.synced_below = bound;
    for (const auto& [name, history] : d.entries) d.durable[name] = AsOf(history, bound);
  }

  // Walks the durable tree from the roots: where each directory ends up, which inode each
  // file name durably holds; and where the writer left each inode and directory.
  void Emit(Replay* replay) const {
    std::vector<std::string> durable(dirs_.size());
    std::vector<bool> placed(dirs_.size(), false);
    for (size_t root = 0; root < roots_.size(); ++root) {
      placed[root] = true;
      Walk(root, roots_[root], &durable, &placed, replay);
    }
    for (const auto& [path, dir] : at_) {
      for (const auto& [name, history] : dirs_[dir].entries) {
        const Child now = history.back().second;
        if (now == 0 || IsDirChild(now)) continue;
        replay->current.emplace(now, Join(path, name));
        replay->live_names.emplace(Join(path, name), static_cast<uint32_t>(now));
      }
    }
    for (size_t dir = roots_.size(); dir < dirs_.size(); ++dir) {
      const std::string current = dirs_[dir].alive ? dirs_[dir].path : std::string();
      if (placed[dir] || !current.empty()) replay->dirs.push_back({durable[dir], current});
    }
  }

 private:
  void Walk(size_t dir, const std::string& path, std::vector<std::string>* durable,
            std::vector<bool>* placed, Replay* replay) const {
    const Dir& d = dirs_[dir];
    for (const auto& [name, history] : d.entries) {
      auto it = d.durable.find(name);
      const Child child = it == d.durable.end() ? 0 : it->second;
      const std::string child_path = Join(path, name);
      if (IsDirChild(child)) {
        // A directory durably under two names (a rename covered at its target only) lands
        // at the first; a real disk would need fsck to choose.
        if ((*placed)[DirIndex(child)]) continue;
        (*placed)[DirIndex(child)] = true;
        (*durable)[DirIndex(child)] = child_path;
        Walk(DirIndex(child), child_path, durable, placed, replay);
        continue;
      }
      // Only names that ever held a file: a name that only ever held a directory is the
      // directories' business.
      bool held_file = false;
      for (const auto& step : history) held_file |= step.second != 0 && !IsDirChild(step.second);
      if (held_file) replay->names[child_path] = static_cast<uint32_t>(child);
    }
  }

  // Takes `path` and the directories inside it out of at_. ("a-b" sorts between "a" and
  // "a/x", hence two lookups.)
  std::vector<std::pair<std::string, size_t>> Extract(const std::string& path) {
    std::vector<std::pair<std::string, size_t>> out;
    if (auto it = at_.find(path); it != at_.end()) {
      out.emplace_back(*it);
      at_.erase(it);
    }
    const std::string prefix = path + "/";
    for (auto it = at_.lower_bound(prefix);
         it != at_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
      out.emplace_back(*it);
      it = at_.erase(it);
    }
    return out;
  }

  std::vector<Dir> dirs_;             // roots first
  std::map<std::string, size_t> at_;  // live directories by their path now
  std::vector<std::string> roots_;
};

// The intents whose call returned an error (named by kFailed records): they changed nothing.
Status FailedIntents(const std::vector<LedgerRecord>& records, const std::string& ledger_path,
                     std::set<uint64_t>* failed) {
  for (const LedgerRecord& r : records) {
    if (r.kind != RecordKind::kFailed) continue;
    auto intent = std::lower_bound(
        records.begin(), records.end(), r.a,
        [](const LedgerRecord& x, uint64_t ordinal) { return x.ordinal < ordinal; });
    if (r.a >= r.ordinal || intent == records.end() || intent->ordinal != r.a ||
        !IsIntent(intent->kind) || !failed->insert(r.a).second) {
      return Status::Corruption("ledger " + ledger_path + ": " + DescribeRecord(r) +
                                ": names no earlier intent, or one already failed");
    }
  }
  return Status::Ok();
}

// The directory the ledger's names are relative to: the store, or the directory holding the
// store and the extra roots. BadInput when the ledger was kept for another store.
Status BaseOfStore(const std::string& store, const std::string& db_dir,
                   const std::string& ledger_path, std::string* base) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(db_dir, ec);
  if (ec) abs = db_dir;
  std::string dir = abs.lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (store.empty()) {
    *base = dir;
    return Status::Ok();
  }
  const std::string suffix = "/" + store;
  if (dir.size() < suffix.size() ||
      dir.compare(dir.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return Status::BadInput("ledger " + ledger_path + " was kept for a store at '" + store +
                            "' below its base, not for " + db_dir);
  }
  *base = dir.size() == suffix.size() ? "/" : dir.substr(0, dir.size() - suffix.size());
  return Status::Ok();
}

// The store's path relative to the base, as the kRoot records (which come first) declare it;
// "" without them. The replay checks the declarations.
std::string StoreRootOf(const std::vector<LedgerRecord>& records) {
  for (const LedgerRecord& r : records) {
    if (r.kind != RecordKind::kRoot) break;
    if (r.a == 1) return r.name;
  }
  return "";
}

}  // namespace

Status LedgerBase(const std::vector<LedgerRecord>& records, const std::string& db_dir,
                  const std::string& ledger_path, std::string* base) {
  return BaseOfStore(StoreRootOf(records), db_dir, ledger_path, base);
}

Status ReplayLedger(const std::vector<LedgerRecord>& records, const std::string& ledger_path,
                    Replay* replay, uint64_t through) {
  *replay = Replay();
  Tree tree;
  bool store_declared = false;
  bool roots_closed = false;
  auto& inodes = replay->inodes;
  std::set<uint64_t> failed;
  Status s = FailedIntents(records, ledger_path, &failed);
  if (!s.ok()) return s;

  // One record's effect on the tree and the inodes.
  auto apply = [&](const LedgerRecord& r) -> Status {
    auto corrupt = [&](const std::string& why) {
      return Status::Corruption("ledger " + ledger_path + ": " + DescribeRecord(r) + ": " + why);
    };
    if (r.kind == RecordKind::kFailed || failed.count(r.ordinal) != 0) return Status::Ok();
    if (r.kind == RecordKind::kRoot) {
      if (roots_closed) return corrupt("a root declared after other records");
      if (!SafeName(r.name) || r.a > 1) return corrupt("bad root");
      for (const std::string& root : tree.roots()) {
        if (Under(r.name, root) || Under(root, r.name)) return corrupt("roots overlap");
      }
      if (r.a == 1) {
        if (store_declared) return corrupt("a second store root");
        store_declared = true;
        replay->store_root = r.name;
      }
      tree.AddRoot(r.name);
      return Status::Ok();
    }
    if (!roots_closed) {
      roots_closed = true;
      if (tree.roots().empty()) {
        tree.AddRoot("");  // no declaration: the store is the only root and the base
      } else if (!store_declared) {
        return corrupt("roots declared, none of them the store");
      }
    }

    // Markers change nothing on disk: the writing start tells crash points where to count
    // from (faults/ledger_fs.h), op boundaries say which ops were issued and acked.
    if (IsMarker(r.kind)) return Status::Ok();
    // An injected error changed nothing on disk; a failed file sync dooms what was not durable
    // when it began (fsyncgate). Other sites may name a file a failed create never made.
    if (r.kind == RecordKind::kIoError) {
      if (r.a >= static_cast<uint64_t>(kIoSiteCount)) return corrupt("unknown I/O error site");
      if (!IsFileSyncSite(static_cast<IoSite>(r.a))) return Status::Ok();
      auto it = inodes.find(r.file_id);
      if (it == inodes.end()) return corrupt("unknown file id");
      Doom(&it->second, it->second.durable, r.b);
      return Status::Ok();
    }
    const bool dir_record = r.kind == RecordKind::kMkdir || r.kind == RecordKind::kRmdir ||
                            r.kind == RecordKind::kRenameDir || r.kind == RecordKind::kDirSync;
    ReplayedInode* inode = nullptr;
    const bool creates = r.kind == RecordKind::kBaseline || r.kind == RecordKind::kCreate;
    if (!dir_record) {
      if (r.file_id == 0) return corrupt("no file id");
      auto it = inodes.find(r.file_id);
      if (creates && it != inodes.end()) return corrupt("file id used twice");
      if (!creates && it == inodes.end()) return corrupt("unknown file id");
      if (!creates) inode = &it->second;
    }
    const bool named = creates || r.kind == RecordKind::kRename || r.kind == RecordKind::kLink ||
                       r.kind == RecordKind::kDelete || r.kind == RecordKind::kMkdir ||
                       r.kind == RecordKind::kRmdir || r.kind == RecordKind::kRenameDir;
    if (named && (!SafeName(r.name) || !tree.InRoot(r.name, false))) {
      return corrupt("bad name");
    }
    const bool two_names = r.kind == RecordKind::kRename || r.kind == RecordKind::kLink ||
                           r.kind == RecordKind::kRenameDir;
    if (two_names && (!SafeName(r.name2) || !tree.InRoot(r.name2, false))) {
      return corrupt("bad target name");
    }
    const auto ordinal = static_cast<int64_t>(r.ordinal);

    switch (r.kind) {
      case RecordKind::kRoot:
      case RecordKind::kWritingStarts:
      case RecordKind::kIssued:
      case RecordKind::kAcked:
      case RecordKind::kFailed:
      case RecordKind::kIoError:
        break;  // handled above
      case RecordKind::kBaseline: {
        // The durable length and the name's durability an earlier cycle left (a kill syncs
        // nothing): a later sync or directory fsync covers them as it covers this cycle's.
        if (r.b > r.a) return corrupt("durable size beyond size");
        ReplayedInode& created = inodes[r.file_id];
        created.size = r.a;
        created.durable = r.b;
        const bool entry_durable = (r.flags & kBaselineEntryNotDurable) == 0;
        tree.Bind(r.name, r.file_id, ordinal, /*baseline=*/true, entry_durable);
        break;
      }
      case RecordKind::kCreate: {
        if (r.b > r.a) return corrupt("durable size beyond size");
        ReplayedInode& created = inodes[r.file_id];
        created.size = r.a;
        created.durable = r.b;
        tree.Bind(r.name, r.file_id, ordinal);
        break;
      }
      case RecordKind::kReopen:
        inode->size = r.a;
        break;
      case RecordKind::kAppend:
        if (r.a + r.b < r.a) return corrupt("write past 2^64");
        inode->size = std::max(inode->size, r.a + r.b);
        Undoom(inode, r.a, r.a + r.b);
        break;
      case RecordKind::kSave:
        AddSave(inode, r.a, inode->doomed.empty() ? r.data : AsOnDisk(*inode, r.a, r.data));
        break;
      case RecordKind::kTruncate:
        inode->size = r.a;
        if (r.a < inode->durable) inode->trunc_pending = true;
        Undoom(inode, r.a, ~uint64_t{0});  // its saves hold the doomed bytes below `durable`
        break;
      case RecordKind::kSync:
        // Doomed bytes stay doomed (fsyncgate): the sync writes dirty pages only.
        if (inode->trunc_pending) {  // the sync makes the truncation durable too
          inode->durable = r.a;
          inode->trunc_pending = false;
          DropSavesFrom(inode, r.a);
        } else {
          inode->durable = std::max(inode->durable, r.a);
        }
        DropSavesBelow(inode, r.a);
        break;
      case RecordKind::kClose:
        // Close trims preallocated space with ftruncate. Taking the trim as durable is one
        // state a disk may show; the bytes it cut are an old incarnation's (recycled WAL).
        // A pending truncation keeps the old durable bytes (saved): the trim changes nothing.
        inode->size = r.a;
        if (r.a < inode->durable && !inode->trunc_pending) {
          inode->durable = r.a;
          DropSavesFrom(inode, r.a);
        }
        Undoom(inode, r.a, ~uint64_t{0});
        break;
      case RecordKind::kRename:
        tree.Bind(r.name, 0, ordinal);
        tree.Bind(r.name2, r.file_id, ordinal);
        break;
      case RecordKind::kLink:
        tree.Bind(r.name2, r.file_id, ordinal);
        break;
      case RecordKind::kDelete:
        tree.Bind(r.name, 0, ordinal);
        break;
      case RecordKind::kMkdir:
        if (tree.Exists(r.name)) return corrupt("the directory exists already");
        tree.Mkdir(r.name, ordinal);
        break;
      case RecordKind::kRmdir:
        tree.Resolve(r.name, ordinal);
        tree.Bind(r.name, 0, ordinal);
        tree.Drop(r.name);
        break;
      case RecordKind::kRenameDir: {
        if (Under(r.name2, r.name)) return corrupt("a directory moved into itself");
        const size_t dir = tree.Resolve(r.name, ordinal);
        tree.Resolve(ParentOf(r.name2), ordinal);
        tree.Drop(r.name2);  // rename(2) may replace an empty directory
        tree.Bind(r.name, 0, ordinal);
        tree.Bind(r.name2, kDirBit | dir, ordinal);
        tree.Move(r.name, r.name2);
        break;
      }
      case RecordKind::kDirSync: {
        if (r.a > r.ordinal) return corrupt("covers records after itself");
        if ((!r.name.empty() && !SafeName(r.name)) || !tree.InRoot(r.name, true)) {
          return corrupt("bad directory name");
        }
        tree.Sync(tree.Resolve(r.name, ordinal), r.a);
        break;
      }
    }
    return Status::Ok();
  };
  // A baseline states what a file was before the writer first touched it, so a replay through
  // an earlier record still holds it: the late baselines are applied as soon as the roots are.
  bool baselines_placed = through == kWholeLedger;
  for (const LedgerRecord& r : records) {
    if (r.ordinal > through) continue;
    if (!baselines_placed && r.kind != RecordKind::kRoot) {
      baselines_placed = true;
      for (const LedgerRecord& b : records) {
        if (b.kind != RecordKind::kBaseline || b.ordinal <= through) continue;
        s = apply(b);
        if (!s.ok()) return s;
      }
    }
    s = apply(r);
    if (!s.ok()) return s;
  }
  if (!roots_closed && tree.roots().empty()) tree.AddRoot("");
  if (!tree.roots().empty() && !tree.roots()[0].empty() && !store_declared) {
    return Status::Corruption("ledger " + ledger_path + ": roots declared, none of them the store");
  }
  replay->roots = tree.roots();
  tree.Emit(replay);
  return Status::Ok();
}

}  // namespace powercut::faults
