#include "harness/cli/rerun_state.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "faults/crash_image.h"
#include "harness/cli/replay_state.h"
#include "harness/protocol/writer_args.h"
#include "harness/run/await_verdict.h"
#include "harness/run/controller.h"
#include "harness/run/data_dir.h"
#include "harness/run/evidence.h"
#include "harness/run/explorer.h"
#include "harness/run/judge_pool.h"
#include "harness/run/writer_progress.h"
#include "src/atomic_file.h"
#include "src/chain_manifest.h"
#include "workloads/generator.h"

namespace fs = std::filesystem;

namespace powercut::harness {
namespace {

constexpr int64_t kWriteTimeoutMs = 120'000;  // a rerun whose crash point never comes is ended

int Bad(const std::string& what) {
  fmt::print(stderr, "powercut: {}\n", what);
  return kExitBadInput;
}

Status ReadJson(const std::string& path, nlohmann::json* doc) {
  std::string text;
  Status s = ReadWholeFile(path, &text);
  if (!s.ok()) return s;
  *doc = nlohmann::json::parse(text, nullptr, false);
  return doc->is_object() ? Status::Ok() : Status::BadInput(path + " is not a JSON object");
}

// What every rerun shares: the kept state, how the cycle's writer was started, the op stream.
struct Rerun {
  fs::path states;
  nlohmann::json state_doc;  // the kept state's judge.json
  nlohmann::json rerun;      // states/rerun.json
  faults::CrashState state;
  std::string header_line;  // the chain manifest's header
  ChainHeader header;
  std::unique_ptr<workloads::OpGenerator> ops;
};

Status LoadRerun(const std::string& evidence_dir, const std::string& state, Rerun* r) {
  r->states = fs::path(evidence_dir) / "states";
  fs::path dir;
  std::vector<std::string> names;
  if (!FindKeptState(r->states, state, &dir, &r->state_doc, &names)) {
    return Status::BadInput("no kept crash state '" + state + "' in " + r->states.string());
  }
  Status s = ReadJson((r->states / "rerun.json").string(), &r->rerun);
  if (s.ok()) s = faults::ParseCrashState(r->state_doc.value("state", ""), &r->state);
  std::vector<nlohmann::json> entries;
  const std::string manifest = (r->states / "manifest.jsonl").string();
  if (s.ok()) s = ChainManifest::Load(manifest, &r->header, &entries);
  if (!s.ok() || !r->state_doc.contains("writing_event") || !fs::exists(r->states / "before/db")) {
    return Status::BadInput("the rerun evidence in " + r->states.string() +
                            " is incomplete (rerun.json, manifest.jsonl, before/ or the state's "
                            "writing_event); --state alone still judges the kept image");
  }
  std::ifstream in(manifest);
  std::getline(in, r->header_line);
  workloads::WorkloadSpec spec;
  s = workloads::WorkloadSpec::FromJson(r->header.workload, &spec);
  if (s.ok()) r->ops = std::make_unique<workloads::OpGenerator>(r->header.seed, spec);
  return s;
}

// The chain as it was before the cycle, in `chain`.
Status RestoreChain(const Rerun& r, const std::string& chain, WriterArgs* w) {
  const fs::path before = r.states / "before";
  Status s = CopyStore((before / "db").string(), chain + "/db");
  if (s.ok() && fs::exists(before / "checkpoints")) {
    s = CopyStore((before / "checkpoints").string(), chain + "/checkpoints");
  }
  std::error_code ec;
  if (s.ok()) fs::copy_file(before / "oracle.bin", chain + "/oracle.bin", ec);
  if (s.ok() && fs::exists(before / "durability.json")) {
    fs::copy_file(before / "durability.json", chain + "/durability.json", ec);
    w->carried_durability = chain + "/durability.json";
  }
  if (s.ok() && ec) s = Status::IoError("cannot restore " + chain + ": " + ec.message());
  if (s.ok()) s = WriteFileAtomically(chain + "/manifest.jsonl", r.header_line + "\n");
  return s;
}

// One rerun: "" and *reproduced when it ran, else why it could not be judged.
std::string RunOnce(const Rerun& r, const std::string& chain, const std::string& writer_path,
                    Verdict* verdict) {
  WriterArgs w;
  Status s = RestoreChain(r, chain, &w);
  if (!s.ok()) return s.message();
  w.chain_dir = chain;
  w.store_json = r.rerun.at("store").dump();
  w.lo = r.rerun.at("verify_lo").get<uint64_t>();
  w.hi = r.rerun.at("verify_hi").get<uint64_t>();
  w.checkpoints = r.rerun.at("verify_checkpoints").get<std::vector<uint64_t>>();
  w.ledger_dir = chain + "/ledger";
  // The same injected I/O error: the writing reaches the state's event the way the cycle did.
  w.io_error = r.rerun.value("io_error", std::string());
  w.io_error_retries = r.rerun.value("io_error_retries", uint32_t{0});
  const uint64_t nth = r.state_doc.at("writing_event").get<uint64_t>();
  w.crash_at = fmt::format("event:{}", nth);
  const int64_t timeout_ms = r.rerun.value("recovery_timeout_ms", int64_t{20'000});
  std::unique_ptr<ChildProcess> child;
  s = ChildProcess::Spawn(writer_path, WriterArgv(w), chain + "/writer.stderr", &child);
  if (!s.ok()) return s.message();
  double recovery_ms = 0;
  std::map<std::string, double> metrics;
  Status harness;
  const Verdict before =
      AwaitVerdict(child.get(), w.lo, w.hi, timeout_ms, &recovery_ms, &metrics, &harness);
  if (!harness.ok()) return harness.message();
  if (!before.pass) return "the store before the cycle no longer verifies: " + before.detail;
  WriterProgress progress(before.recovered);
  std::string line;
  while (!progress.done && child->ReadLine(&line, kWriteTimeoutMs) == ChildProcess::Read::kLine) {
    progress.Absorb(line);
  }
  child->KillAndReap();
  faults::Trace trace;
  s = faults::Trace::Load(w.ledger_dir, chain + "/db", &trace);
  if (!s.ok()) return s.message();
  // The n-th file-system event of the writing, moved over the op boundaries after it.
  faults::CrashState state = r.state;
  uint64_t ordinal = 0;
  if (!faults::NthWritingEvent(faults::WritingEvents(trace.records()), faults::EventKind::kAnyEvent,
                               nth, &ordinal)) {
    return fmt::format("the writer stopped before event {}", nth);
  }
  const auto& records = trace.records();
  size_t at = 0;
  while (records[at].ordinal != ordinal) ++at;
  while (at + 1 < records.size() && faults::IsMarker(records[at + 1].kind)) ++at;
  state.event = records[at].ordinal;
  ExploreRequest req;
  req.recovered = before.recovered;
  req.on_disk = std::min(r.rerun.value("on_disk_start", before.recovered), before.recovered);
  s = StoreConfig::FromJson(r.rerun.at("store"), &req.store);
  if (!s.ok()) return s.message();
  req.expect_acked = r.rerun.value("expect_acked", false);
  req.ops = r.ops.get();
  req.threads = r.ops->spec().threads;
  const StateWindow window = WindowOf(req, trace, state.event, state.kind);
  JudgeJob job;
  job.image_dir = chain + "-image";
  job.lo = window.lo;
  job.hi = window.hi;
  job.checkpoints = window.checkpoints;
  job.required = window.required;
  if (req.threads > 1) {
    job.in_flight = chain + "-in-flight.txt";
    s = trace.in_flight().Save(job.in_flight);
    if (!s.ok()) return s.message();
  }
  job.store_json = r.state_doc.at("judge_store").dump();
  s = BuildJudgeImage(trace, state, chain, job.image_dir, false);
  if (!s.ok()) return s.message();
  const JudgeOutcome out = JudgePool(writer_path, 1, timeout_ms, chain).JudgeOne(job);
  if (!out.harness_error.empty()) return out.harness_error;
  *verdict = out.verdict;
  return "";
}

}  // namespace

int RerunStateCommand(const std::string& evidence_dir, const std::string& state, uint32_t reruns,
                      const std::string& work_dir, const std::string& writer_path) {
  Rerun r;
  Status s = LoadRerun(evidence_dir, state, &r);
  if (s.ok()) s = CheckOwnedDir(work_dir, "--work-dir");
  if (s.ok()) s = PrepareOwnedDir(work_dir, {"rerun-"});
  if (!s.ok()) return Bad(s.message());
  Verdict kept;
  s = Verdict::FromJson(r.state_doc.at("verdict"), &kept);
  if (!s.ok()) return Bad(r.states.string() + ": " + s.message());
  uint32_t reproduced = 0;
  for (uint32_t k = 1; k <= reruns; ++k) {
    Verdict v;
    v.pass = true;
    const std::string why = RunOnce(r, fmt::format("{}/rerun-{}", work_dir, k), writer_path, &v);
    bool same = false;
    for (const auto& [klass, n] : v.classes) same |= !v.pass && kept.classes.count(klass) != 0;
    reproduced += same ? 1 : 0;
    fmt::print("rerun {}: {}\n", k,
               !why.empty() ? "not judged: " + why
                            : fmt::format("{} {}{}", v.pass ? "PASS" : "FAIL", v.detail,
                                          same ? " (reproduces)" : ""));
  }
  std::string classes;
  for (const auto& [klass, n] : kept.classes) classes += (classes.empty() ? "" : ",") + klass;
  fmt::print("{} of {} reruns reproduce {} from scratch ({})\n", reproduced, reruns, classes,
             r.state_doc.value("state", state));
  return reproduced > 0 ? kExitPass : kExitFail;
}

}  // namespace powercut::harness
