#include "harness/cli/replay.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "faults/ledger.h"
#include "faults/power_cut.h"
#include "harness/cli/replay_state.h"
#include "harness/cli/rerun_state.h"
#include "harness/cli/subcommand.h"
#include "harness/run/await_verdict.h"
#include "harness/run/child_process.h"
#include "harness/run/controller.h"
#include "harness/run/data_dir.h"
#include "harness/run/evidence.h"
#include "harness/run/writer_crash.h"
#include "harness/run/writer_progress.h"
#include "harness/writer/writer.h"
#include "src/atomic_file.h"
#include "src/chain_manifest.h"
#include "src/contract.h"
#include "src/oracle.h"
#include "workloads/generator.h"

namespace fs = std::filesystem;

namespace powercut::harness {
namespace {

constexpr int64_t kWriteTimeoutMs = 120'000;  // a replayed cycle that never crashes is ended

int Bad(const std::string& what) {
  fmt::print(stderr, "powercut: {}\n", what);
  return kExitBadInput;
}

std::set<std::string> Classes(const nlohmann::json& verdict) {
  std::set<std::string> out;
  for (const auto& [k, n] : verdict.at("classes").items()) out.insert(k);
  return out;
}

}  // namespace

// Exit 0 when the replay's verdict is the report's (pass and classes), 1 otherwise.
static int Agreement(const Verdict& v, const nlohmann::json& original) {
  std::string classes;
  std::set<std::string> now;
  for (const auto& [k, n] : v.classes) {
    classes += (classes.empty() ? "" : ",") + k;
    now.insert(k);
  }
  const bool agrees = v.pass == original.at("pass").get<bool>() && now == Classes(original);
  if (agrees) {
    fmt::print("replay agrees with the report: {}\n", v.pass ? "PASS" : "FAIL " + classes);
    return kExitPass;
  }
  fmt::print("replay disagrees with the report: it said {} {}, the replay says {} {}\n",
             original.at("pass").get<bool>() ? "PASS" : "FAIL", original.at("classes").dump(),
             v.pass ? "PASS" : "FAIL", classes);
  return kExitFail;
}

namespace {

// What a replay of one cycle works from: its evidence, and the chain rebuilt from it.
struct Replaying {
  fs::path evidence;
  nlohmann::json r;  // replay.json
  ChainHeader header;
  workloads::WorkloadSpec spec;
  std::string chain;  // work_dir/chain
  Fault fault = Fault::kKill;
  WriterArgs w;  // the cycle's writer, as it was started
  int64_t timeout_ms = 20'000;
};

// Step 1: the evidence folder of `cycle`, read and checked. BadInput on a missing or damaged one.
Status LoadEvidence(const std::string& report_path, uint64_t cycle, const std::string& shard,
                    Replaying* x) {
  std::string evidence_dir;
  Status s = FindEvidence(report_path, cycle, shard, &evidence_dir);
  if (!s.ok()) return s;
  x->evidence = evidence_dir;
  std::string text;
  if (!ReadWholeFile((x->evidence / "replay.json").string(), &text).ok()) {
    return Status::BadInput(
        fmt::format("no evidence for cycle {} at {}; give a report.json whose failures/{}/ "
                    "folder a run kept",
                    cycle, x->evidence.string(), cycle));
  }
  x->r = nlohmann::json::parse(text, nullptr, false);
  std::vector<nlohmann::json> entries;
  s = ChainManifest::Load((x->evidence / "manifest.jsonl").string(), &x->header, &entries);
  if (x->r.is_discarded() || !x->r.is_object() || !s.ok() ||
      !fs::exists(x->evidence / "before/db") || !fs::exists(x->evidence / "before/oracle.bin")) {
    return Status::BadInput(
        fmt::format("the evidence in {} is damaged (replay.json, manifest.jsonl or before/); "
                    "replay needs the folder as the run wrote it",
                    x->evidence.string()));
  }
  s = workloads::WorkloadSpec::FromJson(x->header.workload, &x->spec);
  if (!s.ok()) return Status::BadInput(x->evidence.string() + ": " + s.message());
  x->timeout_ms = x->r.value("recovery_timeout_ms", int64_t{20'000});
  return Status::Ok();
}

// The cycle's writer from replay.json: the same options, window, injected error and crash.
void WriterArgsOf(const nlohmann::json& r, const std::string& chain, WriterArgs* w) {
  w->chain_dir = chain;
  if (r.contains("store")) w->store_json = r.at("store").dump();
  w->lo = r.at("verify_lo").get<uint64_t>();
  w->hi = r.at("verify_hi").get<uint64_t>();
  w->checkpoints = r.at("verify_checkpoints").get<std::vector<uint64_t>>();
  w->required = r.value("verify_required", std::vector<uint64_t>());
  w->ledger_dir = chain + "/ledger";
  // The same injected I/O error, at the same call, with the same retries.
  w->io_error = r.value("io_error", std::string());
  w->io_error_retries = r.value("io_error_retries", uint32_t{0});
  // TESTS ONLY: the planted writer faults of the run.
  w->lie_ack = r.value("test_lie_ack", false);
  w->ack_failed = r.value("test_ack_failed", false);
  w->lose_when_wals = r.value("test_lose_when_wals", std::string());
  // The same crash point; a timed kill lands where the acks stopped.
  w->crash_at = r.at("crash_at").get<std::string>();
  if (r.value("refused", false) || Classes(r.at("verdict")).count(kWriterCrash) > 0) {
    // The writer stopped at op hi, which RocksDB refused or died in: run it again, op hi
    // included.
    w->crash_after_op = r.at("hi").get<uint64_t>();
  } else if (w->crash_at.empty() && w->lie_ack && r.at("acked").get<uint64_t>() > 0) {
    // A writer that acks before it writes: the one loss it can show is its last acked op
    // unwritten, so the replay dies after acking that op and before writing it.
    w->crash_after_op = r.at("acked").get<uint64_t>() - 1;
    w->crash_in_flight = true;
  } else if (w->crash_at.empty()) {
    w->crash_after_op = r.at("acked").get<uint64_t>();
    w->crash_in_flight = r.at("hi").get<uint64_t>() > w->crash_after_op;
  }
}

// Step 2: the chain as it was before the cycle, in work_dir/chain.
Status RebuildChain(const std::string& work_dir, Replaying* x) {
  Status s = CheckOwnedDir(work_dir, "--work-dir");
  if (s.ok()) s = PrepareOwnedDir(work_dir, {"chain"});
  if (!s.ok()) return Status::BadInput(s.message());
  x->chain = work_dir + "/chain";
  const fs::path& ev = x->evidence;
  try {
    s = CopyStore((ev / "before/db").string(), x->chain + "/db");
    if (s.ok() && fs::exists(ev / "before/checkpoints")) {
      s = CopyStore((ev / "before/checkpoints").string(), x->chain + "/checkpoints");
    }
    if (!s.ok()) return s;
    fs::copy_file(ev / "before/oracle.bin", x->chain + "/oracle.bin");
    // The durability earlier cycles' kills left (faults/carried_durability.h), as the cycle had.
    if (fs::exists(ev / "before/durability.json")) {
      fs::copy_file(ev / "before/durability.json", x->chain + "/durability.json");
      x->w.carried_durability = x->chain + "/durability.json";
    }
    std::ifstream in(ev / "manifest.jsonl");
    std::string first;
    std::getline(in, first);
    s = WriteFileAtomically(x->chain + "/manifest.jsonl", first + "\n");
    if (!s.ok()) return s;
    s = ParseFault(x->r.at("fault").get<std::string>(), &x->fault);
    WriterArgsOf(x->r, x->chain, &x->w);
  } catch (const std::exception& e) {
    return Status::BadInput(
        fmt::format("the evidence in {} is damaged: {}", ev.string(), e.what()));
  }
  return s;
}

// Step 4: the cut the cycle had, then a judge of the store against the cycle's contract.
Status JudgeAfter(const Replaying& x, const std::string& writer_path, const Verdict& before,
                  const WriterProgress& progress, Verdict* v) {
  faults::LedgerSummary summary;
  Status s = faults::SummarizeLedger(x.w.ledger_dir, &summary);
  if (s.ok() && x.fault == Fault::kPowerCut) {
    faults::CutMode mode = faults::CutMode::kDrop;
    faults::ParseCutMode(x.r.value("cut", std::string("drop")), &mode);
    faults::CutStats stats;
    s = faults::ApplyPowerCut(x.w.ledger_dir, x.chain + "/db", mode,
                              x.r.at("cut_seed").get<uint64_t>(), &stats);
  }
  if (!s.ok()) return s;
  const workloads::OpGenerator ops(x.header.seed, x.spec);
  StoreConfig store = x.header.store;
  if (x.r.contains("store")) {
    s = StoreConfig::FromJson(x.r.at("store"), &store);
    if (!s.ok()) return Status::BadInput(x.evidence.string() + ": " + s.message());
  }
  // The contract the cycle was judged under: a failed clean close is held to a kill's.
  Fault judged_as = x.fault;
  ParseFault(x.r.value("judged_as", std::string(FaultName(x.fault))), &judged_as);
  const Contract contract = ContractFor(judged_as, store, x.r.value("expect_acked", false));
  // Where the chain's marks stood when the cycle began (the on-disk mark carries across
  // cycles; evidence from before it was recorded carries none).
  const Reach start =
      RecoveredReach(before.ResumePoint(), x.r.value("on_disk_start", before.ResumePoint()));
  const Durability d = DurableAfter(contract, ops, start, before.ResumePoint() + 1,
                                    progress.acked_ops, x.spec.threads);
  // The oracle the judging open starts from: the state before the cycle, advanced to the
  // lowest point the judge may be asked about.
  Oracle base;
  s = Oracle::Load(x.chain + "/oracle.bin", &base);
  if (!s.ok()) return s;
  if (base.index() < start.on_disk) base.AdvanceTo(start.on_disk, ops);
  s = base.Save(x.chain + "/oracle.bin");
  if (!s.ok()) return s;
  WriterArgs judge;
  judge.chain_dir = x.chain;
  judge.lo = d.lo;
  judge.hi = progress.hi;
  judge.checkpoints = d.checkpoints;
  judge.required = d.required;
  if (x.spec.threads > 1) {
    judge.in_flight = x.chain + "/in-flight.txt";
    s = progress.in_flight.Save(judge.in_flight);
    if (!s.ok()) return s;
  }
  judge.verify_only = true;
  if (x.r.contains("judge_store")) judge.store_json = x.r.at("judge_store").dump();
  std::unique_ptr<ChildProcess> child;
  s = ChildProcess::Spawn(writer_path, WriterArgv(judge), x.chain + "/verify.stderr", &child);
  if (!s.ok()) return s;
  double recovery_ms = 0;
  std::map<std::string, double> metrics;
  Status harness;
  *v = AwaitVerdict(child.get(), d.lo, progress.hi, x.timeout_ms, &recovery_ms, &metrics, &harness);
  child->Wait(x.timeout_ms, nullptr);
  if (!harness.ok()) return harness;
  std::string classes;
  for (const auto& [k, n] : v->classes) classes += (classes.empty() ? "" : ",") + k;
  fmt::print("{} {}: ops {}..{} acked, {} issued, durable {}, {} fs events: {}{}\n",
             v->pass ? "PASS" : "FAIL", x.chain, before.ResumePoint() + 1, progress.acked(),
             progress.hi, d.lo, summary.events, v->detail,
             classes.empty() ? "" : " [" + classes + "]");
  constexpr size_t kPrinted = 10;  // the rest are in the report and summary.txt
  for (size_t i = 0; i < v->findings.size() && i < kPrinted; ++i) {
    const Finding& f = v->findings[i];
    fmt::print("  {} {}: expected {}, found {}\n", f.klass, f.key, f.expected, f.found);
  }
  if (v->mismatches > kPrinted) fmt::print("  … {} keys in all\n", v->mismatches);
  return Status::Ok();
}

}  // namespace

int ReplayCommand(const std::string& report_path, uint64_t cycle, const std::string& work_dir,
                  const std::string& writer_path, const std::string& shard) {
  Replaying x;
  Status s = LoadEvidence(report_path, cycle, shard, &x);
  if (s.ok()) s = RebuildChain(work_dir, &x);
  if (!s.ok()) return Bad(s.message());
  const WriterArgs& w = x.w;
  fmt::print("replaying cycle {} ({}), crash {}\n", cycle, FaultName(x.fault),
             w.crash_at.empty() ? fmt::format("after op {} is acked{}", w.crash_after_op,
                                              w.crash_in_flight ? fmt::format(", op {} in flight",
                                                                              w.crash_after_op + 1)
                                                                : "")
                                : "at " + w.crash_at);
  // Step 3: the cycle's writer judges the store before the cycle, then writes until its crash.
  std::unique_ptr<ChildProcess> child;
  s = ChildProcess::Spawn(writer_path, WriterArgv(w), x.chain + "/writer.stderr", &child);
  if (!s.ok()) return Bad(s.message());
  double recovery_ms = 0;
  std::map<std::string, double> metrics;
  Status harness;
  const Verdict before =
      AwaitVerdict(child.get(), w.lo, w.hi, x.timeout_ms, &recovery_ms, &metrics, &harness);
  if (!harness.ok()) return Bad(harness.message());
  if (!before.pass) {
    fmt::print("replay disagrees: the store before cycle {} no longer verifies: {}\n", cycle,
               before.detail);
    return kExitFail;
  }
  // Read every ack the kernel holds.
  WriterProgress progress(before.ResumePoint(), x.spec.threads);
  std::string line;
  while (!progress.done && child->ReadLine(&line, kWriteTimeoutMs) == ChildProcess::Read::kLine) {
    progress.Absorb(line);
  }
  child->KillAndReap();
  if (const int sig = WriterCrashSignal(*child); sig != 0) {  // RocksDB killed it again
    const Verdict crash = Verdict::Failure(
        kWriterCrash, WriterCrashDetail(sig, x.chain + "/writer.stderr"), w.lo, w.hi);
    fmt::print("FAIL {}: {} [{}]\n", x.chain, crash.detail, kWriterCrash);
    return Agreement(crash, x.r.at("verdict"));
  }
  if (!progress.protocol_error.empty()) return Bad(progress.protocol_error);
  if (!progress.harness_error.empty()) return Bad(progress.harness_error);
  Verdict v;
  s = JudgeAfter(x, writer_path, before, progress, &v);
  if (!s.ok()) return Bad(s.message());
  return Agreement(v, x.r.at("verdict"));
}

namespace {

class ReplaySubcommand : public Subcommand {
 public:
  CLI::App* Register(CLI::App* app) override {
    CLI::App* replay =
        app->add_subcommand("replay", "re-run one failing cycle from a report folder");
    replay->add_option("REPORT.json", report_, "the report.json a run wrote")->required();
    replay->add_option("--cycle", cycle_, "the failing cycle to replay")->required();
    replay->add_option("--work-dir", work_dir_, "where the replayed chain lives")
        ->capture_default_str();
    replay->add_option("--state", state_,
                       "judge a failing crash state again from the image the run kept (the "
                       "state's name as the report gives it)");
    replay
        ->add_option("--rerun", rerun_,
                     "with --state: run the cycle's writer again K times from the store before "
                     "the cycle, crash at the state's event, and count how often it fails again")
        ->check(CLI::Range(1u, 1000u));
    replay->add_option("--shard", shard_,
                       "in a merged report: the shard I/N the cycle ran in (its reproduce line "
                       "names it; needed only when several shards failed at that cycle number)");
    return replay;
  }
  int Execute() override {
    if (state_.empty() && rerun_ > 0) return Bad("--rerun needs --state: give the state to rerun");
    if (state_.empty()) return ReplayCommand(report_, cycle_, work_dir_, WriterBesideUs(), shard_);
    std::string evidence;
    if (Status found = FindEvidence(report_, cycle_, shard_, &evidence); !found.ok()) {
      return Bad(found.message());
    }
    if (rerun_ > 0) return RerunStateCommand(evidence, state_, rerun_, work_dir_, WriterBesideUs());
    return ReplayStateCommand(evidence, state_, work_dir_, WriterBesideUs());
  }

 private:
  std::string report_, work_dir_ = "powercut-replay", shard_, state_;
  uint64_t cycle_ = 0;
  uint32_t rerun_ = 0;
};

}  // namespace

std::unique_ptr<Subcommand> NewReplaySubcommand() { return std::make_unique<ReplaySubcommand>(); }

}  // namespace powercut::harness
