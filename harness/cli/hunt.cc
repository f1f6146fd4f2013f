#include "harness/cli/hunt.h"

#include <fmt/format.h>

#include "harness/check/hunt.h"
#include "harness/check/hunt_report.h"
#include "reports/step_summary.h"
#include "src/atomic_file.h"

namespace powercut::harness {
namespace {

constexpr int kPass = 0, kFail = 1, kHarness = 2, kInterrupted = 130;

}  // namespace

int HuntCommand(const CheckOptions& o, const GenLimits& limits) {
  HuntResult r;
  RunHunt(o, limits, &r);
  const std::string dir = o.report_dir;
  Status s = WriteFileAtomically(dir + "/check-report.json", HuntJson(o, limits, r).dump(2) + "\n");
  if (s.ok()) s = WriteFileAtomically(dir + "/report.txt", HuntText(o, r));
  if (s.ok()) s = WriteFileAtomically(dir + "/metrics.prom", HuntPrometheus(r));
  if (!s.ok()) {
    fmt::print(stderr, "powercut: cannot write the hunt's report in {}: {}\n", dir, s.message());
    return kHarness;
  }
  fmt::print("{}", HuntText(o, r));
  if (Status m = reports::AppendStepSummary(HuntMarkdown(o, r)); !m.ok())
    fmt::print(stderr, "powercut check: {}\n", m.message());
  fmt::print("powercut check: report in {}/check-report.json\n", dir);
  const std::string status = HuntStatus(r);
  if (status == "interrupted") return kInterrupted;
  if (status == "error") {
    fmt::print(stderr, "powercut: check failed to run: {}\n", r.error);
    return kHarness;
  }
  return status == "fail" ? kFail : kPass;
}

}  // namespace powercut::harness
