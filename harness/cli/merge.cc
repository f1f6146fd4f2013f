#include "harness/cli/merge.h"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "harness/cli/subcommand.h"
#include "harness/run/data_dir.h"
#include "reports/merge.h"
#include "reports/report_loader.h"
#include "reports/report_writer.h"
#include "reports/step_summary.h"
#include "reports/summary.h"

namespace fs = std::filesystem;

namespace powercut::harness {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 2;

// What a previous merge or run left in an output folder; removed so that a stale
// failures/ or metrics.prom cannot sit beside the new report.json.
const std::vector<std::string> kStaleReportFiles = {"report.", "junit.", "metrics.", "failures"};

int Refuse(const std::string& what) {
  std::string line = what;
  for (char& c : line) c = c == '\n' ? ' ' : c;
  fmt::print(stderr, "powercut merge: {}\n", line);
  return kExitBadInput;
}

}  // namespace

int MergeCommand(const std::vector<std::string>& report_paths, const std::string& out_dir) {
  if (report_paths.empty()) return Refuse("no report given: pass the shards' report.json files");
  if (out_dir.empty()) return Refuse("--out is empty: give the directory for the merged report");
  // Everything is read and merged before the output folder is touched, so refused input
  // writes nothing.
  std::vector<reports::RunResult> shards(report_paths.size());
  for (size_t i = 0; i < report_paths.size(); ++i) {
    if (Status s = reports::LoadReport(report_paths[i], &shards[i]); !s.ok()) {
      return Refuse(s.message());
    }
  }
  reports::RunResult merged;
  if (Status s = reports::MergeReports(shards, &merged); !s.ok()) return Refuse(s.message());
  // A shard's own folder is powercut's too, but clearing it for the merged report would
  // delete that shard's evidence (failures/) and the very report just read.
  std::error_code ec;
  const fs::path out = fs::weakly_canonical(fs::absolute(out_dir, ec), ec);
  for (const std::string& path : report_paths) {
    const fs::path folder = fs::weakly_canonical(fs::absolute(path, ec), ec).parent_path();
    if (!ec && folder == out) {
      return Refuse("--out " + out_dir + " holds the input report " + path +
                    "; write the merged report to a new directory");
    }
  }
  if (Status s = CheckOwnedDir(out_dir, "--out"); !s.ok()) return Refuse(s.message());
  if (Status s = PrepareOwnedDir(out_dir, kStaleReportFiles); !s.ok()) {
    return Refuse(s.message());
  }
  if (Status s = reports::WriteReports(merged, out_dir); !s.ok()) {
    return Refuse("cannot write the merged report: " + s.message());
  }
  const reports::Summary sum = reports::Summarize(merged);
  fmt::print(
      "powercut merge: {} reports, {} cycles, {} failed, status {}; report in {}/report.txt\n",
      shards.size(), sum.cycles, sum.failed, sum.status, out_dir);
  if (!merged.complete) fmt::print("powercut merge: incomplete: {}\n", merged.incomplete_reason);
  if (Status s = reports::AppendStepSummary(reports::StepSummaryMarkdown(merged, "merge")); !s.ok())
    fmt::print(stderr, "powercut merge: {}\n", s.message());
  return kExitOk;
}

namespace {

class MergeSubcommand : public Subcommand {
 public:
  CLI::App* Register(CLI::App* app) override {
    CLI::App* merge = app->add_subcommand("merge", "combine shard reports into one report folder");
    merge->add_option("REPORT.json", inputs_, "shard reports")->required();
    merge->add_option("--out", out_, "folder for the merged report.json, report.txt, junit.xml")
        ->required();
    return merge;
  }
  int Execute() override { return MergeCommand(inputs_, out_); }

 private:
  std::vector<std::string> inputs_;
  std::string out_;
};

}  // namespace

std::unique_ptr<Subcommand> NewMergeSubcommand() { return std::make_unique<MergeSubcommand>(); }

}  // namespace powercut::harness
