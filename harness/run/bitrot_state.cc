#include "harness/run/bitrot_state.h"

#include <sys/stat.h>

#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "faults/ledger.h"
#include "faults/replay.h"
#include "harness/protocol/writer_args.h"
#include "harness/run/await_verdict.h"
#include "harness/run/child_process.h"
#include "harness/run/evidence.h"
#include "harness/run/judge_pool.h"
#include "src/atomic_file.h"

namespace fs = std::filesystem;

namespace powercut::harness {
namespace {

// Durable lengths of the store's files, by name relative to the store, from the dead
// writer's ledger. Files it never touched are durable whole (earlier cycles' opens synced
// them, or their loss is a power cut's business, not bit rot's).
Status DurableLengths(const std::string& ledger_dir, const std::string& db_dir,
                      std::map<std::string, uint64_t>* durable) {
  std::vector<faults::LedgerRecord> records;
  Status s = faults::ReadLedger(ledger_dir, &records);
  std::string base;
  if (s.ok()) s = faults::LedgerBase(records, db_dir, faults::LedgerFilePath(ledger_dir), &base);
  faults::Replay replay;
  if (s.ok()) s = faults::ReplayLedger(records, faults::LedgerFilePath(ledger_dir), &replay);
  if (!s.ok()) return s;
  const std::string store = fs::path(db_dir).lexically_relative(base).lexically_normal().string();
  const std::string prefix = store == "." ? "" : store + "/";
  for (const auto& [name, id] : replay.live_names) {
    if (name.rfind(prefix, 0) != 0) continue;
    auto it = replay.inodes.find(id);
    if (it != replay.inodes.end()) (*durable)[name.substr(prefix.size())] = it->second.durable;
  }
  return Status::Ok();
}

// The damaged copy: db/ with the flip, and the chain files a judge reads.
Status BuildDamaged(const BitrotRequest& req, const std::string& image,
                    const std::map<std::string, uint64_t>& durable, faults::RotResult* rot) {
  std::error_code ec;
  fs::remove_all(image, ec);
  Status s = CopyStore(req.chain_dir + "/db", image + "/db", /*link_ssts=*/false);
  if (!s.ok()) return s;
  fs::create_directories(image + "/checkpoints", ec);
  for (const char* name : {"manifest.jsonl", "oracle.bin"}) {
    fs::copy_file(req.chain_dir + "/" + name, image + "/" + name, ec);
    if (ec)
      return Status::IoError("bitrot: cannot copy " + std::string(name) + ": " + ec.message());
  }
  const std::string db = image + "/db";
  auto durable_bytes = [&](const std::string& rel) -> uint64_t {
    auto it = durable.find(rel);
    if (it != durable.end()) return it->second;
    struct stat st;
    return ::stat((db + "/" + rel).c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  };
  if (!req.rot) {  // read faults only: the copy stays as the kill left it
    rot->applied = true;
    return Status::Ok();
  }
  return faults::ApplyBitrot(db, req.target, req.seed, durable_bytes, rot);
}

// RocksDB refused the damage: the judge's open, or its scan, returned an error.
bool Detected(const Verdict& v) {
  if (v.pass || v.classes.size() != 1 || v.classes.count(kUnrecoverable) == 0) return false;
  return v.detail.rfind("open failed:", 0) == 0 || v.detail.rfind("scan failed:", 0) == 0;
}

// One verify-only writer on the copy (a judge server would linger a reap timeout after a
// refused open, which is the common outcome here).
Status JudgeCopy(const BitrotRequest& req, const JudgeJob& job, JudgeOutcome* out) {
  const WriterArgs w = JudgeWriterArgs(job);
  std::unique_ptr<ChildProcess> child;
  Status s =
      ChildProcess::Spawn(req.writer_path, WriterArgv(w), req.work_dir + "/judge.stderr", &child);
  if (!s.ok()) return s;
  std::map<std::string, double> metrics;
  Status harness;
  out->verdict = AwaitVerdict(child.get(), job.lo, job.hi, req.timeout_ms, &out->recovery_ms,
                              &metrics, &harness);
  child->KillAndReap();
  if (!harness.ok())
    return Status::IoError("bitrot: judging the damaged copy: " + harness.message());
  return Status::Ok();
}

Status Keep(const BitrotRequest& req, const JudgeJob& job,
            const std::map<std::string, uint64_t>& durable, BitrotResult* result) {
  const std::string dir = fmt::format("{}/state-{}", req.keep_dir, req.keep_index);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  faults::RotResult again;
  Status s = BuildDamaged(req, dir + "/image", durable, &again);  // the same seed: the same flip
  if (!s.ok()) return s;
  const nlohmann::json doc = {
      {"state", result->state},
      {"region", result->rot.region},
      {"lo", job.lo},
      {"hi", job.hi},
      {"checkpoints", job.checkpoints},
      {"read_error_one_in", job.read_error_one_in},
      {"read_error_seed", job.read_error_seed},
      {"judge_store", nlohmann::json::parse(req.judge_store_json, nullptr, false)},
      {"recovery_timeout_ms", req.timeout_ms},
      {"verdict", result->verdict.ToJson()}};
  s = WriteFileAtomically(dir + "/judge.json", doc.dump(2) + "\n");
  if (s.ok()) result->kept_dir = dir;
  return s;
}

}  // namespace

Status JudgeBitrot(const BitrotRequest& req, BitrotResult* result) {
  *result = BitrotResult();
  std::map<std::string, uint64_t> durable;
  Status s = DurableLengths(req.ledger_dir, req.chain_dir + "/db", &durable);
  const std::string image = req.work_dir + "/image";
  if (s.ok()) s = BuildDamaged(req, image, durable, &result->rot);
  if (!s.ok() || !result->rot.applied) return s;
  const faults::RotResult& rot = result->rot;
  JudgeJob job;
  job.image_dir = image;
  if (req.rot) {
    result->state = fmt::format("bitrot:{}@{}+{}^0x{:02x}", faults::RotTargetName(req.target),
                                rot.file, rot.offset, rot.mask);
    job.lo = req.target == faults::RotTarget::kWalRecord ? req.oldest : req.lo;
  } else {
    result->state = fmt::format("read-faults:1-in-{}#{}", req.read_error_one_in, req.seed);
    job.lo = req.oldest;  // any read may have been the WAL record the recovery stopped at
    job.read_error_one_in = req.read_error_one_in;
    job.read_error_seed = req.seed;
  }
  job.hi = req.hi;
  job.store_json = req.judge_store_json;
  JudgeOutcome out;
  s = JudgeCopy(req, job, &out);
  std::error_code ec;
  fs::remove_all(image, ec);
  if (!s.ok()) return s;
  result->detected = Detected(out.verdict);
  result->verdict = result->detected ? Verdict() : std::move(out.verdict);
  if (result->detected) {
    result->verdict.pass = true;
    result->verdict.lo = job.lo;
    result->verdict.hi = job.hi;
    result->verdict.detail = "damage detected: " + out.verdict.detail;
  }
  if (result->verdict.pass) return Status::Ok();
  return Keep(req, job, durable, result);
}

}  // namespace powercut::harness
