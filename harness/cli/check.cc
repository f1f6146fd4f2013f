#include "harness/cli/check.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>
#include <rapidcheck.h>

#include "harness/check/gen.h"
#include "harness/check/session.h"
#include "harness/cli/hunt.h"
#include "harness/cli/subcommand.h"
#include "harness/run/data_dir.h"
#include "reports/step_summary.h"
#include "src/atomic_file.h"
#include "src/store_config.h"

namespace powercut::harness {
namespace {

constexpr int kPass = 0, kFail = 1, kBadInput = 2, kInterrupted = 130;

// rapidcheck's own reporting is replaced by ours (progress lines, the summary, the report).
class QuietListener : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

Status Validate(const CheckOptions& o) {
  if (o.tests < 1 || o.tests > 100'000) return Status::BadInput("--tests must be 1 to 100000");
  if (o.cycles_per_case < 1 || o.cycles_per_case > 100'000)
    return Status::BadInput("--cycles-per-case must be 1 to 100000");
  if (::access(o.powercut_path.c_str(), X_OK) != 0)
    return Status::BadInput(o.powercut_path + " is not an executable powercut binary");
  StoreConfig probe;
  for (const std::string& f : o.forced_options) {
    Status s = probe.Add(f);
    if (!s.ok()) return s;
  }
  for (const auto& [flag, given, known] : {std::tuple{"--profile", &o.profiles, &AllProfiles()},
                                           std::tuple{"--fault", &o.faults, &AllFaults()}}) {
    for (const std::string& name : *given) {
      if (std::find(known->begin(), known->end(), name) == known->end())
        return Status::BadInput(
            fmt::format("{} '{}': use one or more of {}", flag, name, Join(*known)));
    }
  }
  for (const auto& [dir, flag] :
       {std::pair{o.work_dir, "--work-dir"}, std::pair{o.report_dir, "--report-dir"}}) {
    Status s = CheckOwnedDir(dir, flag);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

nlohmann::json FailureJson(const CheckSession& s) {
  const RunRecord& shrunk = *s.smallest_failure();
  return {
      {"original", s.first_failure()->ToJson()}, {"shrunk", shrunk.ToJson()},
      {"reproduce", shrunk.Reproduce()},         {"classes", shrunk.outcome.classes},
      {"shrink_steps", s.shrink_steps()},        {"shrink_runs", s.shrink_runs()},
      {"shrink_seconds", s.shrink_seconds()},    {"shrink_budget_exhausted", s.budget_exhausted()}};
}

// The generator's limits for this machine and these options.
GenLimits LimitsFor(const CheckOptions& o) {
  GenLimits limits;
  limits.max_cycles = o.cycles_per_case;
  limits.value_sizes = RunAccepts(o.powercut_path, o.work_dir, kValueSizeFlag);
  limits.forced = o.forced_options;
  if (!o.profiles.empty()) limits.profiles = o.profiles;
  if (!o.faults.empty()) limits.faults = o.faults;
  limits.filter.direct_io = SupportsDirectIo(o.work_dir);
  return limits;
}

// Lets rapidcheck generate, run and shrink cases through `session`. Returns what went wrong
// in rapidcheck itself (it gave up, or failed), or "".
std::string RunProperty(const CheckOptions& o, const GenLimits& limits, CheckSession* session) {
  InterruptScope interrupts;
  // Explicit parameters, never RC_PARAMS: the seed is the user's --seed, so the same
  // command generates the same cases on every machine.
  rc::detail::TestParams params;
  params.seed = o.seed;
  params.maxSuccess = static_cast<int>(o.tests);
  params.maxSize = 100;
  params.maxDiscardRatio = 10;
  rc::detail::TestMetadata metadata;
  metadata.id = metadata.description = "powercut check";
  QuietListener listener;
  const auto gen = GenCheckCase(limits);
  const rc::detail::TestResult result = rc::detail::checkProperty(
      rc::detail::toProperty([&] {
        const CheckSession::Verdict v = session->Evaluate(*gen);
        RC_PRE(v != CheckSession::Verdict::kDiscard);  // RocksDB refused the options
        RC_ASSERT(v == CheckSession::Verdict::kPass);
      }),
      metadata, params, listener, {});
  if (rc::detail::GaveUpResult g; result.match(g)) {
    return fmt::format("gave up: RocksDB refused {} generated cases for {} that passed",
                       session->discarded(), g.numSuccess);
  }
  if (rc::detail::Error e; result.match(e)) return "rapidcheck: " + e.description;
  return "";
}

nlohmann::json ReportJson(const CheckOptions& o, const GenLimits& limits,
                          const CheckSession& session, const std::string& status,
                          const std::string& error, double seconds) {
  return {{"schema", "powercut-check/1"},
          {"seed", o.seed},
          {"tests", o.tests},
          {"cycles_per_case", o.cycles_per_case},
          {"complete", status == "pass" || status == "fail"},
          {"status", status},
          {"error", error},
          {"forced_options", o.forced_options},
          {"extra_run_args", o.extra_run_args},
          {"generated", GeneratedJson(limits)},
          {"not_generated", NotGeneratedJson(limits)},
          {"summary",
           {{"cases_passed", session.passed()},
            {"cases_discarded", session.discarded()},
            {"runs", session.runs()},
            {"shrink_runs", session.shrink_runs()},
            {"seconds", seconds}}},
          {"runs", session.RunsJson()},
          {"failure", session.first_failure() ? FailureJson(session) : nlohmann::json(nullptr)}};
}

void PrintOutcome(const CheckOptions& o, const CheckSession& session, const std::string& status,
                  double seconds) {
  if (const auto& best = session.smallest_failure(); best) {
    const RunRecord& first = *session.first_failure();
    fmt::print(
        "powercut check: FAIL: case {} of seed {} failed ({}); shrunk in {} steps ({} runs, "
        "{:.0f} s{}) to:\n  {}\n  classes: {}\n  reproduce: {}\n",
        first.run, o.seed, Join(first.outcome.classes), session.shrink_steps(),
        session.shrink_runs(), session.shrink_seconds(),
        session.budget_exhausted() ? ", shrink budget used up" : "", best->c.Describe(),
        Join(best->outcome.classes), best->Reproduce());
  } else if (status == "pass") {
    fmt::print("powercut check: {} cases passed ({} refused by RocksDB), seed {}, {:.0f} s\n",
               session.passed(), session.discarded(), o.seed, seconds);
  }
}

// The job summary of a check: its status and, on a finding, the shrunk case's reproduce line.
void AppendCheckSummary(const CheckOptions& o, const CheckSession& session,
                        const std::string& status) {
  std::string md = fmt::format("### powercut check: {}\n\n- seed {}, {} cases passed\n",
                               status == "pass"   ? "PASS"
                               : status == "fail" ? "FAIL"
                                                  : status,
                               o.seed, session.passed());
  if (const auto& best = session.smallest_failure(); best) {
    md += fmt::format("- classes: {}\n- reproduce: `{}`\n", Join(best->outcome.classes),
                      best->Reproduce());
  }
  if (Status s = reports::AppendStepSummary(md + "\n"); !s.ok())
    fmt::print(stderr, "powercut check: {}\n", s.message());
}

}  // namespace

int CheckCommand(const CheckOptions& o) {
  Status s = Validate(o);
  for (const auto& [dir, stale] : {std::pair{o.work_dir, std::vector<std::string>{"case-"}},
                                   std::pair{o.report_dir, std::vector<std::string>{}}}) {
    if (s.ok()) s = PrepareOwnedDir(dir, stale);
  }
  if (!s.ok()) {
    fmt::print(stderr, "powercut: {}\n", s.message());
    return kBadInput;
  }
  const GenLimits limits = LimitsFor(o);
  if (o.duration_ms > 0) return HuntCommand(o, limits);
  const auto t0 = std::chrono::steady_clock::now();
  CheckSession session(o);
  const std::string rc_error = RunProperty(o, limits, &session);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::string status = "pass", error = session.error();
  if (session.interrupted()) {
    status = "interrupted";
  } else if (!error.empty()) {
    status = "error";
  } else if (session.first_failure()) {
    status = "fail";
  } else if (!rc_error.empty()) {
    status = "error";
    error = rc_error;
  }
  const std::string report_path = o.report_dir + "/check-report.json";
  s = WriteFileAtomically(report_path,
                          ReportJson(o, limits, session, status, error, seconds).dump(2) + "\n");
  if (!s.ok()) {
    fmt::print(stderr, "powercut: cannot write {}: {}\n", report_path, s.message());
    return kBadInput;
  }
  PrintOutcome(o, session, status, seconds);
  AppendCheckSummary(o, session, status);
  fmt::print("powercut check: report in {}\n", report_path);
  if (status == "interrupted") return kInterrupted;
  if (!error.empty()) {
    fmt::print(stderr, "powercut: check failed to run: {}\n", error);
    return kBadInput;
  }
  return status == "fail" ? kFail : kPass;
}

namespace {

class CheckSubcommand : public Subcommand {
 public:
  CLI::App* Register(CLI::App* app) override {
    CLI::App* check = app->add_subcommand(
        "check", "property run: generate cases, run each with powercut run, shrink a failure");
    check->add_option("--seed", seed_, "rapidcheck seed: the same seed generates the same cases")
        ->capture_default_str();
    tests_ = check
                 ->add_option("--tests", o_.tests,
                              "cases that must pass (with --duration: most search cases, if given)")
                 ->capture_default_str();
    check->add_option("--duration", duration_,
                      "hunt: search this long, e.g. 30m, going on after findings and reporting "
                      "each distinct one once");
    check->add_option("--search", search_, "hunt: guided (coverage feedback) or uniform")
        ->capture_default_str();
    cycles_ = check->add_option("--cycles-per-case", o_.cycles_per_case,
                                fmt::format("most cycles in a case (default {}, hunt {})",
                                            o_.cycles_per_case, kHuntCyclesPerCase));
    check
        ->add_option("--profile", o_.profiles,
                     "draw cases of these workload profiles only, e.g. puts,cf (default: all)")
        ->delimiter(',');
    check
        ->add_option("--fault", o_.faults,
                     "draw cases with these faults only, e.g. power-cut,io-error (default: all)")
        ->delimiter(',');
    check->add_option("--work-dir", o_.work_dir, "scratch folder for the cases' runs")
        ->capture_default_str();
    check->add_option("--report-dir", o_.report_dir, "where check-report.json goes")
        ->capture_default_str();
    check->add_flag("--test-lie-ack", lie_ack_, "")->group("");            // tests only
    check->add_flag("--test-expect-acked", expect_acked_, "")->group("");  // tests only
    check->add_option("--test-lose-when-wals", lose_when_wals_, "")->group("");
    check->add_option("--test-option", o_.forced_options, "")->group("");
    check->add_option("--test-max-shrink-ms", o_.max_shrink_ms, "")->group("");
    shrink_runs_ = check->add_option("--test-max-shrink-runs", o_.max_shrink_runs, "")->group("");
    return check;
  }

  int Execute() override {
    Status s = ParseSeed("--seed", seed_, &o_.seed);
    if (!s.ok()) return BadInput(s.message());
    if (!duration_.empty()) {
      if (s = ParseDuration(duration_, &o_.duration_ms); !s.ok()) return BadInput(s.message());
      if (tests_->count() > 0) o_.max_cases = o_.tests;
      if (cycles_->count() == 0) o_.cycles_per_case = kHuntCyclesPerCase;
      if (shrink_runs_->count() > 0) o_.shrink_runs_per_finding = o_.max_shrink_runs;
    }
    if (search_ != "guided" && search_ != "uniform")
      return BadInput("--search '" + search_ + "': use guided or uniform");
    if (search_ == "uniform" && duration_.empty())
      return BadInput("--search applies to the hunt: give --duration too");
    o_.guided = search_ == "guided";
    if (lie_ack_) o_.extra_run_args.push_back("--test-lie-ack");
    if (!lose_when_wals_.empty())
      o_.extra_run_args.insert(o_.extra_run_args.end(), {"--test-lose-when-wals", lose_when_wals_});
    if (expect_acked_) o_.extra_run_args.insert(o_.extra_run_args.end(), {"--expect", "acked"});
    o_.powercut_path = SelfPath();
    return CheckCommand(o_);
  }

 private:
  static constexpr uint32_t kHuntCyclesPerCase = 200;
  CheckOptions o_;
  std::string seed_ = "1";
  std::string duration_;
  std::string lose_when_wals_;
  std::string search_ = "guided";
  CLI::Option* tests_ = nullptr;
  CLI::Option* cycles_ = nullptr;
  CLI::Option* shrink_runs_ = nullptr;
  bool lie_ack_ = false, expect_acked_ = false;
};

}  // namespace

std::unique_ptr<Subcommand> NewCheckSubcommand() { return std::make_unique<CheckSubcommand>(); }

}  // namespace powercut::harness
