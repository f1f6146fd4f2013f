#include "harness/cli/replay_state.h"

#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/cli/subcommand.h"
#include "harness/run/controller.h"
#include "harness/run/data_dir.h"
#include "harness/run/judge_pool.h"
#include "src/atomic_file.h"

namespace fs = std::filesystem;

namespace powercut::harness {
namespace {

int Bad(const std::string& what) {
  fmt::print(stderr, "powercut: {}\n", what);
  return kExitBadInput;
}

}  // namespace

bool FindKeptState(const fs::path& states, const std::string& state, fs::path* dir,
                   nlohmann::json* doc, std::vector<std::string>* names) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(states, ec)) {
    std::string text;
    if (!ReadWholeFile((entry.path() / "judge.json").string(), &text).ok()) continue;
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("state")) continue;
    const std::string name = j.value("state", "");
    names->push_back(name);
    if (name == state || entry.path().filename() == state) {
      *dir = entry.path();
      *doc = std::move(j);
      return true;
    }
  }
  return false;
}

namespace {

std::set<std::string> ClassesOf(const nlohmann::json& verdict) {
  std::set<std::string> out;
  for (const auto& [k, n] : verdict.at("classes").items()) out.insert(k);
  return out;
}

std::string Join(const std::set<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

int ReplayStateCommand(const std::string& evidence_dir, const std::string& state,
                       const std::string& work_dir, const std::string& writer_path) {
  fs::path dir;
  nlohmann::json doc;
  std::vector<std::string> names;
  if (!FindKeptState(fs::path(evidence_dir) / "states", state, &dir, &doc, &names)) {
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    return Bad(fmt::format("no kept crash state '{}' in {}/states; give one the report names{}",
                           state, evidence_dir, known.empty() ? "" : " (" + known + ")"));
  }
  Status s = CheckOwnedDir(work_dir, "--work-dir");
  if (s.ok()) s = PrepareOwnedDir(work_dir, {"state"});
  if (!s.ok()) return Bad(s.message());
  const std::string image = work_dir + "/state";
  std::error_code ec;
  fs::copy(dir / "image", image, fs::copy_options::recursive, ec);
  if (ec)
    return Bad(fmt::format("cannot copy {}/image to {}: {}", dir.string(), image, ec.message()));
  JudgeJob job;
  nlohmann::json kept;
  int64_t timeout_ms = 20'000;
  try {
    job.image_dir = image;
    job.lo = doc.at("lo").get<uint64_t>();
    job.hi = doc.at("hi").get<uint64_t>();
    job.checkpoints = doc.at("checkpoints").get<std::vector<uint64_t>>();
    job.store_json = doc.at("judge_store").dump();
    job.read_error_one_in = doc.value("read_error_one_in", uint64_t{0});
    job.read_error_seed = doc.value("read_error_seed", uint64_t{0});
    timeout_ms = doc.value("recovery_timeout_ms", timeout_ms);
    kept = doc.at("verdict");
    ClassesOf(kept);
  } catch (const std::exception& e) {
    return Bad(fmt::format("{}/judge.json is damaged: {}", dir.string(), e.what()));
  }
  fmt::print("judging crash state {} again from {} (ops {}..{})\n", doc.value("state", state),
             (dir / "image").string(), job.lo, job.hi);
  const JudgeOutcome out = JudgePool(writer_path, 1, timeout_ms).JudgeOne(job);
  if (!out.harness_error.empty()) return Bad(out.harness_error);
  const Verdict& v = out.verdict;
  std::set<std::string> now;
  for (const auto& [k, n] : v.classes) now.insert(k);
  fmt::print("{} {}: {}{}\n", v.pass ? "PASS" : "FAIL", image, v.detail,
             now.empty() ? "" : " [" + Join(now) + "]");
  const bool was_pass = kept.at("pass").get<bool>();
  if (v.pass == was_pass && now == ClassesOf(kept)) {
    fmt::print("replay agrees with the report: {}\n", v.pass ? "PASS" : "FAIL " + Join(now));
    return kExitPass;
  }
  fmt::print("replay disagrees with the report: it said {} {}, the replay says {} {}\n",
             was_pass ? "PASS" : "FAIL", Join(ClassesOf(kept)), v.pass ? "PASS" : "FAIL",
             Join(now));
  return kExitFail;
}

}  // namespace powercut::harness
