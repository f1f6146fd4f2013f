// report.txt: what an engineer reads first. The first line alone answers "did it pass?",
// and says INCOMPLETE when the run was cut short, so a truncated run is never mistaken for
// a clean one. Each failure ends in the one command that reproduces it. The live /summary
// of `--metrics-port` is the same text for the run so far (`running`), so the two never
// drift apart.
#include <map>

#include <fmt/format.h>

#include "reports/join.h"
#include "reports/report_writer.h"
#include "reports/summary.h"

namespace powercut::reports {
namespace {

// Findings printed per failure; report.json keeps up to kMaxFindingsPerCycle.
constexpr size_t kTextFindings = 10;
// Failures a live summary prints, the latest ones: a --keep-going run may have thousands,
// and a scrape must stay small. report.txt prints every one.
constexpr size_t kLiveFailures = 10;

std::string CycleName(const CycleResult& c) {
  std::string name = fmt::format("chain-{} cycle {} {}", c.chain, c.cycle, c.fault);
  return c.shard.empty() ? name : "shard " + c.shard + " " + name;
}

std::string FirstLine(const RunResult& run, const Summary& s, bool running) {
  if (running) {
    return fmt::format("powercut RUNNING: {} cycles so far, {} failed, seed {}", s.cycles, s.failed,
                       run.seed);
  }
  if (!run.complete) {
    return fmt::format("powercut INCOMPLETE ({}): the run stopped early; {} cycles ran, {} failed",
                       run.incomplete_reason.empty() ? "no reason given" : run.incomplete_reason,
                       s.cycles, s.failed);
  }
  if (s.failed > 0) {
    return fmt::format("powercut FAIL: {} of {} cycles failed ({}), seed {}", s.failed, s.cycles,
                       CountsToString(s.verdicts_by_class), run.seed);
  }
  return fmt::format("powercut PASS: all {} cycles passed, seed {}", s.cycles, run.seed);
}

// The failing crash states of a cycle's exploration, each with its replay line.
std::string StateFailuresText(const Exploration& e) {
  if (e.failures.empty()) return "";
  std::string out = fmt::format("    crash states: {} of {} failed ({})\n", e.failed, e.states(),
                                CountsToString(e.classes));
  for (const StateFailure& f : e.failures) {
    out += fmt::format("    - {}: {} (ops {}..{}, recovered {}): {}\n", f.state,
                       Join(f.classes, ", "), f.lo, f.hi, f.recovered, f.detail);
    if (!f.narrative.empty()) out += "      " + f.narrative + "\n";
    if (!f.features.empty()) out += "      features: " + f.features + "\n";
    for (size_t i = 0; i < f.findings.size() && i < 3; ++i) {
      const KeyFinding& k = f.findings[i];
      out +=
          fmt::format("      {} {}: expected {}, found {}\n", k.key, k.klass, k.expected, k.found);
    }
    out += "      replay: " + f.reproduce + "\n";
  }
  if (e.failed > e.failures.size()) {
    out += fmt::format("    ... {} more failing states (counted above)\n",
                       e.failed - e.failures.size());
  }
  return out;
}

// io-error cycles: how many injected their error (metric io_errors_injected), by site.
std::string IoErrorsLine(const RunResult& run) {
  uint64_t planned = 0, injected = 0;
  std::map<std::string, uint64_t> sites;
  for (const CycleResult& c : run.cycles) {
    if (c.io_error.empty()) continue;
    ++planned;
    auto it = c.metrics.find("io_errors_injected");
    if (it == c.metrics.end() || it->second <= 0) continue;
    ++injected;
    ++sites[c.io_error.substr(0, c.io_error.find(':'))];
  }
  if (planned == 0) return "";
  return fmt::format("{} of {} io-error cycles injected their error{}{}", injected, planned,
                     sites.empty() ? "" : ": ", CountsToString(sites));
}

}  // namespace

std::string ToText(const RunResult& run, bool running) {
  Summary s = Summarize(run);
  if (running) s.status = "running";
  std::string out = FirstLine(run, s, running) + "\n\n";
  auto row = [&out](const char* label, const std::string& value) {
    out += fmt::format("{:<11}{}\n", label, value);
  };
  row("seed:", std::to_string(run.seed));
  if (!run.shard.empty()) row("shard:", run.shard);
  row("contract:", run.contract.empty() ? "(not recorded)" : run.contract);
  row("status:", s.status);
  row("cycles:", fmt::format("{} ({} passed, {} failed)", s.cycles, s.passed, s.failed));
  row("verdicts:",
      fmt::format("PASS {}{}{}", s.passed, s.verdicts_by_class.empty() ? "" : ", ",
                  s.verdicts_by_class.empty() ? "" : CountsToString(s.verdicts_by_class)));
  row("faults:", CountsToString(s.faults_seen));
  if (const std::string io = IoErrorsLine(run); !io.empty()) row("io errors:", io);
  row("speed:", fmt::format("{:.2f} cycles/s over {:.1f} s", s.cycles_per_second, run.duration_s));
  row("recovery:", fmt::format("min {:.1f} ms, median {:.1f} ms, max {:.1f} ms", s.recovery_ms_min,
                               s.recovery_ms_median, s.recovery_ms_max));
  if (s.crash_states.states() > 0) {
    row("states:", "crash states " + CrashStatesToString(s.crash_states));
    row("coverage:", fmt::format("{} feature combinations of crash states (report.json "
                                 "summary.crash_states.coverage)",
                                 s.crash_states.coverage.size()));
  }
  row("plan:", run.plan.is_null()
                   ? "{}"
                   : run.plan.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!run.tool_version.empty()) row("version:", "powercut " + run.tool_version);
  if (!run.started_at.empty()) row("started:", run.started_at);
  if (!s.metrics.empty()) {
    out += "\nmetrics (min / median / p95 / max over the cycles that recorded each):\n";
    for (const auto& [name, d] : s.metrics) {
      out += fmt::format("  {:<28} {:.6g} / {:.6g} / {:.6g} / {:.6g}  ({} cycles)\n", name, d.min,
                         d.median, d.p95, d.max, d.count);
    }
  }

  if (s.failed == 0) return out;
  out += fmt::format("\nfailures ({}):\n", s.failed);
  const uint64_t skipped = running && s.failed > kLiveFailures ? s.failed - kLiveFailures : 0;
  if (skipped > 0) {
    out +=
        fmt::format("\n  ... {} earlier failures; the latest {} follow, report.txt will list all\n",
                    skipped, kLiveFailures);
  }
  uint64_t seen = 0;
  for (const CycleResult& c : run.cycles) {
    if (!Failed(c) || seen++ < skipped) continue;
    out += fmt::format("\n  {}: {}\n", CycleName(c),
                       c.classes.empty() ? "(no class)" : Join(c.classes, ", "));
    out +=
        fmt::format("    lo {}  hi {}  acked {}  recovered {}  mismatches {}  recovery {:.1f} ms\n",
                    c.lo, c.hi, c.acked, c.recovered, c.mismatches, c.recovery_ms);
    if (!c.detail.empty()) out += "    detail: " + c.detail + "\n";
    for (size_t i = 0; i < c.findings.size() && i < kTextFindings; ++i) {
      const KeyFinding& f = c.findings[i];
      out += fmt::format("    {} {}: expected {}, found {}\n", f.key, f.klass, f.expected, f.found);
    }
    // Keys beyond those printed are still counted, so the reader knows the list is cut.
    const uint64_t shown = std::min<uint64_t>(c.findings.size(), kTextFindings);
    if (c.mismatches > shown) {
      out += fmt::format("    ... {} more mismatching keys\n", c.mismatches - shown);
    }
    out += "    reproduce: " + ReproduceCommand(c) + "\n";
    out += StateFailuresText(c.explored);
  }
  return out;
}

}  // namespace powercut::reports
