// InFlight: the real-time order of concurrent writers' ops (workloads/lanes.h), as the writer's
// pipe or its ledger tells it: for each op j, the ops that were issued before j and not yet
// acknowledged when j was issued. Every other op before j was acknowledged first, so it
// precedes j in real time, and a recovered store holding j must hold it too.
//
// Both sources are sound: an op's `acked` line (record) is written after its calls return
// and its `issued` line before they start, so an ack seen before an issue happened before it.
// An ack written late only makes an op look concurrent, which never cries wolf.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/status.h"

namespace powercut {

class InFlight {
 public:
  // Feed the boundaries in the order the source holds them.
  void Issued(uint64_t op);
  void Acked(uint64_t op);

  // Whether op a (< j) was acknowledged before op j was issued. An op the record does not
  // hold (before the cycle, or none in flight beside it) had every op before it acked.
  bool Precedes(uint64_t a, uint64_t j) const;
  size_t size() const { return at_issue_.size(); }

  // One line per op with ops in flight at its issue: "j a1 a2 …", written atomically.
  Status Save(const std::string& path) const;
  static Status Load(const std::string& path, InFlight* in_flight);

 private:
  std::set<uint64_t> open_;         // issued, not acked
  std::set<uint64_t> acked_early_;  // acked before issued (a lying writer, tests only)
  std::unordered_map<uint64_t, std::vector<uint64_t>> at_issue_;  // op → in flight then
};

}  // namespace powercut
