#include "harness/run/evidence.h"

#include <algorithm>
#include <filesystem>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "reports/merge.h"
#include "reports/run_result.h"
#include "src/atomic_file.h"

namespace fs = std::filesystem;

namespace powercut::harness {
namespace {

Status Io(const std::string& what, const std::error_code& ec) {
  return Status::IoError(what + ": " + ec.message());
}

// A copy that failed on a full disk says so, with where and how much: libstdc++'s copy_file
// reports the short write as EIO, which would hide the one thing the user must fix.
Status CopyFailed(const fs::path& from, const fs::path& dst, const std::error_code& ec) {
  std::error_code size_ec, space_ec;
  const uintmax_t need_bytes = fs::file_size(from, size_ec);
  const fs::space_info space = fs::space(dst.parent_path(), space_ec);
  if (size_ec || space_ec || space.available >= need_bytes)
    return Io("cannot copy " + from.string(), ec);
  return Status::IoError(fmt::format(
      "cannot copy {}: No space left on device: the harness needs {} bytes in {} ({} free); "
      "free space there, or give --data-dir a larger disk",
      from.string(), need_bytes, dst.parent_path().string(), space.available));
}

// The shards ("I/N", in shard order) whose evidence a merged report's failures/ holds in
// shard-I-of-N/ folders; empty for a run's own report.
std::vector<std::string> ShardsIn(const fs::path& failures) {
  std::vector<std::pair<uint64_t, std::string>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(failures, ec)) {
    const std::string name = e.path().filename().string();
    const size_t of = name.find("-of-");
    if (name.rfind("shard-", 0) != 0 || of == std::string::npos) continue;
    const std::string shard = name.substr(6, of - 6) + "/" + name.substr(of + 4);
    if (!reports::IsShardName(shard) || reports::ShardEvidenceFolder(shard) != name) continue;
    found.emplace_back(std::stoull(name.substr(6, of - 6)), shard);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [index, shard] : found) out.push_back(std::move(shard));
  return out;
}

// FindEvidence with --shard given.
Status FindShardEvidence(const std::string& report_path, const fs::path& failures, uint64_t cycle,
                         const std::string& shard, std::string* evidence_dir) {
  if (!reports::IsShardName(shard)) {
    return Status::BadInput(fmt::format(
        "--shard {}: not I/N with 1 <= I <= N; give the shard the merged report's reproduce "
        "line names, e.g. --shard 1/2",
        shard));
  }
  std::error_code ec;
  const fs::path folder = failures / reports::ShardEvidenceFolder(shard);
  if (!fs::is_directory(folder, ec)) {
    const std::vector<std::string> shards = ShardsIn(failures);
    if (shards.empty()) {
      return Status::BadInput(fmt::format(
          "--shard {}: {} is not a merged report (it has no {}/); drop --shard to replay a run's "
          "own report",
          shard, report_path, folder.string()));
    }
    return Status::BadInput(fmt::format(
        "--shard {}: {} kept no evidence of that shard (no {}/); give one of {} as the report's "
        "reproduce lines do",
        shard, report_path, folder.string(), fmt::join(shards, ", ")));
  }
  const fs::path dir = folder / std::to_string(cycle);
  if (!fs::is_directory(dir, ec)) {
    return Status::BadInput(fmt::format(
        "no evidence for cycle {} of shard {} at {}/; give a failing cycle of that shard, as the "
        "report's reproduce lines name it",
        cycle, shard, dir.string()));
  }
  *evidence_dir = dir.string();
  return Status::Ok();
}

}  // namespace

Status FindEvidence(const std::string& report_path, uint64_t cycle, const std::string& shard,
                    std::string* evidence_dir) {
  const fs::path failures = fs::path(report_path).parent_path() / "failures";
  if (!shard.empty()) return FindShardEvidence(report_path, failures, cycle, shard, evidence_dir);
  const std::string n = std::to_string(cycle);
  const std::vector<std::string> shards = ShardsIn(failures);
  std::error_code ec;
  if (shards.empty() || fs::is_directory(failures / n, ec)) {
    *evidence_dir = (failures / n).string();  // a run's own report
    return Status::Ok();
  }
  std::vector<std::string> with;
  for (const std::string& s : shards) {
    if (fs::is_directory(failures / reports::ShardEvidenceFolder(s) / n, ec)) with.push_back(s);
  }
  if (with.empty()) {
    return Status::BadInput(fmt::format(
        "no evidence for cycle {} in any shard of merged report {} (failures/shard-I-of-N/{}/); "
        "give a failing cycle and its --shard as the report's reproduce lines do",
        cycle, report_path, cycle));
  }
  if (with.size() > 1) {
    return Status::BadInput(fmt::format(
        "--cycle {} is ambiguous in merged report {}: shards {} each kept a failing cycle {}; "
        "add --shard {} (or another of them) as the report's reproduce lines do",
        cycle, report_path, fmt::join(with, ", "), cycle, with.front()));
  }
  *evidence_dir = (failures / reports::ShardEvidenceFolder(with.front()) / n).string();
  return Status::Ok();
}

