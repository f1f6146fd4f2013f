// metrics.prom: a run in the Prometheus text exposition format (version 0.0.4), as
// node_exporter's textfile collector reads it, and as `--metrics-port` serves it live.
#pragma once

#include <string>

#include "reports/run_result.h"

namespace powercut::reports {

// Every family has # HELP and # TYPE lines and the prefix `powercut_`, and follows the
// Prometheus naming rules: base units in the name (seconds, bytes; report.json's recovery_ms
// is exposed as powercut_cycle_recovery_seconds, its value / 1000), `_total` only on
// counters, one family with a label where report.json has name variants.
//   powercut_run_info{seed,shard,tool_version,rocksdb_version,contract} 1   gauge
//   powercut_run_status{status="pass|fail|incomplete|running"}   gauge, 1 on the one that holds
//   powercut_run_complete, powercut_run_duration_seconds          gauge
//   powercut_cycles_total{verdict="PASS|FAIL",fault}             counter
//   powercut_failure_classes_total{class}                        counter
//   powercut_crash_states_total{verdict}, powercut_crash_state_images_total{kind},
//   powercut_crash_state_failure_classes_total{class}            counter (--explore)
//   powercut_cycle_<what>{quantile="0|0.5|0.95|1"}, _sum, _count   summary, a cycle an
//     observation: recovery_seconds, duration_seconds, start_to_ready_seconds,
//     verify_seconds, ops_acked, fs_events, cut_bytes, ...
//   powercut_rocksdb_<property>{...,quantile}, _sum, _count      summary of the recovered
//     stores' properties: estimate_num_keys, total_sst_files_size_bytes,
//     num_files_at_level{level}, num_immutable_mem_table, block_cache_lookups{result="hit|miss"},
//     compaction_cpu_seconds, write_stall_seconds
// `running`: the run is still going (the live endpoint); the status then reads "running"
// rather than "incomplete". No timestamps: the textfile collector refuses them.
std::string ToPrometheus(const RunResult& run, bool running = false);

}  // namespace powercut::reports
