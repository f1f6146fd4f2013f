#include "harness/cli/gate.h"

#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/cli/subcommand.h"
#include "reports/gate.h"
#include "reports/report_loader.h"
#include "reports/report_writer.h"
#include "reports/step_summary.h"
#include "reports/summary.h"
#include "src/atomic_file.h"

namespace powercut::harness {
namespace {

constexpr int kExitPass = 0;
constexpr int kExitRefused = 1;

std::string OneLine(std::string s) {
  for (char& c : s) c = c == '\n' ? ' ' : c;
  return s;
}

}  // namespace

int GateCommand(const std::vector<std::string>& report_paths, uint64_t min_cycles,
                const std::vector<std::string>& required_faults,
                const std::vector<std::string>& hunt_paths) {
  std::vector<std::string> reasons;
  std::vector<nlohmann::json> docs;
  reports::GateOptions opts;
  opts.min_cycles = min_cycles;
  opts.required_faults = required_faults;
  for (const std::string& path : report_paths) {
    nlohmann::json doc;
    if (Status s = reports::LoadReportJson(path, &doc); !s.ok()) {
      reasons.push_back(s.message());
      continue;
    }
    docs.push_back(std::move(doc));
    opts.labels.push_back(path);
  }
  // With every given file unreadable, "no report given" would be wrong: they were given.
  if (!docs.empty() || report_paths.empty()) {
    for (std::string& r : reports::GateReasons(docs, opts)) reasons.push_back(std::move(r));
  }
  for (const std::string& path : hunt_paths) {
    std::string text;
    if (Status s = ReadWholeFile(path, &text); !s.ok()) {
      reasons.push_back(path + ": " + s.message());
      continue;
    }
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    for (std::string& r : reports::HuntGateReasons(doc, path)) reasons.push_back(std::move(r));
  }
  if (!reasons.empty()) {
    std::string md = "### powercut gate: FAIL\n\n";
    for (const std::string& r : reasons) {
      fmt::print("gate: FAIL: {}\n", OneLine(r));
      md += "- " + OneLine(r) + "\n";
    }
    std::fflush(stdout);
    if (Status s = reports::AppendStepSummary(md + "\n"); !s.ok())
      fmt::print(stderr, "gate: {}\n", s.message());
    return kExitRefused;
  }

  // Passed: every document parses (GateReasons checked), so the totals can be shown.
  uint64_t cycles = 0;
  std::map<std::string, uint64_t> faults;
  for (const nlohmann::json& doc : docs) {
    reports::RunResult run;
    if (!reports::FromJson(doc, &run).ok()) continue;
    const reports::Summary sum = reports::Summarize(run);
    cycles += sum.cycles;
    for (const auto& [kind, n] : sum.faults_seen) faults[kind] += n;
  }
  const std::string line =
      fmt::format("PASS {} report{}, {} cycles all passed (min {}), faults: {}{}", docs.size(),
                  docs.size() == 1 ? "" : "s", cycles, min_cycles, reports::CountsToString(faults),
                  hunt_paths.empty() ? ""
                                     : fmt::format("; {} hunt{} with no finding", hunt_paths.size(),
                                                   hunt_paths.size() == 1 ? "" : "s"));
  fmt::print("gate: {}\n", line);
  std::fflush(stdout);
  if (Status s = reports::AppendStepSummary("### powercut gate: PASS\n\n" + line + "\n\n"); !s.ok())
    fmt::print(stderr, "gate: {}\n", s.message());
  return kExitPass;
}

namespace {

class GateSubcommand : public Subcommand {
 public:
  CLI::App* Register(CLI::App* app) override {
    CLI::App* gate = app->add_subcommand("gate", "exit 0 only on reports a release may trust");
    gate->add_option("REPORT.json", inputs_, "reports to judge, together");
    gate->add_option("--min-cycles", min_cycles_, "cycles the reports must reach in all")
        ->capture_default_str();
    gate->add_option("--require-fault", require_faults_,
                     "fault kinds that must have run, e.g. kill,power-cut")
        ->delimiter(',');
    gate->add_option("--require-no-finding", hunts_,
                     "CHECK-REPORT.json of a hunt (check --duration) that must be complete and "
                     "hold no finding; repeatable");
    return gate;
  }
  int Execute() override { return GateCommand(inputs_, min_cycles_, require_faults_, hunts_); }

 private:
  std::vector<std::string> inputs_, require_faults_, hunts_;
  uint64_t min_cycles_ = 1;
};

}  // namespace

std::unique_ptr<Subcommand> NewGateSubcommand() { return std::make_unique<GateSubcommand>(); }

}  // namespace powercut::harness
