#include "faults/place_names.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>
#include <vector>

#include "faults/ledger.h"

namespace powercut::faults {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError("power cut: " + what + " " + path + ": " + std::strerror(errno));
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

size_t Depth(const std::string& path) { return std::count(path.begin(), path.end(), '/'); }

bool SameInode(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::lstat(a.c_str(), &sa) == 0 && ::lstat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Replaces the prefix `from` of every live path at or under it with `to`: moving a directory
// on disk moves the directories inside it.
void Relocate(std::vector<std::string>* live, const std::string& from, const std::string& to) {
  for (std::string& path : *live) {
    if (path == from || (path.size() > from.size() && path.compare(0, from.size(), from) == 0 &&
                         path[from.size()] == '/')) {
      path = to + path.substr(from.size());
    }
  }
}

class Placer {
 public:
  Placer(const Replay& replay, const std::string& ledger_dir, const std::string& base,
         const std::string& ledger_path, CutStats* stats)
      : replay_(replay),
        ledger_dir_(ledger_dir),
        base_(base),
        ledger_path_(ledger_path),
        staging_(ledger_dir + "/cut-staging"),
        stats_(stats) {}

  Status Run(std::map<uint32_t, std::string>* final_paths) {
    Status s = PlanFiles(final_paths);
    if (s.ok()) s = StageSources();
    if (s.ok()) s = PlaceDirs();
    if (s.ok()) s = RemoveLostDirs();
    if (s.ok()) s = PlaceFiles();
    std::error_code ec;
    if (staged_) std::filesystem::remove_all(staging_, ec);
    return s;
  }

 private:
  std::string Abs(const std::string& rel) const {
    if (rel.empty()) return base_;
    return base_ == "/" ? "/" + rel : base_ + "/" + rel;
  }

  // Which names need work. A name whose directory stays put and that already points to its
  // durable inode is left alone: a store of thousands of files costs no link each cut.
  Status PlanFiles(std::map<uint32_t, std::string>* final_paths) {
    std::set<std::string> still;  // directories (and roots) that do not move
    still.insert(replay_.roots.begin(), replay_.roots.end());
    for (const ReplayedDir& dir : replay_.dirs) {
      if (!dir.durable.empty() && dir.durable == dir.current) still.insert(dir.durable);
    }
    for (const auto& [name, id] : replay_.names) {
      const std::string path = Abs(name);
      if (id == 0) {
        remove_.push_back(path);
        continue;
      }
      final_paths->emplace(id, path);
      std::string source = KeepPath(ledger_dir_, id);
      if (!Exists(source)) {
        auto it = replay_.current.find(id);
        source = it == replay_.current.end() ? std::string() : Abs(it->second);
      }
      if (source.empty() || !Exists(source)) {
        return Status::Corruption("ledger " + ledger_path_ + ": file " + std::to_string(id) +
                                  " (durably '" + name + "') is neither in keep/ nor in " + base_);
      }
      if (still.count(ParentOf(name)) != 0 && SameInode(path, source)) continue;
      place_.emplace_back(path, id);
      sources_.emplace(id, source);
    }
    return Status::Ok();
  }

  Status EnsureStaging() {
    if (staged_) return Status::Ok();
    std::error_code ec;
    std::filesystem::remove_all(staging_, ec);
    std::filesystem::create_directories(staging_, ec);
    if (ec) return Status::IoError("power cut: cannot create " + staging_ + ": " + ec.message());
    staged_ = true;
    return Status::Ok();
  }

  // Every source is linked aside before anything moves: a source may be a name about to be
  // removed or replaced, or inside a directory about to move.
  Status StageSources() {
    if (sources_.empty()) return Status::Ok();
    Status s = EnsureStaging();
    if (!s.ok()) return s;
    for (const auto& [id, source] : sources_) {
      const std::string staged = staging_ + "/" + std::to_string(id);
      if (::link(source.c_str(), staged.c_str()) != 0) return Errno("cannot stage", source);
    }
    return Status::Ok();
  }

  // Parents first, each surviving directory to its durable path: renamed back when the
  // rename did not survive, made anew when its removal did not.
  Status PlaceDirs() {
    const auto& dirs = replay_.dirs;
    live_.resize(dirs.size());
    std::vector<size_t> order;
    for (size_t i = 0; i < dirs.size(); ++i) {
      const std::string current = dirs[i].current.empty() ? "" : Abs(dirs[i].current);
      live_[i] = !current.empty() && IsDirectory(current) ? current : "";
      if (!dirs[i].durable.empty()) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return std::make_pair(Depth(dirs[a].durable), dirs[a].durable) <
             std::make_pair(Depth(dirs[b].durable), dirs[b].durable);
    });
    for (size_t i : order) {
      const std::string target = Abs(dirs[i].durable);
      if (live_[i] == target) continue;
      Status s = EnsureStaging();
      if (!s.ok()) return s;
      if (Exists(target)) {  // whatever holds the name now does not durably: out of the way
        const std::string aside = staging_ + "/aside-" + std::to_string(asides_++);
        if (::rename(target.c_str(), aside.c_str()) != 0) return Errno("cannot move aside", target);
        Relocate(&live_, target, aside);
      }
      std::error_code ec;
      std::filesystem::create_directories(ParentOf(target), ec);
      if (!live_[i].empty()) {
        if (::rename(live_[i].c_str(), target.c_str()) != 0) return Errno("cannot move", live_[i]);
        Relocate(&live_, live_[i], target);
      } else if (::mkdir(target.c_str(), 0755) != 0) {
        return Errno("cannot recreate", target);
      }
      live_[i] = target;
      stats_->dirs_restored++;
    }
    return Status::Ok();
  }

  // A directory whose entry did not survive is gone, with everything in it: outer ones first.
  Status RemoveLostDirs() {
    std::vector<std::string> lost;
    for (size_t i = 0; i < replay_.dirs.size(); ++i) {
      if (replay_.dirs[i].durable.empty() && !live_[i].empty()) lost.push_back(live_[i]);
    }
    std::sort(lost.begin(), lost.end(),
              [](const std::string& a, const std::string& b) { return Depth(a) < Depth(b); });
    for (const std::string& path : lost) {
      if (!Exists(path)) continue;  // inside one removed before
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
      if (ec) return Status::IoError("power cut: cannot remove " + path + ": " + ec.message());
      stats_->dirs_removed++;
    }
    return Status::Ok();
  }

  Status PlaceFiles() {
    for (const std::string& path : remove_) {
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
      if (::unlink(path.c_str()) != 0) return Errno("cannot remove", path);
      stats_->files_removed++;
    }
    for (const auto& [path, id] : place_) {
      const std::string staged = staging_ + "/" + std::to_string(id);
      if (SameInode(path, staged)) continue;  // its directory moved back with it
      if (Exists(path) && ::unlink(path.c_str()) != 0) return Errno("cannot replace", path);
      std::error_code ec;
      std::filesystem::create_directories(ParentOf(path), ec);
      if (::link(staged.c_str(), path.c_str()) != 0) return Errno("cannot restore", path);
      stats_->files_restored++;
    }
    return Status::Ok();
  }

  const Replay& replay_;
  const std::string ledger_dir_;
  const std::string base_;
  const std::string ledger_path_;
  const std::string staging_;
  CutStats* stats_;
  bool staged_ = false;
  int asides_ = 0;
  std::vector<std::string> remove_;
  std::vector<std::pair<std::string, uint32_t>> place_;
  std::map<uint32_t, std::string> sources_;
  std::vector<std::string> live_;  // where each of replay_.dirs is on disk now ("": nowhere)
};

}  // namespace

Status PlaceNames(const Replay& replay, const std::string& ledger_dir, const std::string& base,
                  const std::string& ledger_path, std::map<uint32_t, std::string>* final_paths,
                  CutStats* stats) {
  return Placer(replay, ledger_dir, base, ledger_path, stats).Run(final_paths);
}

}  // namespace powercut::faults
