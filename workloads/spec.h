// WorkloadSpec: what a chain's op stream is made of. Op i is a pure function of
// (seed, spec, i) — see generator.h — so a spec plus a seed is the whole workload.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "src/op.h"
#include "src/status.h"
#include "src/store_config.h"

namespace powercut::workloads {

struct WorkloadSpec {
  std::string profile = "default";
  uint32_t key_count = 10'000;
  uint32_t value_min_bytes = 32;
  uint32_t value_max_bytes = 256;
  // Payloads compress to about this fraction of their size (src/value_codec.h).
  double value_compression_ratio = 0.5;
  // Op mix: relative weight of each OpKind, indexed by it.
  std::array<uint32_t, kOpKindCount> weights{};
  uint32_t batch_min_writes = 2;
  uint32_t batch_max_writes = 16;
  uint32_t batch_delete_percent = 20;  // share of deletes inside a batch
  uint32_t range_max_keys = 64;        // a delete-range covers 1 … this many keys
  // Key choice: id = key_count * u^(1 + skew); 0 is uniform, 1 makes low ids hot.
  double key_skew = 1.0;
  // Every write has a 1 in sync_one_in chance of WriteOptions::sync (0: never, unless the
  // store's options force sync for all writes). Sync writes are what a power cut's contract
  // counts on; `--option sync=false` sets this to 0.
  uint32_t sync_one_in = 200;
  // Column families the keys are spread over (src/families.h); 1 is the default family alone.
  uint32_t column_families = 1;
  // How the writer opens the store: "none" (a DB), "pessimistic" (a TransactionDB,
  // write-committed) or "optimistic" (an OptimisticTransactionDB). Ops txn and txn-rollback
  // need one of the last two.
  std::string txn = "none";
  // Writer threads (workloads/lanes.h): op i belongs to thread (i − 1) mod threads, and any
  // `threads` consecutive ops touch disjoint keys, so ops that may run at once never share one.
  uint32_t threads = 1;

  uint32_t& weight(OpKind kind) { return weights[static_cast<size_t>(kind)]; }
  uint32_t weight(OpKind kind) const { return weights[static_cast<size_t>(kind)]; }

  nlohmann::json ToJson() const;
  static Status FromJson(const nlohmann::json& j, WorkloadSpec* spec);
  Status Validate() const;  // BadInput naming the field and its allowed range
  // Whether the store's options can run this workload and be judged exactly: BadInput naming
  // the conflict and the fix otherwise (families without a WAL, options a TransactionDB
  // refuses).
  Status FitsStore(const StoreConfig& store) const;
};

// The built-in profiles: default, puts, ranges, batches, backup, cf, txn, threads. BadInput listing
// them otherwise.
Status ProfileSpec(const std::string& name, WorkloadSpec* spec);

}  // namespace powercut::workloads
