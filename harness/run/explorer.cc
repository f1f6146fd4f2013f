#include "harness/run/explorer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "faults/crash_narrative.h"
#include "faults/state_features.h"
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
  std::string features;  // faults::StateFeatures::Key
};

// Features of the trace's states, as the coverage of a search counts them.
class Featurizer {
 public:
  Featurizer(const ExploreRequest& req, const faults::Trace& trace) : trace_(trace), index_(trace) {
    for (const auto& [name, value] : req.store.options) {
      if (name == "wal_recovery_mode") context_.recovery_mode = faults::RecoveryModeFeature(value);
    }
    context_.option_changed = req.option_changed;
    context_.ops = req.ops;
  }
  // The key of `state`, or "" when its event does not replay (the build then reports why).
  std::string KeyOf(const faults::CrashState& state) const {
    faults::Replay at;
    if (!trace_.ReplayAt(state.event, &at).ok()) return "";
    return index_.Of(state, at, context_).Key();
  }

 private:
  const faults::Trace& trace_;
  faults::FeatureIndex index_;
  faults::StateContext context_;
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
// Concurrent writers: the trace's real-time order, saved once by Explore for every judge of
// the trace; empty with one thread.
std::string InFlightPath(const ExploreRequest& req) {
  return req.threads > 1 ? req.scratch_dir + "/in-flight.txt" : "";
}

Status JudgeAll(const ExploreRequest& req, const faults::Trace& trace,
                std::vector<Judgement>* judgements, ExploreResult* result) {
  JudgePool pool(req.writer_path, req.judges, req.timeout_ms, req.scratch_dir);
  const std::string in_flight = InFlightPath(req);
  std::mutex mu;
  auto prepare = [&](size_t i, JudgeJob* job) {
    const Judgement& j = (*judgements)[i];
    job->image_dir = fmt::format("{}/s-{}", req.scratch_dir, i);
    job->lo = j.window.lo;
    job->hi = j.window.hi;
    job->checkpoints = j.window.checkpoints;
    job->required = j.window.required;
    job->in_flight = in_flight;
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
  // Its event as a crash point counts it (`event:N`), for a rerun of the writer from scratch.
  uint64_t writing_event = 0;
  for (const faults::WritingEvent& e : faults::WritingEvents(trace.records())) {
    writing_event += e.ordinal <= j.state.event ? 1 : 0;
  }
  const nlohmann::json doc = {
      {"state", faults::CrashStateName(j.state)},
      {"writing_event", writing_event},
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

// Duplicates: the same bytes, each with its own window. A PASS whose recovered point lies in a
// duplicate's window settles it; any other duplicate is judged on its own (appended).
Status JudgeDuplicates(const ExploreRequest& req, const faults::Trace& trace,
                       const Featurizer& features, const std::vector<faults::PlannedState>& plan,
                       std::vector<Judgement>* judged, ExploreResult* result) {
  std::vector<Judgement> again;
  for (size_t i = 0; i < plan.size(); ++i) {
    for (const faults::CrashState& dup : plan[i].duplicates) {
      StateWindow w = WindowOf(req, trace, dup.event, dup.kind);
      std::string key = features.KeyOf(dup);
      if (Covers(w, (*judged)[i].outcome.verdict, (*judged)[i].window)) {
        result->settled++;
        result->passed++;
        result->coverage[key]++;
      } else {
        again.push_back({dup, std::move(w), {}, std::move(key)});
      }
    }
  }
  Status s = again.empty() ? Status::Ok() : JudgeAll(req, trace, &again, result);
  judged->insert(judged->end(), again.begin(), again.end());
  return s;
}

bool SameFailure(const Verdict& a, const Verdict& b) {
  if (a.pass || b.pass) return false;
  for (const auto& [klass, n] : a.classes) {
    if (b.classes.count(klass) != 0) return true;
  }
  return false;
}

// Shrinks `failing` to the smallest state like it: first the fewest files whose unsynced
// bytes differ from drop, then the earliest crash point, keeping each step that still fails
// with a class of the original. At most req.minimize_judges images are judged.
Status Minimize(const ExploreRequest& req, const faults::Trace& trace, const Featurizer& features,
                const Judgement& failing, Judgement* smallest, ExploreResult* result) {
  *smallest = failing;
  uint32_t budget = req.minimize_judges;
  auto fails = [&](const faults::CrashState& state) -> Status {
    budget--;
    std::vector<Judgement> one = {
        {state, WindowOf(req, trace, state.event, state.kind), {}, features.KeyOf(state)}};
    Status s = JudgeAll(req, trace, &one, result);
    if (!s.ok()) return s;
    result->coverage[one[0].features]++;  // judged like any other state
    if (SameFailure(one[0].outcome.verdict, failing.outcome.verdict)) *smallest = one[0];
    return Status::Ok();
  };
  std::vector<uint32_t> ids;
  for (const auto& [id, fate] : failing.state.fates) ids.push_back(id);
  for (size_t i = 0; i < ids.size() && budget > 0; ++i) {
    faults::CrashState fewer = smallest->state;
    fewer.fates.erase(ids[i]);
    if (Status s = fails(fewer); !s.ok()) return s;
  }
  std::vector<uint64_t> earlier;
  for (uint64_t p : faults::CrashPointsOf(trace, req.limits)) {
    if (p < smallest->state.event) earlier.push_back(p);
  }
  // Evenly spaced from the first point on: the earliest that fails wins.
  const size_t tries_left = std::min<size_t>(budget, earlier.size());
  for (size_t k = 0; k < tries_left; ++k) {
    faults::CrashState at = smallest->state;
    at.event = earlier[k * earlier.size() / tries_left];
    if (at.event >= smallest->state.event) break;
    const uint64_t before = smallest->state.event;
    if (Status s = fails(at); !s.ok()) return s;
    if (smallest->state.event != before) break;
  }
  return Status::Ok();
}

// The narrative of a failing state, with what the store recovered instead.
std::string Narrative(const faults::Trace& trace, const Judgement& j, const std::string& from) {
  faults::Replay at;
  if (!trace.ReplayAt(j.state.event, &at).ok()) return "";
  const Verdict& v = j.outcome.verdict;
  std::string out = faults::NarrateCrashState(trace, j.state, at);
  // A store that never opened holds nothing to compare: say why it did not.
  const bool opened = !v.classes.contains(kUnrecoverable) && !v.classes.contains(kRecoveryHang);
  out += fmt::format("; the contract allows ops {}..{}, ", j.window.lo, j.window.hi);
  if (!opened) {
    out += "the store did not recover: " + v.detail;
  } else if (v.mismatches > 0 || v.recovered < j.window.lo) {
    out += fmt::format("the store holds op {} with {} keys wrong", v.recovered, v.mismatches);
  } else {
    out += "the store holds " + v.detail;
  }
  if (!from.empty()) out = "smallest failing state, shrunk from " + from + ": " + out;
  return out;
}

}  // namespace

StateWindow WindowOf(const ExploreRequest& req, const faults::Trace& trace, uint64_t event,
                     faults::CrashKind kind) {
  const faults::OpsAt at = faults::OpBoundariesAt(trace, event);
  const uint64_t r = req.recovered;
  AckedOps acked(std::max(at.acked, r));
  for (uint64_t op : at.acked_above) acked.Add(op);
  StateWindow w;
  w.hi = std::max({at.issued, acked.highest(), r});
  const Contract contract =
      ContractFor(kind == faults::CrashKind::kProcess ? Fault::kKill : Fault::kPowerCut, req.store,
                  req.expect_acked);
  const Durability d =
      DurableAfter(contract, *req.ops, RecoveredReach(r, req.on_disk), r + 1, acked, req.threads);
  w.lo = d.lo;
  w.required = d.required;
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
  if (!InFlightPath(req).empty()) {
    s = trace.in_flight().Save(InFlightPath(req));
    if (!s.ok()) return s;
  }

  const Featurizer features(req, trace);
  std::vector<Judgement> judged;
  for (const faults::PlannedState& p : plan) {
    judged.push_back(
        {p.state, WindowOf(req, trace, p.state.event, p.state.kind), {}, features.KeyOf(p.state)});
  }
  s = JudgeAll(req, trace, &judged, result);
  if (s.ok()) s = JudgeDuplicates(req, trace, features, plan, &judged, result);
  std::vector<const Judgement*> failing;
  for (const Judgement& j : judged) {
    result->coverage[j.features]++;
    if (j.outcome.verdict.pass) {
      result->passed++;
      continue;
    }
    for (const auto& [klass, n] : j.outcome.verdict.classes) result->classes[klass]++;
    failing.push_back(&j);
  }
  Judgement smallest;
  if (s.ok() && !failing.empty() && req.minimize_judges > 0) {
    s = Minimize(req, trace, features, *failing.front(), &smallest, result);
    if (s.ok() && !(smallest.state == failing.front()->state))
      failing.insert(failing.begin(), &smallest);
  }
  for (size_t i = 0; s.ok() && i < failing.size(); ++i) {
    const Judgement& j = *failing[i];
    ExploredFailure f{faults::CrashStateName(j.state),
                      j.window,
                      j.outcome.verdict,
                      "",
                      Narrative(trace, j,
                                i == 0 && failing.size() > 1 && &j == &smallest
                                    ? faults::CrashStateName(failing[1]->state)
                                    : ""),
                      j.features};
    if (!req.keep_dir.empty() && result->failures.size() < req.keep_max) {
      s = KeepFailure(req, trace, j, result->failures.size(), &f);
    }
    result->failures.push_back(std::move(f));
  }
  fs::remove_all(req.scratch_dir, ec);
  result->wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace powercut::harness
