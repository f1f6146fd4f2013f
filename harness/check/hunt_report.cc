#include "harness/check/hunt_report.h"

#include <fmt/format.h>

namespace powercut::harness {
namespace {

using nlohmann::json;

json FindingJson(const Finding& f) {
  return {{"signature",
           {{"classes", f.signature.classes},
            {"features", f.signature.features},
            {"error", f.signature.error},
            {"key", f.signature.Key()}}},
          {"classes", f.shrunk.outcome.classes},
          {"count", f.count},
          {"first_seen_seconds", f.first_seen_s},
          {"first_seen_case", f.first_seen_case},
          {"cycle", f.failure.cycle},
          {"state", f.failure.state},
          {"detail", f.failure.detail},
          {"narrative", f.failure.narrative},
          {"shrink_runs", f.shrink_runs},
          {"original", f.first.ToJson()},
          {"shrunk", f.shrunk.ToJson()},
          {"reproduce", f.shrunk.Reproduce()},
          {"replay", f.ReplayLine()},
          {"evidence", f.evidence_dir}};
}

}  // namespace

std::string HuntStatus(const HuntResult& r) {
  if (r.interrupted) return "interrupted";
  if (!r.error.empty()) return "error";
  return r.findings.empty() ? "pass" : "fail";
}

json HuntJson(const CheckOptions& o, const GenLimits& l, const HuntResult& r) {
  const std::string status = HuntStatus(r);
  json findings = json::array();
  for (const Finding& f : r.findings) findings.push_back(FindingJson(f));
  json timeline = json::array();
  for (const CoveragePoint& p : r.timeline)
    timeline.push_back({p.seconds, p.cases, p.combinations, p.findings});
  json runs = json::array();
  for (const RunRecord& run : r.runs) runs.push_back(run.ToJson());
  return {{"schema", "powercut-check/1"},
          {"mode", "hunt"},
          {"seed", o.seed},
          {"duration_ms", o.duration_ms},
          {"max_cases", o.max_cases},
          {"search", o.guided ? "guided" : "uniform"},
          {"cycles_per_case", o.cycles_per_case},
          {"complete", status == "pass" || status == "fail"},
          {"status", status},
          {"error", r.error},
          {"forced_options", o.forced_options},
          {"extra_run_args", o.extra_run_args},
          {"generated", GeneratedJson(l)},
          {"not_generated", NotGeneratedJson(l)},
          {"summary",
           {{"cases", r.cases},
            {"cases_passed", r.passed},
            {"cases_failed", r.failed},
            {"cases_discarded", r.discarded},
            {"cases_cut_short", r.cut_short},
            {"cases_mutated", r.mutated},
            {"corpus", r.corpus},
            {"shrink_runs", r.shrink_runs},
            {"coverage", r.coverage.size()},
            {"findings", r.findings.size()},
            {"seconds", r.seconds}}},
          {"coverage", r.coverage},
          {"timeline_columns", {"seconds", "cases", "combinations", "findings"}},
          {"timeline", timeline},
          {"findings", findings},
          {"runs", runs}};
}

namespace {

// PASS, FAIL, or the status of a hunt that did not complete.
std::string Headline(const HuntResult& r) {
  const std::string status = HuntStatus(r);
  return status == "pass" ? "PASS" : status == "fail" ? "FAIL" : status;
}

}  // namespace

std::string HuntMarkdown(const CheckOptions& o, const HuntResult& r) {
  std::string md = fmt::format(
      "### powercut check (hunt): {}\n\n- seed {}, {} cases in {:.0f} s, {} feature "
      "combinations, {} distinct findings\n",
      Headline(r), o.seed, r.cases, r.seconds, r.coverage.size(), r.findings.size());
  for (const Finding& f : r.findings) {
    md += fmt::format("- {} (x{}): `{}`\n", f.signature.classes, f.count, f.ReplayLine());
  }
  return md + "\n";
}

std::string HuntText(const CheckOptions& o, const HuntResult& r) {
  std::string out = fmt::format(
      "powercut check (hunt) {}: {} distinct finding{} in {} cases over {:.0f} s, seed {}, {} "
      "search\n\n",
      Headline(r), r.findings.size(), r.findings.size() == 1 ? "" : "s", r.cases, r.seconds, o.seed,
      o.guided ? "guided" : "uniform");
  out += fmt::format(
      "cases:     {} passed, {} failed, {} refused by RocksDB, {} cut short (budget or timeout); "
      "{} "
      "mutated from a corpus of {}; {} shrink runs\n",
      r.passed, r.failed, r.discarded, r.cut_short, r.mutated, r.corpus, r.shrink_runs);
  out += fmt::format("coverage:  {} feature combinations of crash states\n", r.coverage.size());
  if (!r.error.empty()) out += "error:     " + r.error + "\n";
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const Finding& f = r.findings[i];
    out += fmt::format("\nfinding {}: {} (seen {} time{}, first after {:.0f} s and {} cases)\n",
                       i + 1, f.signature.classes, f.count, f.count == 1 ? "" : "s", f.first_seen_s,
                       f.first_seen_case);
    out += "  features:  " + f.signature.features + "\n";
    if (!f.signature.error.empty()) out += "  error:     " + f.signature.error + "\n";
    out += "  detail:    " + f.failure.detail + "\n";
    if (f.failure.narrative != f.failure.detail)
      out += "  narrative: " + f.failure.narrative + "\n";
    out += fmt::format("  shrunk:    {} ({} shrink runs)\n", f.shrunk.c.Describe(), f.shrink_runs);
    out += "  run:       " + f.shrunk.Reproduce() + "\n";
    out += "  replay:    " + f.ReplayLine() + "\n";
  }
  return out;
}

std::string HuntPrometheus(const HuntResult& r) {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, double value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
  };
  metric("powercut_hunt_cases_total", "counter", "search cases run", static_cast<double>(r.cases));
  metric("powercut_hunt_coverage", "gauge", "distinct feature combinations of crash states reached",
         static_cast<double>(r.coverage.size()));
  metric("powercut_hunt_findings", "gauge", "distinct findings",
         static_cast<double>(r.findings.size()));
  uint64_t sightings = 0;
  for (const Finding& f : r.findings) sightings += f.count;
  metric("powercut_hunt_failing_cases_total", "counter", "failing cases, every sighting",
         static_cast<double>(sightings));
  metric("powercut_hunt_seconds", "gauge", "wall time of the hunt", r.seconds);
  return out;
}

}  // namespace powercut::harness
