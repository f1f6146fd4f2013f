#include "harness/run/explorer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/run/judge_pool.h"
#include "src/atomic_file.h"
#include "src/contract.h"

namespace powercut::harness {
namespace {

namespace fs = std::filesystem;

// One image to judge: a planned state, or a duplicate of one judged against its own window.
struct Judgement {
  faults::CrashState state;
  StateWindow window;
  JudgeOutcome outcome;
};

bool Covers(const StateWindow& w, const Verdict& v, const StateWindow& judged) {
  if (!v.pass || v.recovered < w.lo || v.recovered > w.hi) return false;
  return std::includes(judged.checkpoints.begin(), judged.checkpoints.end(), w.checkpoints.begin(),
                       w.checkpoints.end());
}

// TESTS ONLY (ExploreRequest::test_tamper): flips the middle durable byte of the first WAL of
// the image that has one.
Status FlipDurableWalByte(const faults::Trace& trace, const faults::CrashState& state,
                          const std::string& dir) {
  faults::Replay at;
  Status s = trace.ReplayAt(state.event, &at);
  if (!s.ok()) return s;
  const auto& names = state.kind == faults::CrashKind::kProcess ? at.live_names : at.names;
  for (const auto& [name, id] : names) {
    if (id == 0 || faults::ClassifyName(name) != faults::FileClass::kWal) continue;
    const uint64_t durable = at.inodes.at(id).durable;
    if (durable < 64) continue;
    std::fstream f(dir + "/" + name, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(durable / 2));
    const char c = static_cast<char>(f.get() ^ 0x5A);
    f.seekp(static_cast<std::streamoff>(durable / 2));
    f.put(c);
    return f ? Status::Ok() : Status::IoError("cannot tamper with " + dir + "/" + name);
  }
  return Status::Ok();
}

// Judges `judgements` side by side, each in its own image under scratch/.
Status JudgeAll(const ExploreRequest& req, const faults::Trace& trace,
                std::vector<Judgement>* judgements, ExploreResult* result) {
  JudgePool pool(req.writer_path, req.judges, req.timeout_ms, req.scratch_dir);
  std::mutex mu;
  auto prepare = [&](size_t i, JudgeJob* job) {
    const Judgement& j = (*judgements)[i];
    job->image_dir = fmt::format("{}/s-{}", req.scratch_dir, i);
    job->lo = j.window.lo;
    job->hi = j.window.hi;
    job->checkpoints = j.window.checkpoints;
    job->store_json = req.judge_store_json;
    Status s = BuildJudgeImage(trace, j.state, req.chain_dir, job->image_dir, false);
    if (s.ok() && req.test_tamper) s = FlipDurableWalByte(trace, j.state, job->image_dir);
    return s;
  };
  auto done = [&](size_t i, const JudgeJob& job, JudgeOutcome out) {
    std::error_code ec;
    fs::remove_all(job.image_dir, ec);  // a failing state is rebuilt untouched to be kept
    std::lock_guard<std::mutex> lock(mu);
    result->build_ms += out.build_ms;
    result->open_ms += out.recovery_ms;
    result->judge_ms += out.judge_ms;
    (*judgements)[i].outcome = std::move(out);
  };
  pool.Run(judgements->size(), prepare, done, req.stop);
  for (const Judgement& j : *judgements) {
    if (!j.outcome.harness_error.empty()) {
      return Status::IoError(fmt::format("exploring {}: {}", faults::CrashStateName(j.state),
                                         j.outcome.harness_error));
    }
  }
  result->judged += judgements->size();
  return Status::Ok();
}

// Keeps a failing state's image, untouched by any open, with what a replay needs to judge it.
Status KeepFailure(const ExploreRequest& req, const faults::Trace& trace, const Judgement& j,
                   size_t k, ExploredFailure* failure) {
  const std::string dir = fmt::format("{}/state-{}", req.keep_dir, k);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(req.keep_dir, ec);
  Status s = BuildJudgeImage(trace, j.state, req.chain_dir, dir + "/image", true);
  if (!s.ok()) return s;
  const nlohmann::json doc = {
      {"state", faults::CrashStateName(j.state)},
      {"lo", j.window.lo},
      {"hi", j.window.hi},
      {"checkpoints", j.window.checkpoints},
      {"judge_store", nlohmann::json::parse(req.judge_store_json, nullptr, false)},
      {"recovery_timeout_ms", req.timeout_ms},
      {"verdict", j.outcome.verdict.ToJson()}};
  s = WriteFileAtomically(dir + "/judge.json", doc.dump(2) + "\n");
  if (s.ok()) failure->kept_dir = dir;
  return s;
}

}  // namespace

StateWindow WindowOf(const ExploreRequest& req, const faults::Trace& trace, uint64_t event,
                     faults::CrashKind kind) {
  const faults::OpsAt at = faults::OpBoundariesAt(trace, event);
  const uint64_t r = req.recovered;
  const uint64_t acked = std::max(at.acked, r);
  StateWindow w;
  w.hi = std::max({at.issued, acked, r});
  const Contract contract =
      ContractFor(kind == faults::CrashKind::kProcess ? Fault::kKill : Fault::kPowerCut, req.store,
                  req.expect_acked);
  const Durability d =
      DurableAfter(contract, *req.ops, RecoveredReach(r, req.on_disk), r + 1, acked);
  w.lo = d.lo;
  w.checkpoints = d.checkpoints;
  std::sort(w.checkpoints.begin(), w.checkpoints.end());
  return w;
}

Status BuildJudgeImage(const faults::Trace& trace, const faults::CrashState& state,
                       const std::string& chain_dir, const std::string& dir,
                       bool copy_chain_files) {
  faults::Replay at;
  Status s = trace.ReplayAt(state.event, &at);
  if (s.ok()) s = trace.BuildImage(state, at, dir, nullptr, !copy_chain_files);
  if (!s.ok()) return s;
  for (const char* name : {"manifest.jsonl", "oracle.bin"}) {
    const std::string from = chain_dir + "/" + name, to = dir + "/" + name;
    std::error_code ec;
    if (copy_chain_files) {
      fs::copy_file(from, to, ec);
    } else {
      fs::create_hard_link(from, to, ec);
    }
    if (ec) return Status::IoError("crash image: cannot place " + to + ": " + ec.message());
  }
  return Status::Ok();
}

Status Explore(const ExploreRequest& req, ExploreResult* result) {
  *result = ExploreResult();
  const auto start = std::chrono::steady_clock::now();
  faults::Trace trace;
  Status s = faults::Trace::Load(req.ledger_dir, req.chain_dir + "/db", &trace);
  std::vector<faults::PlannedState> plan;
  if (s.ok()) s = faults::PlanCrashStates(trace, req.limits, &plan, &result->plan);
  if (!s.ok()) return s;
  std::error_code ec;
  fs::remove_all(req.scratch_dir, ec);
  fs::create_directories(req.scratch_dir, ec);
  if (ec) return Status::IoError("cannot create " + req.scratch_dir + ": " + ec.message());

  std::vector<Judgement> first;
  for (const faults::PlannedState& p : plan) {
    first.push_back({p.state, WindowOf(req, trace, p.state.event, p.state.kind), {}});
  }
  s = JudgeAll(req, trace, &first, result);
  // Duplicates: the same bytes, each with its own window. A PASS whose recovered point lies
  // in a duplicate's window settles it; any other duplicate is judged on its own.
  std::vector<Judgement> again;
  for (size_t i = 0; s.ok() && i < plan.size(); ++i) {
    for (const faults::CrashState& dup : plan[i].duplicates) {
      StateWindow w = WindowOf(req, trace, dup.event, dup.kind);
      if (Covers(w, first[i].outcome.verdict, first[i].window)) {
        result->settled++;
        result->passed++;
      } else {
        again.push_back({dup, std::move(w), {}});
      }
    }
  }
  if (s.ok() && !again.empty()) s = JudgeAll(req, trace, &again, result);
  if (s.ok()) first.insert(first.end(), again.begin(), again.end());
  for (size_t i = 0; s.ok() && i < first.size(); ++i) {
    const Verdict& v = first[i].outcome.verdict;
    if (v.pass) {
      result->passed++;
      continue;
    }
    for (const auto& [klass, n] : v.classes) result->classes[klass]++;
    ExploredFailure f{faults::CrashStateName(first[i].state), first[i].window, v, ""};
    if (!req.keep_dir.empty() && result->failures.size() < req.keep_max) {
      s = KeepFailure(req, trace, first[i], result->failures.size(), &f);
    }
    result->failures.push_back(std::move(f));
  }
  fs::remove_all(req.scratch_dir, ec);
  result->wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace powercut::harness
