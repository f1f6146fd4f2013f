// RunPlan: everything `powercut run` was asked to do, validated before anything is written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/run/io_error_cycle.h"
#include "src/store_config.h"
#include "workloads/spec.h"

namespace powercut::harness {

struct RunPlan {
  uint64_t seed = 1;
  uint64_t cycles = 0;      // total faults injected across chains; 0 when duration_ms is set
  int64_t duration_ms = 0;  // stop starting cycles after this long; 0 when cycles is set
  uint32_t chains = 2;      // chains run side by side, one writer each
  // --shard I/N: this run is shard I of N (N = 0: not sharded). 0-based here (I - 1), so the
  // first shard's chains have the seeds of an unsharded run; 1-based on the command line and
  // in every report (Shard()).
  uint32_t shard_index = 0;
  uint32_t shard_count = 0;
  uint16_t metrics_port = 0;  // serve /metrics and /healthz on 127.0.0.1 while running; 0: off
  workloads::WorkloadSpec workload;
  StoreConfig store;
  std::string fault = "mix";  // kill | stall | power-cut | clean | io-error | mix
  std::string cut = "drop";   // drop | torn | reorder, for power cuts
  std::string crash_at;       // power cuts: crash at the seeded n-th event of this kind
  IoErrorSettings io_error;   // --fault io-error: which error each cycle injects
  std::string bitrot_at;      // --fault bitrot: the region damaged (faults/bitrot.h), "" seeded
  uint64_t read_error_one_in = 0;  // > 0: each cycle's store is also judged through bad reads
  bool expect_acked = false;
  bool keep_going = false;     // after a FAIL, start a fresh chain and go on
  uint32_t max_failures = 10;  // failures whose evidence is kept
  std::string data_dir = "powercut-data";
  std::string report_dir = "powercut-report";
  uint64_t max_ops_per_cycle = 20'000;
  int64_t write_min_ms = 1;   // the fault fires this long after writing starts, at least …
  int64_t write_max_ms = 40;  // … and at most
  int64_t recovery_timeout_ms = 20'000;  // open + verify; beyond it: recovery-hang
  int64_t close_timeout_ms = 60'000;     // a clean close's DB::Close; beyond it: close-hang
  // --explore: crash states judged per writer run besides the one the chain goes on from
  // (harness/run/explorer.h); 0 is off, kExploreAll every distinct state of the trace.
  static constexpr uint64_t kExploreAll = ~uint64_t{0};
  static constexpr uint64_t kDefaultExplore = 16;
  uint64_t explore = kDefaultExplore;
  uint32_t judges = 0;                   // judge processes per chain at a time; 0: one per core
  bool test_lie_ack = false;             // TESTS ONLY, hidden flag
  bool test_ack_failed = false;          // TESTS ONLY: the writer acks an op that failed
  std::string test_lose_when_wals;       // TESTS ONLY: KIND@N (harness/protocol/writer_args.h)
  std::string writer_path;               // powercut-writer, found beside the powercut binary
  std::vector<std::string> option_args;  // --option values as typed, for the reproduce line
  // --option-at K:NAME=VALUE: from each chain's K-th cycle (0-based) on, NAME=VALUE is added
  // to the options — users change their configuration between restarts.
  std::vector<std::pair<uint64_t, std::string>> option_changes;

  // The options a chain's writer opens with in its cycle `local`.
  StoreConfig StoreAt(uint64_t local) const {
    StoreConfig s = store;
    for (const auto& [from, assignment] : option_changes) {
      if (local >= from) s.Add(assignment);  // validated when parsed
    }
    return s;
  }
  bool test_drop_sync_record = false;  // TESTS ONLY: tamper with the ledger before the cut
  bool test_break_checkpoint = false;  // TESTS ONLY: damage acked checkpoints before the check
  bool test_undo_cycle = false;        // TESTS ONLY: a power cut loses all the cycle made durable
  bool test_tamper_images = false;     // TESTS ONLY: flip a durable WAL byte in explored images

  std::string Shard() const {
    return shard_count == 0 ? ""
                            : std::to_string(shard_index + 1) + "/" + std::to_string(shard_count);
  }

  // The arguments after `powercut run` that run this plan again: every field that shapes the
  // run, derived from the plan itself (where the run lives and its metrics port aside), so
  // that harness/cli/run.h's ParseRunArgs gives this plan back.
  std::vector<std::string> ReproduceArgs() const;
  // "powercut run " and ReproduceArgs, quoted for a POSIX shell where needed.
  std::string ReproduceLine() const;

  nlohmann::json ToJson() const;
};

}  // namespace powercut::harness
