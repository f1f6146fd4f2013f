#include "harness/writer/store_metrics.h"

#include <cstdint>

namespace powercut::harness {

nlohmann::json CollectStoreMetrics(rocksdb::DB* db, rocksdb::Statistics* stats) {
  nlohmann::json out = nlohmann::json::object();
  if (db != nullptr) {
    const std::pair<const char*, const std::string&> properties[] = {
        {"estimate_num_keys", rocksdb::DB::Properties::kEstimateNumKeys},
        {"total_sst_files_bytes", rocksdb::DB::Properties::kTotalSstFilesSize},
        {"num_immutable_mem_table", rocksdb::DB::Properties::kNumImmutableMemTable},
    };
    for (const auto& [name, property] : properties) {
      uint64_t value = 0;
      if (db->GetIntProperty(property, &value)) out[name] = value;
    }
    // Level 0's count is the string property "rocksdb.num-files-at-level<N>"; GetIntProperty
    // does not serve it, so it is read as text.
    std::string level0;
    if (db->GetProperty(rocksdb::DB::Properties::kNumFilesAtLevelPrefix + "0", &level0)) {
      try {
        out["num_files_at_level0"] = std::stoull(level0);
      } catch (const std::exception&) {
        // Not a number: left out, as a property RocksDB did not give.
      }
    }
  }
  if (stats != nullptr) {
    out["block_cache_hit"] = stats->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    out["block_cache_miss"] = stats->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
    out["write_stall_us"] = stats->getTickerCount(rocksdb::STALL_MICROS);
    rocksdb::HistogramData cpu;
    stats->histogramData(rocksdb::COMPACTION_CPU_TIME, &cpu);
    out["compaction_cpu_us"] = cpu.sum;
  }
  return out;
}

}  // namespace powercut::harness
