#include "reports/gate.h"

#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "reports/report_writer.h"
#include "reports/summary.h"

namespace powercut::reports {
namespace {

// The shards a report covers: {"I/N"} for a shard, the list of a merged report, {""} for an
// unsharded run. Two reports of one seed and plan covering the same shard are the same
// cycles counted twice, which must not help a run past --min-cycles.
std::vector<std::string> CoveredShards(const std::string& shard) {
  const std::string prefix = "merged ";
  if (shard.rfind(prefix, 0) != 0) return {shard};
  std::vector<std::string> out;
  std::string rest = shard.substr(prefix.size());
  size_t start = 0;
  while (start <= rest.size()) {
    size_t comma = rest.find(',', start);
    if (comma == std::string::npos) comma = rest.size();
    out.push_back(rest.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> GateReasons(const std::vector<nlohmann::json>& reports,
                                     const GateOptions& opts) {
  std::vector<std::string> reasons;
  if (reports.empty()) {
    reasons.push_back("no report given: the gate needs at least one report.json");
    return reasons;
  }
  uint64_t total_cycles = 0;
  std::map<std::string, uint64_t> faults;
  // (seed + plan) -> shard -> label of the report that covered it first.
  std::map<std::string, std::map<std::string, std::string>> covered;

  for (size_t i = 0; i < reports.size(); ++i) {
    const std::string label = i < opts.labels.size() && !opts.labels[i].empty()
                                  ? opts.labels[i]
                                  : fmt::format("report {}", i + 1);
    RunResult run;
    if (Status s = FromJson(reports[i], &run); !s.ok()) {
      // FromJson checks the version first, so an unknown version reads as such rather than
      // as a list of fields that merely look wrong.
      const bool version = s.message().find("'schema_version'") != std::string::npos;
      reasons.push_back(label + (version ? ": unknown schema: " : ": schema violation: ") +
                        s.message());
      continue;
    }
    const Summary sum = Summarize(run);

    const std::string run_key = std::to_string(run.seed) + " " + run.plan.dump();
    bool duplicate = false;
    for (const std::string& shard : CoveredShards(run.shard)) {
      auto [it, fresh] = covered[run_key].emplace(shard, label);
      if (!fresh) {
        reasons.push_back(fmt::format("{}: repeats {} of seed {} already given in {}", label,
                                      shard.empty() ? std::string("the run") : "shard " + shard,
                                      run.seed, it->second));
        duplicate = true;
        break;
      }
    }
    if (!run.complete) {
      reasons.push_back(fmt::format(
          "{}: incomplete ({}) after {} cycles: an interrupted run never passes", label,
          run.incomplete_reason.empty() ? "no reason given" : run.incomplete_reason, sum.cycles));
    }
    if (sum.failed > 0) {
      const CycleResult* first = nullptr;
      for (const CycleResult& c : run.cycles) {
        if (Failed(c)) {
          first = &c;
          break;
        }
      }
      reasons.push_back(
          fmt::format("{}: {} of {} cycles failed ({}); first: cycle {}, reproduce: {}", label,
                      sum.failed, sum.cycles, CountsToString(sum.verdicts_by_class), first->cycle,
                      ReproduceCommand(*first)));
    }
    if (duplicate) continue;
    total_cycles += sum.cycles;
    for (const auto& [kind, n] : sum.faults_seen) faults[kind] += n;
  }

  if (total_cycles < opts.min_cycles) {
    reasons.push_back(fmt::format("only {} cycles in valid reports, --min-cycles requires {}",
                                  total_cycles, opts.min_cycles));
  }
  for (const std::string& kind : opts.required_faults) {
    if (!faults.count(kind)) {
      reasons.push_back(fmt::format("required fault '{}' was never exercised (faults seen: {})",
                                    kind, CountsToString(faults)));
    }
  }
  return reasons;
}

std::vector<std::string> HuntGateReasons(const nlohmann::json& j, const std::string& label) {
  std::vector<std::string> reasons;
  if (!j.is_object() || j.value("schema", "") != "powercut-check/1" ||
      j.value("mode", "") != "hunt")
    return {label + ": not the check-report.json of a hunt (powercut check --duration)"};
  const std::string status = j.value("status", "");
  if (!j.value("complete", false) || (status != "pass" && status != "fail")) {
    reasons.push_back(fmt::format("{}: the hunt is incomplete (status {}{})", label, status,
                                  j.value("error", "").empty() ? "" : ": " + j.value("error", "")));
  }
  const nlohmann::json summary = j.value("summary", nlohmann::json::object());
  if (summary.value("cases", uint64_t{0}) == 0)
    reasons.push_back(label + ": the hunt ran no case: it proves nothing");
  const nlohmann::json findings = j.value("findings", nlohmann::json::array());
  for (size_t i = 0; i < findings.size(); ++i) {
    const nlohmann::json& f = findings[i];
    const nlohmann::json sig = f.value("signature", nlohmann::json::object());
    reasons.push_back(fmt::format("{}: finding {}: {} (seen {} times): {}", label, i + 1,
                                  sig.value("classes", "?"), f.value("count", uint64_t{0}),
                                  f.value("replay", "")));
  }
  return reasons;
}

}  // namespace powercut::reports
