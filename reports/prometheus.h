// metrics.prom: a run in the Prometheus text exposition format (version 0.0.4), as
// node_exporter's textfile collector reads it, and as `--metrics-port` serves it live.
#pragma once

#include <string>

#include "reports/run_result.h"

namespace powercut::reports {

// Every family has # HELP and # TYPE lines and the prefix `powercut_`:
//   powercut_run_info{seed,shard,tool_version,contract} 1        gauge
//   powercut_run_status{status="pass|fail|incomplete|running"}   gauge, 1 on the one that holds
//   powercut_run_complete, powercut_run_duration_seconds, powercut_run_cycles_per_second
//   powercut_cycles_total{verdict="PASS|FAIL"}                   counter
//   powercut_cycle_class_total{class}, powercut_cycle_fault_total{fault}   counter
//   powercut_cycle_<metric>{quantile="0|0.5|0.95|1"}, _sum, _count   summary, one per metric
//     (recovery_ms and cycle_ms from the cycles' fields, the rest from cycles[].metrics)
// `running`: the run is still going (the live endpoint); the status then reads "running"
// rather than "incomplete". No timestamps: the textfile collector refuses them.
std::string ToPrometheus(const RunResult& run, bool running = false);

}  // namespace powercut::reports
