#include "reports/prometheus.h"

#include <map>
#include <vector>

#include <fmt/format.h>

#include "reports/summary.h"

namespace powercut::reports {
namespace {

// What the metrics the harness records mean; a metric not listed still gets a HELP line.
const std::map<std::string, std::string>& KnownHelp() {
  static const auto* help = new std::map<std::string, std::string>{
      {"recovery_ms", "time RocksDB took to open the store after the fault, ms"},
      {"cycle_ms", "wall time of a whole cycle, ms"},
      {"ops_acked", "ops acknowledged to the controller in the cycle"},
      {"fs_events", "file-system events the writer's ledger recorded in the cycle"},
      {"cut_bytes", "bytes the power cut rolled back"},
      {"estimate_num_keys", "rocksdb.estimate-num-keys of the recovered store"},
      {"total_sst_files_bytes", "rocksdb.total-sst-files-size of the recovered store, bytes"},
      {"num_files_at_level0", "rocksdb.num-files-at-level0 of the recovered store"},
      {"num_immutable_mem_table", "rocksdb.num-immutable-mem-table of the recovered store"},
      {"block_cache_hit", "block cache hits (statistics) while recovering and verifying"},
      {"block_cache_miss", "block cache misses (statistics) while recovering and verifying"},
      {"compaction_cpu_us", "compaction CPU time (statistics), microseconds"},
      {"write_stall_us", "time writes were stalled (statistics STALL_MICROS), microseconds"},
  };
  return *help;
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

class Exposition {
 public:
  void Family(const std::string& name, const char* type, const std::string& help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(help), name, type);
  }
  void Sample(const std::string& name, const std::string& labels, double value) {
    out_ += labels.empty() ? fmt::format("{} {}\n", name, Number(value))
                           : fmt::format("{}{{{}}} {}\n", name, labels, Number(value));
  }
  void Summary(const std::string& name, const std::string& help, const Distribution& d) {
    Family(name, "summary", help);
    // No quantiles for no observations: Prometheus would want NaN, which helps nobody.
    if (d.count > 0) {
      for (const auto& [q, v] :
           {std::pair{"0", d.min}, {"0.5", d.median}, {"0.95", d.p95}, {"1", d.max}}) {
        Sample(name, fmt::format("quantile=\"{}\"", q), v);
      }
    }
    Sample(name + "_sum", "", d.sum);
    Sample(name + "_count", "", static_cast<double>(d.count));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string ToPrometheus(const RunResult& run, bool running) {
  const Summary s = Summarize(run);
  Exposition e;

  e.Family("powercut_run_info", "gauge", "the run this file describes; always 1");
  e.Sample("powercut_run_info",
           fmt::format("seed=\"{}\",shard=\"{}\",tool_version=\"{}\",contract=\"{}\"", run.seed,
                       Escape(run.shard), Escape(run.tool_version), Escape(run.contract)),
           1);
  const std::string status = running ? "running" : s.status;
  e.Family("powercut_run_status", "gauge",
           "1 for the run's status (pass, fail, incomplete, running), 0 for the others");
  for (const char* st : {"pass", "fail", "incomplete", "running"}) {
    e.Sample("powercut_run_status", fmt::format("status=\"{}\"", st), status == st ? 1 : 0);
  }
  e.Family("powercut_run_complete", "gauge",
           "1 when the run finished its budget; 0 while running or when interrupted");
  e.Sample("powercut_run_complete", "", run.complete && !running ? 1 : 0);
  e.Family("powercut_run_duration_seconds", "gauge", "wall time of the run so far, seconds");
  e.Sample("powercut_run_duration_seconds", "", run.duration_s);
  e.Family("powercut_run_cycles_per_second", "gauge", "cycles finished per second of the run");
  e.Sample("powercut_run_cycles_per_second", "", s.cycles_per_second);

  e.Family("powercut_cycles_total", "counter", "cycles finished, by verdict");
  e.Sample("powercut_cycles_total", "verdict=\"PASS\"", static_cast<double>(s.passed));
  e.Sample("powercut_cycles_total", "verdict=\"FAIL\"", static_cast<double>(s.failed));
  e.Family("powercut_cycle_class_total", "counter", "failed cycles carrying each failure class");
  for (const auto& [klass, n] : s.verdicts_by_class) {
    e.Sample("powercut_cycle_class_total", fmt::format("class=\"{}\"", Escape(klass)),
             static_cast<double>(n));
  }
  e.Family("powercut_cycle_fault_total", "counter", "cycles finished, by fault kind");
  for (const auto& [fault, n] : s.faults_seen) {
    e.Sample("powercut_cycle_fault_total", fmt::format("fault=\"{}\"", Escape(fault)),
             static_cast<double>(n));
  }

  // The two timings every cycle has come from its fields, which a report always carries;
  // the same names in cycles[].metrics would only repeat them.
  std::vector<double> recovery, cycle;
  for (const CycleResult& c : run.cycles) {
    recovery.push_back(c.recovery_ms);
    cycle.push_back(c.cycle_ms);
  }
  std::map<std::string, Distribution> families = s.metrics;
  families["recovery_ms"] = Distribute(std::move(recovery));
  families["cycle_ms"] = Distribute(std::move(cycle));
  for (const auto& [name, d] : families) {
    auto help = KnownHelp().find(name);
    e.Summary("powercut_cycle_" + name,
              help != KnownHelp().end() ? help->second : "per-cycle metric " + name, d);
  }
  return e.Take();
}

}  // namespace powercut::reports
