#include "harness/cli/verify.h"

#include <filesystem>

#include <fmt/format.h>

#include "harness/cli/subcommand.h"
#include "harness/run/await_verdict.h"
#include "harness/run/child_process.h"
#include "harness/run/controller.h"
#include "harness/writer/writer.h"
#include "src/atomic_file.h"
#include "src/chain_manifest.h"
#include "src/oracle.h"

namespace powercut::harness {
namespace {

// The points to judge the store at, from the manifest's last word on the chain.
Status DurableWindow(const ChainHeader& h, const std::vector<nlohmann::json>& entries,
                     uint64_t base, uint64_t* lo, uint64_t* hi,
                     std::vector<uint64_t>* checkpoints) {
  *lo = *hi = base;
  if (entries.empty()) return Status::Ok();
  try {
    const nlohmann::json& last = entries.back();
    const std::string type = last.at("type").get<std::string>();
    if (type == "cycle") {  // a fault was injected, its verdict never recorded
      *lo = last.at("lo").get<uint64_t>();
      *hi = last.at("hi").get<uint64_t>();
      *checkpoints = last.value("checkpoints", std::vector<uint64_t>{});
    } else if (type == "verdict") {
      const nlohmann::json& v = last.at("verdict");
      if (v.at("pass").get<bool>()) {
        // The controller stopped while a writer wrote on from the recovered point: up to a
        // cycle's ops. The oracle may still be older (the controller died before saving it).
        *lo = v.at("recovered").get<uint64_t>();
        *hi = *lo + h.max_ops_per_cycle;
      } else {
        *lo = v.at("lo").get<uint64_t>();
        *hi = v.at("hi").get<uint64_t>();
      }
    } else if (type == "closed") {  // the chain ended cleanly at its recovered point
      *lo = *hi = last.value("recovered", base);
    } else {
      return Status::Corruption("unknown manifest entry type '" + type + "'");
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed manifest entry: ") + e.what());
  }
  if (*lo < base || *lo > *hi) {
    return Status::Corruption(
        fmt::format("manifest's durable point {} does not fit oracle at {}", *lo, base));
  }
  return Status::Ok();
}

}  // namespace

int VerifyCommand(const std::string& chain_dir, const std::string& writer_path,
                  int64_t timeout_ms) {
  const std::string manifest = chain_dir + "/manifest.jsonl";
  if (!std::filesystem::exists(manifest)) {
    fmt::print(stderr,
               "powercut: {} is not a chain directory (no manifest.jsonl); give a "
               "DATA_DIR/chain-<k> path\n",
               chain_dir);
    return kExitBadInput;
  }
  ChainHeader header;
  std::vector<nlohmann::json> entries;
  Oracle base;
  WriterArgs w;
  w.chain_dir = chain_dir;
  w.verify_only = true;
  Status s = ChainManifest::Load(manifest, &header, &entries);
  if (s.ok()) s = Oracle::Load(chain_dir + "/oracle.bin", &base);
  if (s.ok()) s = DurableWindow(header, entries, base.index(), &w.lo, &w.hi, &w.checkpoints);
  // The options the chain last ran with (--option-at may have changed them since the header).
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->value("type", "") == "cycle" && it->contains("store")) {
      w.store_json = it->at("store").dump();
      break;
    }
  }
  if (!s.ok()) {
    fmt::print(stderr, "powercut: {}; the chain directory is damaged, verify a chain a run wrote\n",
               s.message());
    return kExitBadInput;
  }
  std::unique_ptr<ChildProcess> child;
  s = ChildProcess::Spawn(writer_path, WriterArgv(w), chain_dir + "/verify.stderr", &child);
  if (!s.ok()) {
    fmt::print(stderr, "powercut: {}\n", s.message());
    return kExitBadInput;
  }
  double recovery_ms = 0;
  std::map<std::string, double> metrics;
  Status harness;
  const Verdict v =
      AwaitVerdict(child.get(), w.lo, w.hi, timeout_ms, &recovery_ms, &metrics, &harness);
  child->Wait(timeout_ms, nullptr);
  if (!harness.ok()) {
    fmt::print(stderr, "powercut: {}\n", harness.message());
    return kExitBadInput;
  }
  nlohmann::json out = v.ToJson();
  out["chain_dir"] = chain_dir;
  out["recovery_ms"] = recovery_ms;
  out["metrics"] = metrics;
  s = WriteFileAtomically(chain_dir + "/verify.json", out.dump(2) + "\n");
  if (!s.ok()) fmt::print(stderr, "powercut: {}\n", s.message());

  std::string classes;
  for (const auto& [k, n] : v.classes)
    classes += fmt::format("{}{}={}", classes.empty() ? "" : " ", k, n);
  fmt::print("{} {}: {}{}\n", v.pass ? "PASS" : "FAIL", chain_dir, v.detail,
             classes.empty() ? "" : " [" + classes + "]");
  constexpr size_t kPrinted = 10;  // the rest are in the report and summary.txt
  for (size_t i = 0; i < v.findings.size() && i < kPrinted; ++i) {
    const Finding& f = v.findings[i];
    fmt::print("  {} {}: expected {}, found {}\n", f.klass, f.key, f.expected, f.found);
  }
  if (v.mismatches > kPrinted) fmt::print("  … {} keys in all\n", v.mismatches);

  return v.pass ? kExitPass : kExitFail;
}

namespace {

class VerifySubcommand : public Subcommand {
 public:
  CLI::App* Register(CLI::App* app) override {
    CLI::App* verify =
        app->add_subcommand("verify", "check a chain's store against its own manifest, now");
    verify->add_option("CHAIN_DIR", chain_dir_, "a chain directory, e.g. powercut-data/chain-0")
        ->required();
    verify
        ->add_option("--timeout-ms", timeout_ms_,
                     "open + verify longer than this is a recovery-hang")
        ->capture_default_str();
    return verify;
  }
  int Execute() override { return VerifyCommand(chain_dir_, WriterBesideUs(), timeout_ms_); }

 private:
  std::string chain_dir_;
  int64_t timeout_ms_ = 60'000;
};

}  // namespace

std::unique_ptr<Subcommand> NewVerifySubcommand() { return std::make_unique<VerifySubcommand>(); }

}  // namespace powercut::harness
