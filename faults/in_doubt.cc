#include "faults/in_doubt.h"

#include <sys/stat.h>

#include <algorithm>

namespace powercut::faults {
namespace {

bool Stat(const std::string& path, struct stat* st) { return ::lstat(path.c_str(), st) == 0; }

bool Exists(const std::string& path) {
  struct stat st;
  return Stat(path, &st);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return Stat(path, &st) && S_ISDIR(st.st_mode);
}

// Whether both paths name one inode; false when either is missing.
bool SameInode(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return Stat(a, &sa) && Stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// No "..", no absolute path: a probe never looks outside the base.
bool Harmless(const std::string& name) {
  return !name.empty() && name.front() != '/' &&
         ("/" + name + "/").find("/../") == std::string::npos;
}

class Probe {
 public:
  Probe(const std::string& base, const std::string& ledger_dir)
      : base_(base), ledger_dir_(ledger_dir) {}

  // Whether the disk shows the call of namespace intent `r` made. Nothing after it changed
  // the tree: it is the last namespace intent, and the writer is dead.
  bool Made(const LedgerRecord& r) const {
    const std::string from = Abs(r.name);
    const std::string to = Abs(r.name2);
    switch (r.kind) {
      case RecordKind::kCreate:  // something at the name, and not the inode it replaced
        return Exists(from) && (r.aux_id == 0 || !SameInode(from, Keep(r.aux_id)));
      case RecordKind::kRename:  // the moved inode (kept before the call) is at its new name
        return Exists(Keep(r.file_id)) ? SameInode(to, Keep(r.file_id)) : !Exists(from);
      case RecordKind::kLink:
        return SameInode(to, from);
      case RecordKind::kDelete:  // the inode (kept before the call) left its name
        return Exists(Keep(r.file_id)) ? !SameInode(from, Keep(r.file_id)) : !Exists(from);
      case RecordKind::kMkdir:
        return IsDirectory(from);
      case RecordKind::kRmdir:
        return !Exists(from);
      case RecordKind::kRenameDir:
        return !IsDirectory(from);
      default:
        return true;
    }
  }

 private:
  std::string Abs(const std::string& rel) const {
    if (rel.empty()) return base_;
    return base_ == "/" ? "/" + rel : base_ + "/" + rel;
  }
  std::string Keep(uint32_t id) const { return KeepPath(ledger_dir_, id); }

  const std::string base_;
  const std::string ledger_dir_;
};

}  // namespace

void DropUnmadeCall(const std::string& base, const std::string& ledger_dir,
                    std::vector<LedgerRecord>* records) {
  auto last = std::find_if(records->rbegin(), records->rend(),
                           [](const LedgerRecord& r) { return IsNamespaceIntent(r.kind); });
  if (last == records->rend()) return;
  // An intent whose call failed is void already: the one before it completed (namespace
  // calls serialize), so nothing is in doubt.
  for (auto it = records->rbegin(); it != last; ++it) {
    if (it->kind == RecordKind::kFailed && it->a == last->ordinal) return;
  }
  if (!Harmless(last->name) || (!last->name2.empty() && !Harmless(last->name2))) return;
  if (!Probe(base, ledger_dir).Made(*last)) records->erase(std::next(last).base());
}

}  // namespace powercut::faults
