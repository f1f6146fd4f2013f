#include "reports/step_summary.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "reports/join.h"
#include "reports/summary.h"

namespace powercut::reports {

std::string StepSummaryMarkdown(const RunResult& run, const std::string& title) {
  const Summary s = Summarize(run);
  const char* word = s.status == "incomplete" ? "INCOMPLETE" : s.status == "fail" ? "FAIL" : "PASS";
  std::string md = fmt::format("### powercut {}: {}\n\n", title, word);
  md += fmt::format("- seed {}{}, contract `{}`\n", run.seed,
                    run.shard.empty() ? "" : ", shard " + run.shard, run.contract);
  md += fmt::format("- {} cycles: {} passed, {} failed ({}); faults: {}\n", s.cycles, s.passed,
                    s.failed, CountsToString(s.verdicts_by_class), CountsToString(s.faults_seen));
  if (!run.complete) md += "- incomplete: " + run.incomplete_reason + "\n";
  size_t listed = 0;
  for (const CycleResult& c : run.cycles) {
    if (!Failed(c)) continue;
    if (listed++ == 0)
      md += "\n| cycle | chain | fault | classes | reproduce |\n|---|---|---|---|---|\n";
    if (listed > kStepSummaryFailures) continue;
    md += fmt::format("| {}{} | {} | {} | {} | `{}` |\n", c.shard.empty() ? "" : c.shard + " ",
                      c.cycle, c.chain, c.fault, Join(c.classes, ", "), ReproduceCommand(c));
  }
  if (listed > kStepSummaryFailures) {
    md += fmt::format("\n{} more failures in report.txt\n", listed - kStepSummaryFailures);
  }
  return md + "\n";
}

Status AppendStepSummary(const std::string& markdown) {
  const char* path = std::getenv("GITHUB_STEP_SUMMARY");
  if (path == nullptr || *path == '\0') return Status::Ok();
  // O_APPEND: every step of a job appends to the one file, ours among them.
  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IoError(
        fmt::format("cannot open GITHUB_STEP_SUMMARY {}: {}", path, std::strerror(errno)));
  }
  size_t done = 0;
  while (done < markdown.size()) {
    const ssize_t n = ::write(fd, markdown.data() + done, markdown.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Status::IoError(fmt::format("cannot write GITHUB_STEP_SUMMARY {}: {}", path, why));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return Status::Ok();
}

}  // namespace powercut::reports
