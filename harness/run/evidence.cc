#include "harness/run/evidence.h"

#include <filesystem>

#include <fmt/format.h>

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

}  // namespace

Status CopyStore(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Io("cannot create " + to, ec);
  for (const auto& e : fs::recursive_directory_iterator(from, ec)) {
    const fs::path rel = fs::relative(e.path(), from, ec);
    const fs::path dst = fs::path(to) / rel;
    if (e.is_directory()) {
      fs::create_directories(dst, ec);
    } else if (e.path().extension() == ".sst") {
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
  fs::remove_all(dir, ec);
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
