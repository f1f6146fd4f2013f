#include "reports/prometheus.h"

#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "reports/summary.h"

namespace powercut::reports {
namespace {

// How one report.json metric is exposed: Prometheus wants base units in the name (seconds,
// bytes) and one family with a label where report.json has name variants (block_cache_hit,
// block_cache_miss), so the names differ from report.json's on purpose.
struct Exposed {
  std::string family;  // full name, powercut_...
  std::string labels;  // e.g. `result="hit"`, or empty
  // Divides the value into the family's unit: a division by 1000 is correctly rounded, so
  // 51 ms reads 0.051 s, where a multiplication by 1e-3 would print 0.051000000000000004.
  double divisor = 1;
  std::string help;
};

// The metrics the harness records (cycles[].metrics and the two cycle fields).
const std::map<std::string, Exposed>& KnownMetrics() {
  static const auto* known = new std::map<std::string, Exposed>{
      {"recovery_ms",
       {"powercut_cycle_recovery_seconds", "", 1e3,
        "time RocksDB took to open the store after the fault, seconds"}},
      {"cycle_ms", {"powercut_cycle_duration_seconds", "", 1e3, "wall time of a cycle, seconds"}},
      {"start_to_ready_ms",
       {"powercut_cycle_start_to_ready_seconds", "", 1e3,
        "writer process start to its ready line (spawn and open), seconds"}},
      {"verify_ms",
       {"powercut_cycle_verify_seconds", "", 1e3, "verification of the recovered store, seconds"}},
      {"ops_acked",
       {"powercut_cycle_ops_acked", "", 1, "ops acknowledged to the controller in a cycle"}},
      {"fs_events",
       {"powercut_cycle_fs_events", "", 1, "file-system events the ledger recorded in a cycle"}},
      {"cut_bytes", {"powercut_cycle_cut_bytes", "", 1, "bytes a power cut rolled back"}},
      {"crash_states", {"powercut_cycle_crash_states", "", 1, "crash states judged in a cycle"}},
      {"estimate_num_keys",
       {"powercut_rocksdb_estimate_num_keys", "", 1,
        "rocksdb.estimate-num-keys of the recovered store"}},
      {"total_sst_files_bytes",
       {"powercut_rocksdb_total_sst_files_size_bytes", "", 1,
        "rocksdb.total-sst-files-size of the recovered store, bytes"}},
      {"num_immutable_mem_table",
       {"powercut_rocksdb_num_immutable_mem_table", "", 1,
        "rocksdb.num-immutable-mem-table of the recovered store"}},
      {"block_cache_hit",
       {"powercut_rocksdb_block_cache_lookups", "result=\"hit\"", 1,
        "block cache lookups (statistics) while recovering and verifying, by result"}},
      {"block_cache_miss",
       {"powercut_rocksdb_block_cache_lookups", "result=\"miss\"", 1,
        "block cache lookups (statistics) while recovering and verifying, by result"}},
      {"compaction_cpu_us",
       {"powercut_rocksdb_compaction_cpu_seconds", "", 1e6,
        "compaction CPU time (statistics), seconds"}},
      {"write_stall_us",
       {"powercut_rocksdb_write_stall_seconds", "", 1e6,
        "time writes were stalled (statistics STALL_MICROS), seconds"}},
  };
  return *known;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A metric the table does not know: num_files_at_level<N> becomes a `level` label; a unit
// suffix becomes the base unit (_ms, _us, _ns -> _seconds, the value scaled); a `_total`
// tail is dropped, since it is reserved for counters and these are per-cycle summaries.
Exposed ExposedAs(const std::string& metric) {
  auto known = KnownMetrics().find(metric);
  if (known != KnownMetrics().end()) return known->second;
  const std::string level_prefix = "num_files_at_level";
  if (metric.size() > level_prefix.size() && metric.rfind(level_prefix, 0) == 0 &&
      metric.find_first_not_of("0123456789", level_prefix.size()) == std::string::npos) {
    return {"powercut_rocksdb_num_files_at_level",
            fmt::format("level=\"{}\"", metric.substr(level_prefix.size())), 1,
            "rocksdb.num-files-at-level<N> of the recovered store, by level"};
  }
  std::string stem = metric;
  if (EndsWith(stem, "_total")) stem.resize(stem.size() - 6);
  double divisor = 1;
  for (const auto& [suffix, factor] :
       {std::pair{"_ms", 1e3}, {"_us", 1e6}, {"_ns", 1e9}, {"_s", 1.0}}) {
    if (EndsWith(stem, suffix)) {
      stem = stem.substr(0, stem.size() - std::string(suffix).size()) + "_seconds";
      divisor = factor;
      break;
    }
  }
  return {"powercut_cycle_" + stem, "", divisor,
          "per-cycle metric " + metric + " of report.json" + (divisor != 1 ? ", in seconds" : "")};
}

Distribution Scaled(Distribution d, double divisor) {
  for (double* v : {&d.min, &d.median, &d.p95, &d.max, &d.sum}) *v /= divisor;
  return d;
}

// Label values may hold any UTF-8; the format escapes backslash, quote and newline.
std::string Escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// HELP text escapes only backslash and newline.
std::string EscapeHelp(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Shortest text that reads back as the same double ("3", "0.25", "1e+21").
std::string Number(double v) { return fmt::format("{}", v); }

std::string Join(const std::string& a, const std::string& b) {
  return a.empty() ? b : b.empty() ? a : a + "," + b;
}

class Exposition {
 public:
  void Family(const std::string& name, const char* type, const std::string& help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(help), name, type);
  }
  void Sample(const std::string& name, const std::string& labels, double value) {
    out_ += labels.empty() ? fmt::format("{} {}\n", name, Number(value))
                           : fmt::format("{}{{{}}} {}\n", name, labels, Number(value));
  }
  // One series of a summary family; `labels` tell the series of one family apart.
  void Summary(const std::string& name, const std::string& labels, const Distribution& d) {
    // No quantiles for no observations: Prometheus would want NaN, which helps nobody.
    if (d.count > 0) {
      for (const auto& [q, v] :
           {std::pair{"0", d.min}, {"0.5", d.median}, {"0.95", d.p95}, {"1", d.max}}) {
        Sample(name, Join(labels, fmt::format("quantile=\"{}\"", q)), v);
      }
    }
    Sample(name + "_sum", labels, d.sum);
    Sample(name + "_count", labels, static_cast<double>(d.count));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

void RunFamilies(const RunResult& run, const Summary& s, bool running, Exposition* e) {
  e->Family("powercut_run_info", "gauge", "the run this file describes; always 1");
  e->Sample("powercut_run_info",
            fmt::format("seed=\"{}\",shard=\"{}\",tool_version=\"{}\",rocksdb_version=\"{}\","
                        "contract=\"{}\"",
                        run.seed, Escape(run.shard), Escape(run.tool_version),
                        Escape(run.rocksdb_version), Escape(run.contract)),
            1);
  const std::string status = running ? "running" : s.status;
  e->Family("powercut_run_status", "gauge",
            "1 for the run's status (pass, fail, incomplete, running), 0 for the others");
  for (const char* st : {"pass", "fail", "incomplete", "running"}) {
    e->Sample("powercut_run_status", fmt::format("status=\"{}\"", st), status == st ? 1 : 0);
  }
  e->Family("powercut_run_complete", "gauge",
            "1 when the run finished its budget; 0 while running or when interrupted");
  e->Sample("powercut_run_complete", "", run.complete && !running ? 1 : 0);
  e->Family("powercut_run_duration_seconds", "gauge", "wall time of the run so far, seconds");
  e->Sample("powercut_run_duration_seconds", "", run.duration_s);
}

// Cycles by verdict and fault in one counter, so that `sum by (fault)` and `sum by (verdict)`
// both read off it. Every fault seen gets both verdicts, 0 included, so a FAIL series exists
// before the first failure and rate() and alerts see it appear as an increase.
void CycleCounters(const RunResult& run, const Summary& s, Exposition* e) {
  std::map<std::pair<std::string, std::string>, uint64_t> by_fault;
  for (const CycleResult& c : run.cycles) {
    ++by_fault[{c.fault, Failed(c) ? "FAIL" : "PASS"}];
    by_fault.try_emplace({c.fault, Failed(c) ? "PASS" : "FAIL"}, 0);
  }
  e->Family("powercut_cycles_total", "counter", "cycles finished, by verdict and fault kind");
  for (const auto& [key, n] : by_fault) {
    e->Sample("powercut_cycles_total",
              fmt::format("verdict=\"{}\",fault=\"{}\"", key.second, Escape(key.first)),
              static_cast<double>(n));
  }
  // A failed cycle may carry several classes, so the classes cannot be a label of
  // powercut_cycles_total without counting the cycle twice.
  e->Family("powercut_failure_classes_total", "counter",
            "failed cycles carrying each failure class (a cycle with two counts under both)");
  for (const auto& [klass, n] : s.verdicts_by_class) {
    e->Sample("powercut_failure_classes_total", fmt::format("class=\"{}\"", Escape(klass)),
              static_cast<double>(n));
  }
}

// Crash states explored from the cycles' traces (--explore): judged states by verdict (an
// image opened, or settled by an equal image's verdict), images, and failing states' classes.
void CrashStateCounters(const Summary& s, Exposition* e) {
  const Summary::CrashStates& cs = s.crash_states;
  e->Family("powercut_crash_states_total", "counter",
            "crash states judged from the writers' traces, by verdict");
  e->Sample("powercut_crash_states_total", "verdict=\"PASS\"",
            static_cast<double>(cs.states() - cs.failed));
  e->Sample("powercut_crash_states_total", "verdict=\"FAIL\"", static_cast<double>(cs.failed));
  e->Family("powercut_crash_state_images_total", "counter",
            "crash images: distinct ones planned, and those a judge opened");
  e->Sample("powercut_crash_state_images_total", "kind=\"distinct\"",
            static_cast<double>(cs.distinct));
  e->Sample("powercut_crash_state_images_total", "kind=\"opened\"", static_cast<double>(cs.judged));
  e->Family("powercut_crash_state_coverage", "gauge",
            "distinct feature combinations of the crash states judged (the run's coverage)");
  e->Sample("powercut_crash_state_coverage", "", static_cast<double>(cs.coverage.size()));
  e->Family("powercut_crash_state_failure_classes_total", "counter",
            "failing crash states carrying each failure class");
  for (const auto& [klass, n] : cs.classes) {
    e->Sample("powercut_crash_state_failure_classes_total",
              fmt::format("class=\"{}\"", Escape(klass)), static_cast<double>(n));
  }
}

// Per-cycle measurements as summaries in base units, grouped into their families.
void CycleSummaries(const RunResult& run, const Summary& s, Exposition* e) {
  struct Family {
    std::string help;
    std::map<std::string, Distribution> series;  // by labels
  };
  std::map<std::string, Family> families;
  auto add = [&](const std::string& metric, const Distribution& d) {
    const Exposed x = ExposedAs(metric);
    Family& f = families[x.family];
    if (f.help.empty()) f.help = x.help;
    // First come wins: the cycle fields go in before any metric that maps to the same name.
    f.series.try_emplace(x.labels, Scaled(d, x.divisor));
  };
  // The two timings every cycle has come from its fields, which a report always carries;
  // the same names in cycles[].metrics would only repeat them.
  std::vector<double> recovery, cycle;
  for (const CycleResult& c : run.cycles) {
    recovery.push_back(c.recovery_ms);
    cycle.push_back(c.cycle_ms);
  }
  add("recovery_ms", Distribute(std::move(recovery)));
  add("cycle_ms", Distribute(std::move(cycle)));
  for (const auto& [name, d] : s.metrics) {
    if (name != "recovery_ms" && name != "cycle_ms") add(name, d);
  }
  for (const auto& [name, f] : families) {
    e->Family(name, "summary", f.help);
    for (const auto& [labels, d] : f.series) e->Summary(name, labels, d);
  }
}

}  // namespace

std::string ToPrometheus(const RunResult& run, bool running) {
  const Summary s = Summarize(run);
  Exposition e;
  RunFamilies(run, s, running, &e);
  CycleCounters(run, s, &e);
  CrashStateCounters(s, &e);
  CycleSummaries(run, s, &e);
  return e.Take();
}

}  // namespace powercut::reports
