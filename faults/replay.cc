#include "faults/replay.h"

#include <algorithm>
#include <set>
#include <utility>

namespace powercut::faults {
namespace {

// A name's history: (ordinal, inode or 0). A baseline predates every record: ordinal -1.
using History = std::vector<std::pair<int64_t, uint32_t>>;

std::string ParentOf(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

// Names come from a file the cut will act on: none may leave the store directory.
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

uint32_t AsOf(const History& history, uint64_t bound) {
  uint32_t id = 0;
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

}  // namespace

Status ReplayLedger(const std::vector<LedgerRecord>& records, const std::string& ledger_path,
                    Replay* replay) {
  *replay = Replay();
  std::map<std::string, History> histories;
  std::map<std::string, std::set<std::string>> by_parent;
  std::map<std::string, uint32_t> durable;
  auto& inodes = replay->inodes;

  for (const LedgerRecord& r : records) {
    auto corrupt = [&](const std::string& why) {
      return Status::Corruption("ledger " + ledger_path + ": " + DescribeRecord(r) + ": " + why);
    };
    auto bind = [&](const std::string& name, uint32_t id, int64_t ordinal) {
      histories[name].emplace_back(ordinal, id);
      by_parent[ParentOf(name)].insert(name);
    };
    ReplayedInode* inode = nullptr;
    const bool creates = r.kind == RecordKind::kBaseline || r.kind == RecordKind::kCreate;
    if (r.kind != RecordKind::kDirSync) {
      if (r.file_id == 0) return corrupt("no file id");
      auto it = inodes.find(r.file_id);
      if (creates && it != inodes.end()) return corrupt("file id used twice");
      if (!creates && it == inodes.end()) return corrupt("unknown file id");
      if (!creates) inode = &it->second;
    }
    const bool named = creates || r.kind == RecordKind::kRename || r.kind == RecordKind::kLink ||
                       r.kind == RecordKind::kDelete;
    if (named && !SafeName(r.name)) return corrupt("bad name");
    if ((r.kind == RecordKind::kRename || r.kind == RecordKind::kLink) && !SafeName(r.name2)) {
      return corrupt("bad target name");
    }
    const auto ordinal = static_cast<int64_t>(r.ordinal);

    switch (r.kind) {
      case RecordKind::kBaseline: {
        ReplayedInode& created = inodes[r.file_id];
        created.size = created.durable = r.a;
        auto& history = histories[r.name];
        bind(r.name, r.file_id, history.empty() ? -1 : ordinal);
        durable[r.name] = r.file_id;  // it was there before the writer: durable already
        break;
      }
      case RecordKind::kCreate: {
        if (r.b > r.a) return corrupt("durable size beyond size");
        ReplayedInode& created = inodes[r.file_id];
        created.size = r.a;
        created.durable = r.b;
        bind(r.name, r.file_id, ordinal);
        break;
      }
      case RecordKind::kReopen:
        inode->size = r.a;
        break;
      case RecordKind::kAppend:
        if (r.a + r.b < r.a) return corrupt("write past 2^64");
        inode->size = std::max(inode->size, r.a + r.b);
        break;
      case RecordKind::kSave:
        AddSave(inode, r.a, r.data);
        break;
      case RecordKind::kTruncate:
        inode->size = r.a;
        if (r.a < inode->durable) inode->trunc_pending = true;
        break;
      case RecordKind::kSync:
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
        inode->size = r.a;
        if (r.a < inode->durable) {
          inode->durable = r.a;
          DropSavesFrom(inode, r.a);
        }
        break;
      case RecordKind::kRename:
        bind(r.name, 0, ordinal);
        bind(r.name2, r.file_id, ordinal);
        break;
      case RecordKind::kLink:
        bind(r.name2, r.file_id, ordinal);
        break;
      case RecordKind::kDelete:
        bind(r.name, 0, ordinal);
        break;
      case RecordKind::kDirSync: {
        if (r.a > r.ordinal) return corrupt("covers records after itself");
        if (!r.name.empty() && !SafeName(r.name)) return corrupt("bad directory name");
        auto it = by_parent.find(r.name);
        if (it == by_parent.end()) break;
        for (const std::string& name : it->second) durable[name] = AsOf(histories[name], r.a);
        break;
      }
    }
  }

  for (const auto& [name, history] : histories) {
    ReplayedName& entry = replay->names[name];
    entry.current = history.empty() ? 0 : history.back().second;
    auto it = durable.find(name);
    entry.durable = it == durable.end() ? 0 : it->second;
  }
  return Status::Ok();
}

}  // namespace powercut::faults