Status CopyStore(const std::string& from, const std::string& to, bool link_ssts) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Io("cannot create " + to, ec);
  for (const auto& e : fs::recursive_directory_iterator(from, ec)) {
    const fs::path rel = fs::relative(e.path(), from, ec);
    const fs::path dst = fs::path(to) / rel;
    if (e.is_directory()) {
      fs::create_directories(dst, ec);
    } else if (link_ssts && e.path().extension() == ".sst") {
      fs::create_hard_link(e.path(), dst, ec);
      if (ec) fs::copy_file(e.path(), dst, fs::copy_options::overwrite_existing, ec);
    } else if (e.path().filename() != "LOCK") {
      fs::copy_file(e.path(), dst, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) return CopyFailed(e.path(), dst, ec);
  }
  if (ec) return Io("cannot read " + from, ec);
  return Status::Ok();
}

Status SnapshotChain(const std::string& chain_dir, const std::string& to) {
  std::error_code ec;
  fs::remove_all(to, ec);
  Status s = CopyStore(chain_dir + "/db", to + "/db");
  if (s.ok() && fs::exists(chain_dir + "/checkpoints")) {
    s = CopyStore(chain_dir + "/checkpoints", to + "/checkpoints");
  }
  if (!s.ok()) return s;
  fs::copy_file(chain_dir + "/oracle.bin", to + "/oracle.bin", ec);
  if (ec) return CopyFailed(chain_dir + "/oracle.bin", to + "/oracle.bin", ec);
  // What earlier kills left unsynced (faults/carried_durability.h): a replay cuts from it too.
  const std::string carried = chain_dir + "/durability.json";
  if (fs::exists(carried, ec)) fs::copy_file(carried, to + "/durability.json", ec);
  return ec ? CopyFailed(carried, to + "/durability.json", ec) : Status::Ok();
}

Status KeepEvidence(const EvidenceInput& in, const std::string& dir) {
  std::error_code ec;
  // Everything but states/: the cycle's failing crash states, kept there when it was explored.
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename() != "states") stale.push_back(entry.path());
  }
  for (const fs::path& p : stale) fs::remove_all(p, ec);
  ec.clear();
  fs::create_directories(dir, ec);
  if (ec) return Io("cannot create " + dir, ec);
  fs::rename(in.before_dir, dir + "/before", ec);
  if (ec == std::errc::cross_device_link) {  // the report folder is on another file system
    ec.clear();
    Status copied = CopyStore(in.before_dir, dir + "/before");
    if (!copied.ok()) return copied;
    fs::remove_all(in.before_dir, ec);
  }
  if (ec) return Io("cannot keep the store before the cycle", ec);
  Status s = CopyStore(in.chain_dir + "/db", dir + "/recovered");
  if (s.ok() && fs::exists(in.ledger_dir)) s = CopyStore(in.ledger_dir, dir + "/ledger");
  if (!s.ok()) return s;
  for (const auto& [from, to] : {std::pair{in.chain_dir + "/manifest.jsonl", "manifest.jsonl"},
                                 {in.chain_dir + "/oracle.bin", "oracle.bin"},
                                 {in.writer_stderr, "writer.stderr"},
                                 {in.verifier_stderr, "verifier.stderr"},
                                 {in.chain_dir + "/db/LOG", "LOG"}}) {
    if (fs::exists(from)) fs::copy_file(from, dir + "/" + to, ec);
    if (ec) return CopyFailed(from, dir + "/" + to, ec);
  }
  std::string summary = fmt::format("cycle {} of {}: {}\n\n", in.replay.value("cycle", 0),
                                    in.chain_dir, in.verdict.detail);
  for (const auto& [klass, n] : in.verdict.classes)
    summary += fmt::format("{}: {} keys\n", klass, n);
  summary += "\nkey, class, expected (the oracle at the closest prefix), found (the store):\n";
  for (const Finding& f : in.verdict.findings) {
    summary += fmt::format("{}  {}  expected {}  found {}\n", f.key, f.klass, f.expected, f.found);
  }
  summary += "\nreproduce: " + in.replay.value("reproduce", std::string()) + "\n";
  s = WriteFileAtomically(dir + "/summary.txt", summary);
  if (s.ok()) s = WriteFileAtomically(dir + "/replay.json", in.replay.dump(2) + "\n");
  return s;
}

}  // namespace powercut::harness
