// Chain 0's op stream and cycles, read back from its manifest, for the end-to-end tests that
// count what a run acked or judged by op kind: the op stream says which op was what.
#pragma once

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/e2e_support.h"
#include "workloads/generator.h"

namespace e2e {

struct ChainOps {
  std::optional<powercut::workloads::OpGenerator> ops;
  std::vector<nlohmann::json> cycles;  // the manifest's "cycle" entries, in order
};

inline ChainOps ReadChainOps(const fs::path& dir) {
  ChainOps chain;
  std::istringstream in(Slurp(dir / "powercut-data/chain-0/manifest.jsonl"));
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    if (j.at("type") == "chain") {
      powercut::workloads::WorkloadSpec spec;
      REQUIRE(powercut::workloads::WorkloadSpec::FromJson(j.at("workload"), &spec).ok());
      chain.ops.emplace(j.at("seed").get<uint64_t>(), spec);
    }
    if (j.at("type") == "cycle") chain.cycles.push_back(j);
  }
  REQUIRE(chain.ops.has_value());
  return chain;
}

// The ops judged on their own at the next open (checkpoints, backups, live copies), by kind.
inline std::map<std::string, int> JudgedOnTheirOwn(const fs::path& dir) {
  const ChainOps chain = ReadChainOps(dir);
  std::map<std::string, int> judged;
  for (const nlohmann::json& c : chain.cycles) {
    for (const auto& op : c.at("checkpoints"))
      judged[powercut::OpKindName(chain.ops->Get(op.get<uint64_t>()).kind)]++;
  }
  return judged;
}

// The ops each cycle acked (resume … acked), by kind.
inline std::map<std::string, int> AckedByKind(const fs::path& dir) {
  const ChainOps chain = ReadChainOps(dir);
  std::map<std::string, int> acked;
  for (const nlohmann::json& c : chain.cycles) {
    for (uint64_t i = c.at("resume").get<uint64_t>(); i <= c.at("acked").get<uint64_t>(); ++i)
      acked[powercut::OpKindName(chain.ops->Get(i).kind)]++;
  }
  return acked;
}

}  // namespace e2e
