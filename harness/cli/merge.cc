#include "harness/cli/merge.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "harness/cli/subcommand.h"
#include "harness/run/data_dir.h"
#include "reports/merge.h"
#include "reports/merge_evidence.h"
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
// The shards' evidence is staged here, inside the output folder (so that moving it into
// place is one rename), before anything of an earlier report there is removed.
constexpr const char* kStagingPrefix = ".merging-";

int Refuse(const std::string& what) {
  std::string line = what;
  for (char& c : line) c = c == '\n' ? ' ' : c;
  fmt::print(stderr, "powercut merge: {}\n", line);
  return kExitBadInput;
}

// The folder a report.json sits in ("." for a bare file name).
std::string FolderOfReport(const std::string& report_path) {
  const fs::path parent = fs::path(report_path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// --out as the merged lines name it: "merged/" reads "merged/report.json", not "merged//…".
std::string LineDir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// Writes the merged folder: the shards' evidence staged first (the part that can run out of
// disk), then the earlier report removed, the evidence moved in and the report files
// written, report.json last. On failure nothing of the new report is left, and a folder
// this merge created is removed.
Status WriteMerged(const std::vector<reports::ShardFolder>& folders,
                   const reports::RunResult& merged, const std::string& out_dir) {
  std::error_code ec;
  const bool existed = fs::exists(out_dir, ec);
  // Also clears what a merge killed while staging left.
  Status s = PrepareOwnedDir(out_dir, {kStagingPrefix});
  if (!s.ok()) return s;
  const fs::path staging = fs::path(out_dir) / fmt::format("{}{}", kStagingPrefix, ::getpid());
  const fs::path failures = fs::path(out_dir) / "failures";
  bool moved = false;
  s = reports::StageShardEvidence(folders, merged, staging.string());
  if (s.ok()) s = PrepareOwnedDir(out_dir, kStaleReportFiles);
  if (s.ok() && !fs::is_empty(staging, ec)) {
    fs::rename(staging, failures, ec);
    if (ec) s = Status::IoError("cannot move the evidence into " + failures.string());
    moved = !ec;
  }
  if (s.ok()) s = reports::WriteReports(merged, out_dir);
  if (!s.ok()) {
    fs::remove_all(staging, ec);
    if (moved) fs::remove_all(failures, ec);
    if (!existed) fs::remove_all(out_dir, ec);
    return s;
  }
  fs::remove_all(staging, ec);  // empty when no shard kept evidence
  return Status::Ok();
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
  std::vector<reports::ShardFolder> folders;
  for (size_t i = 0; i < shards.size(); ++i) {
    folders.push_back({shards[i].shard, FolderOfReport(report_paths[i])});
  }
  if (Status s = reports::PointReplayLinesAtMerge(folders, LineDir(out_dir), &merged); !s.ok()) {
    return Refuse(s.message());
  }
  if (Status s = WriteMerged(folders, merged, out_dir); !s.ok()) {
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
    merge
        ->add_option("--out", out_,
                     "folder for the merged report (report.json, .txt, .html, junit.xml, "
                     "metrics.prom) and the shards' evidence (failures/shard-I-of-N/)")
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
