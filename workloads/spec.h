// WorkloadSpec: what a chain's op stream is made of. Op i is a pure function of
// (seed, spec, i) — see generator.h — so a spec plus a seed is the whole workload.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "src/status.h"

namespace powercut::workloads {

struct WorkloadSpec {
  std::string profile = "default";
  uint32_t key_count = 10'000;
  uint32_t value_min_bytes = 32;
  uint32_t value_max_bytes = 256;
  // Op mix, relative weights.
  uint32_t put_weight = 60;
  uint32_t delete_weight = 10;
  uint32_t batch_weight = 20;
  uint32_t flush_weight = 1;
  uint32_t batch_min_writes = 2;
  uint32_t batch_max_writes = 16;
  uint32_t batch_delete_percent = 20;  // share of deletes inside a batch
  // Key choice: id = key_count * u^(1 + skew); 0 is uniform, 1 makes low ids hot.
  double key_skew = 1.0;
  // Every write has a 1 in sync_one_in chance of WriteOptions::sync (0: never, unless the
  // store's options force sync for all writes).
  uint32_t sync_one_in = 0;

  nlohmann::json ToJson() const;
  static Status FromJson(const nlohmann::json& j, WorkloadSpec* spec);
  Status Validate() const;  // BadInput naming the field and its allowed range
};

// The built-in profiles; BadInput listing them for an unknown name.
Status ProfileSpec(const std::string& name, WorkloadSpec* spec);

}  // namespace powercut::workloads
