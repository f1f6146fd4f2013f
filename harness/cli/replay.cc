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

int ReplayCommand(const std::string& report_path, uint64_t cycle, const std::string& work_dir,
                  const std::string& writer_path, const std::string& shard) {
  std::string evidence_dir;
  if (Status found = FindEvidence(report_path, cycle, shard, &evidence_dir); !found.ok()) {
    return Bad(found.message());
  }
  const fs::path evidence = evidence_dir;
  nlohmann::json r;
  {
    std::string text;
    if (!ReadWholeFile((evidence / "replay.json").string(), &text).ok()) {
      return Bad(
          fmt::format("no evidence for cycle {} at {}; give a report.json whose failures/{}/ "
                      "folder a run kept",
                      cycle, evidence.string(), cycle));
    }
    r = nlohmann::json::parse(text, nullptr, false);
  }
  ChainHeader header;
  std::vector<nlohmann::json> entries;
  Status s = ChainManifest::Load((evidence / "manifest.jsonl").string(), &header, &entries);
  if (r.is_discarded() || !r.is_object() || !s.ok() || !fs::exists(evidence / "before/db") ||
      !fs::exists(evidence / "before/oracle.bin")) {
    return Bad(
        fmt::format("the evidence in {} is damaged (replay.json, manifest.jsonl or before/); "
                    "replay needs the folder as the run wrote it",
                    evidence.string()));
  }
  workloads::WorkloadSpec spec;
  s = workloads::WorkloadSpec::FromJson(header.workload, &spec);
  if (!s.ok()) return Bad(evidence.string() + ": " + s.message());
  s = CheckOwnedDir(work_dir, "--work-dir");
  if (s.ok()) s = PrepareOwnedDir(work_dir, {"chain"});
  if (!s.ok()) return Bad(s.message());

  const std::string chain = work_dir + "/chain";
  WriterArgs w;
  Fault fault = Fault::kKill;
  try {
    s = CopyStore((evidence / "before/db").string(), chain + "/db");
    if (s.ok() && fs::exists(evidence / "before/checkpoints")) {
      s = CopyStore((evidence / "before/checkpoints").string(), chain + "/checkpoints");
    }
    if (!s.ok()) return Bad(s.message());
    fs::copy_file(evidence / "before/oracle.bin", chain + "/oracle.bin");
    // The durability earlier cycles' kills left (faults/carried_durability.h), as the cycle had.
    if (fs::exists(evidence / "before/durability.json")) {
      fs::copy_file(evidence / "before/durability.json", chain + "/durability.json");
      w.carried_durability = chain + "/durability.json";
    }
    std::ifstream in(evidence / "manifest.jsonl");
    std::string first;
    std::getline(in, first);
    s = WriteFileAtomically(chain + "/manifest.jsonl", first + "\n");
    if (!s.ok()) return Bad(s.message());
    s = ParseFault(r.at("fault").get<std::string>(), &fault);
    w.chain_dir = chain;
    if (r.contains("store")) w.store_json = r.at("store").dump();
    w.lo = r.at("verify_lo").get<uint64_t>();
    w.hi = r.at("verify_hi").get<uint64_t>();
    w.checkpoints = r.at("verify_checkpoints").get<std::vector<uint64_t>>();
    w.ledger_dir = chain + "/ledger";
    // The same injected I/O error, at the same call, with the same retries.
    w.io_error = r.value("io_error", std::string());
    w.io_error_retries = r.value("io_error_retries", uint32_t{0});
    // The same crash point; a timed kill lands where the acks stopped.
    w.crash_at = r.at("crash_at").get<std::string>();
    if (r.value("refused", false) || Classes(r.at("verdict")).count(kWriterCrash) > 0) {
      // The writer stopped at op hi, which RocksDB refused or died in: run it again, op hi
      // included.
      w.crash_after_op = r.at("hi").get<uint64_t>();
    } else if (w.crash_at.empty()) {
      w.crash_after_op = r.at("acked").get<uint64_t>();
      w.crash_in_flight = r.at("hi").get<uint64_t>() > w.crash_after_op;
    }
  } catch (const std::exception& e) {
    return Bad(fmt::format("the evidence in {} is damaged: {}", evidence.string(), e.what()));
  }
  if (!s.ok()) return Bad(s.message());

  fmt::print("replaying cycle {} ({}), crash {}\n", cycle, FaultName(fault),
             w.crash_at.empty() ? fmt::format("after op {} is acked{}", w.crash_after_op,
                                              w.crash_in_flight ? fmt::format(", op {} in flight",
                                                                              w.crash_after_op + 1)
                                                                : "")
                                : "at " + w.crash_at);
  std::unique_ptr<ChildProcess> child;
  s = ChildProcess::Spawn(writer_path, WriterArgv(w), chain + "/writer.stderr", &child);
  if (!s.ok()) return Bad(s.message());
  const int64_t timeout_ms = r.value("recovery_timeout_ms", int64_t{20'000});
  double recovery_ms = 0;
  std::map<std::string, double> metrics;
  Status harness;
  const Verdict before =
      AwaitVerdict(child.get(), w.lo, w.hi, timeout_ms, &recovery_ms, &metrics, &harness);
  if (!harness.ok()) return Bad(harness.message());
  if (!before.pass) {
    fmt::print("replay disagrees: the store before cycle {} no longer verifies: {}\n", cycle,
               before.detail);
    return kExitFail;
  }
  // The writer writes until its crash point kills it; read every ack the kernel holds.
  WriterProgress progress(before.recovered);
  std::string line;
  while (!progress.done && child->ReadLine(&line, kWriteTimeoutMs) == ChildProcess::Read::kLine) {
    progress.Absorb(line);
  }
  child->KillAndReap();
  if (const int sig = WriterCrashSignal(*child); sig != 0) {  // RocksDB killed it again
    const Verdict crash = Verdict::Failure(
        kWriterCrash, WriterCrashDetail(sig, chain + "/writer.stderr"), w.lo, w.hi);
    fmt::print("FAIL {}: {} [{}]\n", chain, crash.detail, kWriterCrash);
    return Agreement(crash, r.at("verdict"));
  }
  if (!progress.protocol_error.empty()) return Bad(progress.protocol_error);
  if (!progress.harness_error.empty()) return Bad(progress.harness_error);
  const uint64_t acked = progress.acked, hi = progress.hi;
  faults::LedgerSummary summary;
  s = faults::SummarizeLedger(w.ledger_dir, &summary);
  if (s.ok() && fault == Fault::kPowerCut) {
    faults::CutMode mode = faults::CutMode::kDrop;
    faults::ParseCutMode(r.value("cut", std::string("drop")), &mode);
    faults::CutStats stats;
    s = faults::ApplyPowerCut(w.ledger_dir, chain + "/db", mode, r.at("cut_seed").get<uint64_t>(),
                              &stats);
  }
  if (!s.ok()) return Bad(s.message());

  const workloads::OpGenerator ops(header.seed, spec);
  StoreConfig store = header.store;
  if (r.contains("store")) {
    s = StoreConfig::FromJson(r.at("store"), &store);
    if (!s.ok()) return Bad(evidence.string() + ": " + s.message());
  }
  const Contract contract = ContractFor(fault, store, r.value("expect_acked", false));
  // Where the chain's marks stood when the cycle began (the on-disk mark carries across
  // cycles; evidence from before it was recorded carries none).
  const Reach start = RecoveredReach(before.recovered, r.value("on_disk_start", before.recovered));
  const Durability d = DurableAfter(contract, ops, start, before.recovered + 1, acked);
  // The oracle the judging open starts from: the state before the cycle, advanced to the
  // lowest point the judge may be asked about.
  Oracle base;
  s = Oracle::Load(chain + "/oracle.bin", &base);
  if (!s.ok()) return Bad(s.message());
  if (base.index() < start.on_disk) base.AdvanceTo(start.on_disk, ops);
  s = base.Save(chain + "/oracle.bin");
  if (!s.ok()) return Bad(s.message());

  WriterArgs judge;
  judge.chain_dir = chain;
  judge.lo = d.lo;
  judge.hi = hi;
  judge.checkpoints = d.checkpoints;
  judge.verify_only = true;
  if (r.contains("judge_store")) judge.store_json = r.at("judge_store").dump();
  s = ChildProcess::Spawn(writer_path, WriterArgv(judge), chain + "/verify.stderr", &child);
  if (!s.ok()) return Bad(s.message());
  const Verdict v =
      AwaitVerdict(child.get(), d.lo, hi, timeout_ms, &recovery_ms, &metrics, &harness);
  child->Wait(timeout_ms, nullptr);
  if (!harness.ok()) return Bad(harness.message());

  const nlohmann::json original = r.at("verdict");
  std::string classes;
  for (const auto& [k, n] : v.classes) classes += (classes.empty() ? "" : ",") + k;
  fmt::print("{} {}: ops {}..{} acked, {} issued, durable {}, {} fs events: {}{}\n",
             v.pass ? "PASS" : "FAIL", chain, before.recovered + 1, acked, hi, d.lo, summary.events,
             v.detail, classes.empty() ? "" : " [" + classes + "]");
  constexpr size_t kPrinted = 10;  // the rest are in the report and summary.txt
  for (size_t i = 0; i < v.findings.size() && i < kPrinted; ++i) {
    const Finding& f = v.findings[i];
    fmt::print("  {} {}: expected {}, found {}\n", f.klass, f.key, f.expected, f.found);
  }
  if (v.mismatches > kPrinted) fmt::print("  … {} keys in all\n", v.mismatches);

  return Agreement(v, original);
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
