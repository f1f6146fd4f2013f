// AckedOps: which ops of a cycle are acknowledged, when concurrent writers (workloads/lanes.h)
// ack them out of index order. The controller reading the writer's pipe, the ledger's trace and
// `powercut replay` all track acks through it. With one thread acks come in order and `above`
// stays empty.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace powercut {

struct AckedOps {
  uint64_t prefix = 0;          // every op up to here is acked
  std::vector<uint64_t> above;  // acked ops above prefix + 1, ascending (at most threads − 1)

  AckedOps() = default;
  explicit AckedOps(uint64_t recovered) : prefix(recovered) {}

  // Records op's ack; false when it was acked already (a protocol error).
  bool Add(uint64_t op) {
    if (op <= prefix || std::binary_search(above.begin(), above.end(), op)) return false;
    above.insert(std::upper_bound(above.begin(), above.end(), op), op);
    while (!above.empty() && above.front() == prefix + 1) {
      prefix++;
      above.erase(above.begin());
    }
    return true;
  }
  uint64_t highest() const { return above.empty() ? prefix : above.back(); }
  bool Has(uint64_t op) const {
    return op <= prefix || std::binary_search(above.begin(), above.end(), op);
  }
};

}  // namespace powercut
