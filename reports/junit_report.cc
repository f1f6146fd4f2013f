// junit.xml: what CI dashboards show. One testcase per cycle, so a red cycle is a red row
// with its classes, keys and reproduce line; an interrupted run adds an error testcase,
// because a dashboard counting only failures would show an interrupted run as green.
#include <cstdint>

#include <fmt/format.h>

#include "reports/join.h"
#include "reports/report_writer.h"
#include "reports/summary.h"
#include "reports/xml_escape.h"

namespace powercut::reports {
namespace {

// Keys named in a failure's message attribute; the body lists all findings in the report.
constexpr size_t kMessageKeys = 10;

std::string FailureMessage(const RunResult& run, const CycleResult& c) {
  std::string msg =
      (c.classes.empty() ? std::string("FAIL") : Join(c.classes, ", ")) +
      fmt::format(" at seed {}, chain {}, cycle {} (lo {}, hi {}, acked {}, recovered {})",
                  run.seed, c.chain, c.cycle, c.lo, c.hi, c.acked, c.recovered);
  if (!c.findings.empty()) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < c.findings.size() && i < kMessageKeys; ++i) {
      keys.push_back(c.findings[i].key);
    }
    msg += "; keys " + Join(keys, ", ");
    if (c.mismatches > keys.size()) msg += fmt::format(" and {} more", c.mismatches - keys.size());
  } else if (!c.detail.empty()) {
    msg += "; " + c.detail;
  }
  return msg + "; reproduce: " + ReproduceCommand(c);
}

std::string FailureBody(const CycleResult& c) {
  std::string body = fmt::format("lo {} hi {} acked {} recovered {} mismatches {} resume {}\n",
                                 c.lo, c.hi, c.acked, c.recovered, c.mismatches, c.resume);
  if (!c.detail.empty()) body += "detail: " + c.detail + "\n";
  for (const KeyFinding& f : c.findings) {
    body += fmt::format("{} {}: expected {}, found {}\n", f.key, f.klass, f.expected, f.found);
  }
  return body + "reproduce: " + ReproduceCommand(c) + "\n";
}

}  // namespace

std::string ToJunit(const RunResult& run) {
  const Summary s = Summarize(run);
  const uint64_t errors = run.complete ? 0 : 1;
  std::string suite_attrs = fmt::format(
      "name=\"powercut\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" "
      "time=\"{:.3f}\"",
      s.cycles + errors, s.failed, errors, run.duration_s);
  if (!run.started_at.empty()) suite_attrs += " timestamp=\"" + XmlEscape(run.started_at) + "\"";

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"powercut\" tests=\"{}\" failures=\"{}\" errors=\"{}\" "
      "time=\"{:.3f}\">\n",
      s.cycles + errors, s.failed, errors, run.duration_s);
  out += "  <testsuite " + suite_attrs + ">\n";
  out += "    <properties>\n";
  auto property = [&out](const char* name, const std::string& value) {
    out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", name, XmlEscape(value));
  };
  property("seed", std::to_string(run.seed));
  property("contract", run.contract);
  property("shard", run.shard);
  property("status", s.status);
  property("tool_version", run.tool_version);
  property("crash_states_judged", std::to_string(s.crash_states.states()));
  property("crash_states_distinct", std::to_string(s.crash_states.distinct));
  property("crash_states_failed", std::to_string(s.crash_states.failed));
  out += "    </properties>\n";

  for (const CycleResult& c : run.cycles) {
    std::string name = fmt::format("chain-{} cycle {} {}", c.chain, c.cycle, c.fault);
    if (!c.shard.empty()) name = "shard " + c.shard + " " + name;
    out += fmt::format("    <testcase classname=\"powercut.chain-{}\" name=\"{}\" time=\"{:.3f}\"",
                       c.chain, XmlEscape(name), c.cycle_ms / 1000);
    if (!Failed(c)) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    // What test-report viewers show beside the failure, each on its own line.
    out += "      <properties>\n";
    for (const auto& [name, value] :
         {std::pair<const char*, std::string>{"seed", std::to_string(run.seed)},
          {"shard", c.shard.empty() ? run.shard : c.shard},
          {"chain", std::to_string(c.chain)},
          {"cycle", std::to_string(c.cycle)},
          {"fault", c.fault},
          {"class", Join(c.classes, ",")},
          {"reproduce", ReproduceCommand(c)},
          {"crash_states", std::to_string(c.explored.states())},
          {"crash_states_failed", std::to_string(c.explored.failed)},
          {"first_failing_state",
           c.explored.failures.empty() ? "" : c.explored.failures.front().state}}) {
      out += fmt::format("        <property name=\"{}\" value=\"{}\"/>\n", name, XmlEscape(value));
    }
    out += "      </properties>\n";
    out += fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                       XmlEscape(c.classes.empty() ? std::string("FAIL") : Join(c.classes, ",")),
                       XmlEscape(FailureMessage(run, c)),
                       XmlEscape(FailureBody(c), /*attribute=*/false));
    out += "    </testcase>\n";
  }
  if (!run.complete) {
    const std::string why =
        run.incomplete_reason.empty() ? "no reason given" : run.incomplete_reason;
    out += "    <testcase classname=\"powercut\" name=\"run interrupted\" time=\"0\">\n";
    out += fmt::format(
        "      <error type=\"incomplete\" message=\"{}\"/>\n",
        XmlEscape(fmt::format("the run did not complete ({}); the report covers only the {} cycles "
                              "that ran",
                              why, s.cycles)));
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace powercut::reports
