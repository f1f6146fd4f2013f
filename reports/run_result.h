// RunResult: everything a finished (or interrupted) run reports, in plain data.
// The harness fills it; the report writers, merge and gate read it. Nothing here knows
// about RocksDB or processes: a report is a document, not a store.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace powercut::reports {

// Bumped on every incompatible change of report.json; reports/report.schema.json matches it.
inline constexpr int kReportSchemaVersion = 1;

// One key the verifier found wrong, decoded for a human.
struct KeyFinding {
  std::string key;       // the store key, e.g. "k00001234"
  std::string klass;     // failure class, e.g. "lost-ack" (JSON: "class")
  std::string expected;  // what the oracle holds at the chosen prefix, e.g. "op 812 len 64"
  std::string found;     // what the store returned, e.g. "absent"

  bool operator==(const KeyFinding&) const = default;
};

inline constexpr size_t kMaxFindingsPerCycle = 50;

// A cycle carries at most this many metrics; ToJson drops the rest (in name order). The
// names become Prometheus metric names, so they are restricted to what those allow.
inline constexpr size_t kMaxMetricsPerCycle = 32;
inline constexpr size_t kMaxMetricNameBytes = 64;

// [a-zA-Z_][a-zA-Z0-9_]*, 1 to kMaxMetricNameBytes bytes: valid in report.json keys and as
// the tail of a Prometheus metric name alike, so the two never disagree about a metric.
inline bool ValidMetricName(const std::string& name) {
  if (name.empty() || name.size() > kMaxMetricNameBytes) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// A crash state of the cycle's trace that failed (DESIGN.md, "Crash states").
struct StateFailure {
  std::string state;                 // its name, e.g. "power-cut@1234:3=keep"
  std::vector<std::string> classes;  // at least one
  uint64_t lo = 0;                   // the window the contract gave at its event
  uint64_t hi = 0;
  uint64_t recovered = 0;  // the closest prefix the store matched
  std::string detail;      // the verdict's line
  std::string narrative;   // what the files kept and lost, for a RocksDB engineer
  std::string reproduce;   // `powercut replay … --cycle N --state S`, or why it was not kept
  std::string features;    // its feature key (faults/state_features.h); "" in older reports
  std::vector<KeyFinding> findings;  // at most kMaxFindingsPerState

  bool operator==(const StateFailure&) const = default;
};

inline constexpr size_t kMaxFindingsPerState = 10;
inline constexpr size_t kMaxStateFailuresPerCycle = 10;

// Crash-state exploration of one cycle's trace (`--explore`): besides the state the chain
// goes on from, how many states were judged and what they gave. All zero when off.
struct Exploration {
  uint64_t points = 0;                      // crash points in the trace that were considered
  uint64_t candidates = 0;                  // states enumerated at them
  uint64_t distinct = 0;                    // distinct images among the candidates
  uint64_t judged = 0;                      // images a judge opened
  uint64_t settled = 0;                     // duplicates settled by the verdict of the same image
  uint64_t failed = 0;                      // states judged or settled FAIL
  std::map<std::string, uint64_t> classes;  // failing states by class
  std::vector<StateFailure> failures;       // at most kMaxStateFailuresPerCycle, plan order
  // States judged or settled, by feature key (faults/state_features.h): the coverage.
  std::map<std::string, uint64_t> coverage;
  double build_ms = 0;  // building the images, summed
  double open_ms = 0;   // RocksDB's opens of them, summed
  double judge_ms = 0;  // judge processes, start to verdict, summed
  double wall_ms = 0;   // the exploration as a whole

  uint64_t states() const { return judged + settled; }
  bool operator==(const Exploration&) const = default;
};

struct CycleResult {
  uint64_t chain = 0;  // chain index within the run (0-based)
  uint64_t cycle = 0;  // cycle number within the run, 1-based, unique across chains
  // Empty in a shard's own report (the run's `shard` applies). MergeReports sets it to the
  // shard ("I/N") the cycle came from, since every shard numbers its chains and cycles from
  // the start and (shard, cycle) is what stays unique in a merged report.
  std::string shard;
  std::string fault;  // "kill", "stall", "clean", "power-cut", ...
  // --fault io-error: the I/O error the cycle injected before `fault` ended it,
  // "site:n:status:mode" (faults/io_error.h); empty otherwise.
  std::string io_error;
  std::string verdict;               // "PASS" or "FAIL"
  std::vector<std::string> classes;  // failure classes, empty on PASS, at least one on FAIL
  uint64_t resume = 0;               // first op index the writer executed in this cycle
  uint64_t acked = 0;                // highest op acked to the controller
  uint64_t lo = 0;                   // durable point promised by the contract
  uint64_t hi = 0;                   // highest op issued
  uint64_t recovered = 0;            // recovered point r (the best prefix on FAIL)
  uint64_t mismatches = 0;           // keys differing from the oracle at `recovered`
  double recovery_ms = 0;            // time RocksDB took to open the store after the fault
  double cycle_ms = 0;               // wall time of the whole cycle
  std::string detail;                // one line: what happened (e.g. the open error)
  // One command line that reproduces this cycle; set on FAIL. When the harness leaves it
  // empty on a FAIL, the writers fill in ReproduceCommand()'s default so that every failure
  // in every report carries one.
  std::string reproduce;
  // At most kMaxFindingsPerCycle, the worst first; ToJson drops the rest.
  std::vector<KeyFinding> findings;
  // Measurements of this cycle, name -> value, units in the name: RocksDB's properties and
  // statistics of the recovered store (estimate_num_keys, total_sst_files_bytes, ...) and
  // the harness's own (recovery_ms, ops_acked, fs_events, cut_bytes), each only when known.
  // Names must pass ValidMetricName and values be finite; ToJson drops any that do not.
  std::map<std::string, double> metrics;
  // The crash states explored from this cycle's trace. A failing state fails the cycle (its
  // classes join `classes`) even when the state the chain went on from passed.
  Exploration explored;

  bool operator==(const CycleResult&) const = default;
};

struct RunResult {
  int schema_version = kReportSchemaVersion;
  std::string tool_version;  // POWERCUT_VERSION
  // The RocksDB the harness was built against, e.g. "7.8.3"; empty in reports written before
  // it was recorded (the field is optional in report.json).
  std::string rocksdb_version;
  uint64_t seed = 0;
  // The plan as given: profile, fault, cut, options, limits. Always a JSON object (null is
  // written as {}). Must not contain the shard: shards of one run share the plan, and
  // MergeReports compares plans exactly.
  nlohmann::json plan;
  std::string contract;           // e.g. "process-kill/wal: lo = last acked op"
  std::string shard;              // "I/N", empty when not sharded; "merged 1/2,2/2" after merge
  bool complete = false;          // false when interrupted (SIGINT/SIGTERM) or the harness failed
  std::string incomplete_reason;  // why, when !complete
  std::string started_at;         // ISO 8601 UTC
  double duration_s = 0;
  std::vector<CycleResult> cycles;  // in the order they finished

  bool operator==(const RunResult&) const = default;
};

inline bool Failed(const CycleResult& c) { return c.verdict != "PASS"; }

// The metrics a report carries for `c`: those with a valid name and a finite value, the
// first kMaxMetricsPerCycle of them in name order. ToJson and Summarize both use it, so a
// summary recomputed from a written report agrees with the one written.
inline std::map<std::string, double> WrittenMetrics(const CycleResult& c) {
  std::map<std::string, double> out;
  for (const auto& [name, value] : c.metrics) {
    if (out.size() == kMaxMetricsPerCycle) break;
    if (ValidMetricName(name) && std::isfinite(value)) out.emplace(name, value);
  }
  return out;
}

// The cycle's reproduce line, or the default replay command when the harness set none.
inline std::string ReproduceCommand(const CycleResult& c) {
  if (!c.reproduce.empty()) return c.reproduce;
  const std::string line = "powercut replay report.json --cycle " + std::to_string(c.cycle);
  return c.shard.empty() ? line : line + " --shard " + c.shard;
}

// The folder under a merged report's failures/ that holds shard "I/N"'s evidence:
// "shard-I-of-N" (a folder name cannot hold the slash). Every shard numbers its cycles from 1,
// so the shard is what keeps two shards' cycle 4 apart.
inline std::string ShardEvidenceFolder(const std::string& shard) {
  std::string out = "shard-";
  for (char c : shard) out += c == '/' ? std::string("-of-") : std::string(1, c);
  return out;
}

// Where a failing cycle keeps its evidence, relative to the report folder (the folder replay
// reads): failures/<cycle>/ in a run's report, failures/shard-I-of-N/<cycle>/ in a merged one
// (shard set), where powercut merge copies each shard's failures/.
inline std::string EvidenceDir(const CycleResult& c) {
  if (c.shard.empty()) return "failures/" + std::to_string(c.cycle);
  return "failures/" + ShardEvidenceFolder(c.shard) + "/" + std::to_string(c.cycle);
}

}  // namespace powercut::reports
