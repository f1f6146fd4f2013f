// The chain manifest: `manifest.jsonl` in a chain directory, append-only. The first line is
// the chain's header (seed, workload, options, limits); every later line records one event
// of the chain's life: a cycle's fault and its issued/acked/durable points, a verdict, the
// close. With the oracle snapshot beside it, it makes the chain directory self-describing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/status.h"
#include "src/store_config.h"

namespace powercut {

inline constexpr int kManifestSchemaVersion = 1;

struct ChainHeader {
  uint32_t chain = 0;
  uint64_t seed = 0;        // the chain's own seed (derived from the run seed)
  nlohmann::json workload;  // workloads::WorkloadSpec as JSON
  StoreConfig store;
  uint64_t max_ops_per_cycle = 0;  // a writer never executes more ops than this per cycle
};

class ChainManifest {
 public:
  // Writes a new manifest holding only the header; fails if one exists.
  static Status Create(const std::string& path, const ChainHeader& header);
  // Reads header and entries; Corruption naming the line for anything malformed.
  static Status Load(const std::string& path, ChainHeader* header,
                     std::vector<nlohmann::json>* entries);
  // Appends one entry line and makes it durable (the manifest is evidence).
  static Status Append(const std::string& path, const nlohmann::json& entry);
};

}  // namespace powercut
