// RunPlan: everything `powercut run` was asked to do, validated before anything is written.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "src/store_config.h"
#include "workloads/spec.h"

namespace powercut::harness {

struct RunPlan {
  uint64_t seed = 1;
  uint64_t cycles = 0;      // total faults injected across chains; 0 when duration_ms is set
  int64_t duration_ms = 0;  // stop starting cycles after this long; 0 when cycles is set
  uint32_t chains = 2;      // chains run side by side, one writer each
  workloads::WorkloadSpec workload;
  StoreConfig store;
  std::string fault = "mix";  // kill | stall | clean | mix
  bool expect_acked = false;
  std::string data_dir = "powercut-data";
  std::string report_dir = "powercut-report";
  uint64_t max_ops_per_cycle = 20'000;
  int64_t write_min_ms = 1;   // the fault fires this long after writing starts, at least …
  int64_t write_max_ms = 40;  // … and at most
  int64_t recovery_timeout_ms = 20'000;  // open + verify; beyond it: recovery-hang
  bool test_lie_ack = false;             // TESTS ONLY, hidden flag
  std::string writer_path;               // powercut-writer, found beside the powercut binary
  std::string command_line;              // as typed, for the reproduce line

  // The command that runs this plan again, every seeded choice included.
  std::string ReproduceLine() const {
    std::string line = "powercut run --seed " + std::to_string(seed);
    if (cycles > 0) line += " --cycles " + std::to_string(cycles);
    if (duration_ms > 0) line += " --duration " + std::to_string(duration_ms / 1000) + "s";
    line += " --chains " + std::to_string(chains) + " --profile " + workload.profile + " --fault " +
            fault;
    if (workload.key_count != 10'000) line += " --keys " + std::to_string(workload.key_count);
    for (const auto& [name, value] : store.options) line += " --option " + name + "=" + value;
    if (store.sync) line += " --option sync=true";
    if (store.disable_wal) line += " --option disableWAL=true";
    if (expect_acked) line += " --expect acked";
    if (test_lie_ack) line += " --test-lie-ack";
    return line;
  }

  nlohmann::json ToJson() const {
    return {{"seed", seed},
            {"cycles", cycles},
            {"duration_ms", duration_ms},
            {"chains", chains},
            {"workload", workload.ToJson()},
            {"store", store.ToJson()},
            {"fault", fault},
            {"expect", expect_acked ? "acked" : "contract"},
            {"max_ops_per_cycle", max_ops_per_cycle},
            {"write_min_ms", write_min_ms},
            {"write_max_ms", write_max_ms},
            {"recovery_timeout_ms", recovery_timeout_ms}};
  }
};

}  // namespace powercut::harness
