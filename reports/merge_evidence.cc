#include "reports/merge_evidence.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "src/atomic_file.h"

namespace fs = std::filesystem;

namespace powercut::reports {
namespace {

// The folder of `shard` among `folders`, or nullptr.
const ShardFolder* FolderOf(const std::vector<ShardFolder>& folders, const std::string& shard) {
  for (const ShardFolder& f : folders) {
    if (f.shard == shard) return &f;
  }
  return nullptr;
}

bool IsReplayLine(const std::string& line) { return line.rfind("powercut replay ", 0) == 0; }

// A shard's replay line pointed at the merged report: its REPORT.json becomes
// MERGED/report.json and `--shard I/N` follows `--cycle N`; the rest (`--state S`, …) stays.
std::string MergedReplayLine(const std::string& line, const std::string& merged_dir,
                             const std::string& shard) {
  const size_t path_at = std::string("powercut replay ").size();
  const size_t path_end = std::min(line.find(' ', path_at), line.size());
  std::string rest = line.substr(path_end);
  const std::string shard_flag = " --shard " + shard;
  const size_t cycle_at = rest.find(" --cycle ");
  if (cycle_at == std::string::npos) {
    rest += shard_flag;
  } else {
    const size_t number_at = cycle_at + std::string(" --cycle ").size();
    rest.insert(std::min(rest.find(' ', number_at), rest.size()), shard_flag);
  }
  return "powercut replay " + merged_dir + "/report.json" + rest;
}

// The shard folder must hold the evidence of each failure the merged report will point at:
// failures/<cycle>/, and its replay.json (when the cycle has one) must be that cycle's.
Status CheckShardEvidence(const ShardFolder& f, const CycleResult& c) {
  const fs::path dir = fs::path(f.dir) / "failures" / std::to_string(c.cycle);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::BadInput(fmt::format(
        "merge: shard {}'s failing cycle {} has no evidence at {}/; give merge the shard's whole "
        "report folder (report.json with its failures/) as the run wrote it",
        c.shard, c.cycle, dir.string()));
  }
  const fs::path file = dir / "replay.json";
  if (!fs::exists(file, ec)) return Status::Ok();  // a cycle whose crash states alone failed
  std::string text;
  nlohmann::json replay;
  if (ReadWholeFile(file.string(), &text).ok())
    replay = nlohmann::json::parse(text, nullptr, false);
  if (replay.is_discarded() || !replay.is_object() || replay.value("cycle", 0ull) != c.cycle) {
    return Status::BadInput(fmt::format(
        "merge: {} is damaged (not the replay.json of cycle {}); give merge the shard's report "
        "folder as the run wrote it",
        file.string(), c.cycle));
  }
  return Status::Ok();
}

// Whether any line of `c` (its own, or one of its failing crash states') is a replay.
bool PointsAtEvidence(const CycleResult& c) {
  if (Failed(c) && IsReplayLine(ReproduceCommand(c))) return true;
  for (const StateFailure& f : c.explored.failures) {
    if (IsReplayLine(f.reproduce)) return true;
  }
  return false;
}

// summary.txt with its reproduce line replaced (appended when it had none).
std::string WithReproduce(const std::string& summary, const std::string& line) {
  std::istringstream in(summary);
  std::string out;
  bool replaced = false;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("reproduce: ", 0) == 0) {
      l = "reproduce: " + line;
      replaced = true;
    }
    out += l + "\n";
  }
  return replaced ? out : out + "\nreproduce: " + line + "\n";
}

// One evidence file, linked or copied, or rewritten when it carries the cycle's line.
Status StageFile(const fs::path& from, const fs::path& to, const std::string* line) {
  const std::string name = from.filename().string();
  if (line != nullptr && (name == "replay.json" || name == "summary.txt")) {
    std::string text;
    Status s = ReadWholeFile(from.string(), &text);
    if (!s.ok()) return s;
    if (name == "summary.txt") return WriteFileAtomically(to.string(), WithReproduce(text, *line));
    nlohmann::json replay = nlohmann::json::parse(text, nullptr, false);
    if (replay.is_discarded() || !replay.is_object()) {
      return Status::Corruption(from.string() + " is not a replay.json; merge the shard again");
    }
    replay["reproduce"] = *line;
    return WriteFileAtomically(to.string(), replay.dump(2) + "\n");
  }
  std::error_code ec;
  fs::create_hard_link(from, to, ec);  // evidence is never written again: a link is a copy
  if (ec) fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::IoError("cannot copy " + from.string() + ": " + ec.message());
  return Status::Ok();
}

// One shard's failures/ into `to`; `lines` are the merged lines by cycle.
Status StageShard(const fs::path& from, const fs::path& to,
                  const std::map<std::string, std::string>& lines) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Status::IoError("cannot create " + to.string() + ": " + ec.message());
  for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::path rel = fs::relative(it->path(), from, ec);
    if (ec) break;
    const fs::path dst = to / rel;
    if (it->is_directory(ec)) {
      fs::create_directories(dst, ec);
      if (ec) return Status::IoError("cannot create " + dst.string() + ": " + ec.message());
      continue;
    }
    // A file right inside failures/<cycle>/ may carry the line; deeper ones (stores) never.
    auto line = std::distance(rel.begin(), rel.end()) == 2 ? lines.find(rel.begin()->string())
                                                           : lines.end();
    Status s = StageFile(it->path(), dst, line != lines.end() ? &line->second : nullptr);
    if (!s.ok()) return s;
  }
  if (ec) return Status::IoError("cannot read " + from.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

bool HasReplayLine(const CycleResult& c) { return Failed(c) && IsReplayLine(ReproduceCommand(c)); }

Status PointReplayLinesAtMerge(const std::vector<ShardFolder>& folders,
                               const std::string& merged_dir, RunResult* merged) {
  for (const CycleResult& c : merged->cycles) {
    if (!Failed(c) || !PointsAtEvidence(c)) continue;
    const ShardFolder* f = FolderOf(folders, c.shard);
    if (f == nullptr) return Status::Internal("merge: no folder for shard " + c.shard);
    if (Status s = CheckShardEvidence(*f, c); !s.ok()) return s;
  }
  for (CycleResult& c : merged->cycles) {
    if (!Failed(c)) continue;
    if (HasReplayLine(c)) c.reproduce = MergedReplayLine(ReproduceCommand(c), merged_dir, c.shard);
    for (StateFailure& f : c.explored.failures) {
      if (IsReplayLine(f.reproduce))
        f.reproduce = MergedReplayLine(f.reproduce, merged_dir, c.shard);
    }
  }
  return Status::Ok();
}

Status StageShardEvidence(const std::vector<ShardFolder>& folders, const RunResult& merged,
                          const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Status::IoError("cannot create " + to + ": " + ec.message());
  for (const ShardFolder& f : folders) {
    const fs::path from = fs::path(f.dir) / "failures";
    if (!fs::is_directory(from, ec)) continue;  // a shard without failures kept none
    std::map<std::string, std::string> lines;
    for (const CycleResult& c : merged.cycles) {
      if (c.shard == f.shard && HasReplayLine(c)) lines[std::to_string(c.cycle)] = c.reproduce;
    }
    Status s = StageShard(from, fs::path(to) / ShardEvidenceFolder(f.shard), lines);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace powercut::reports
