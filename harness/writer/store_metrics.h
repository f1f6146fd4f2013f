// RocksDB's own view of a recovered store, for the report's per-cycle metrics. The writer
// collects it right after verifying the store and sends it to the controller as one
// `metrics <json>` line (harness/metrics_line.h).
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/statistics.h>
#include <nlohmann/json.hpp>

namespace powercut::harness {

// A flat JSON object, metric name -> number, units in the names:
//   estimate_num_keys        rocksdb.estimate-num-keys
//   total_sst_files_bytes    rocksdb.total-sst-files-size
//   num_files_at_level0      rocksdb.num-files-at-level0
//   num_immutable_mem_table  rocksdb.num-immutable-mem-table
//   block_cache_hit          ticker BLOCK_CACHE_HIT
//   block_cache_miss         ticker BLOCK_CACHE_MISS
//   compaction_cpu_us        histogram COMPACTION_CPU_TIME, its sum
//   write_stall_us           ticker STALL_MICROS
// A property RocksDB cannot give is left out, not reported as 0. `stats` may be null (the
// statistics entries are then left out); give the options.statistics the store was opened
// with (rocksdb::CreateDBStatistics()) so they cover recovery and verification.
nlohmann::json CollectStoreMetrics(rocksdb::DB* db, rocksdb::Statistics* stats);

}  // namespace powercut::harness
