// The oracle: the expected state of every key after a prefix of the op stream. One slot per
// key id, so memory is O(keys) and applying an op costs O(keys it touches). The controller
// carries it across cycles and persists it with the chain; it is never rebuilt from op 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/op.h"
#include "src/status.h"
#include "src/value_codec.h"

namespace powercut {

class Oracle {
 public:
  Oracle() = default;
  explicit Oracle(uint32_t key_count) : slots_(key_count) {}

  uint32_t key_count() const { return static_cast<uint32_t>(slots_.size()); }
  uint64_t index() const { return index_; }  // the op index this state is after
  const Slot& at(uint32_t key_id) const { return slots_[key_id]; }

  // Applies op `op.index`, which must be index() + 1.
  void Apply(const Op& op);
  // Applies ops index()+1 … target from `ops`.
  void AdvanceTo(uint64_t target, const OpSource& ops);

  // Persist as a self-describing snapshot (key count, op index, checksum), atomically.
  Status Save(const std::string& path) const;
  static Status Load(const std::string& path, Oracle* oracle);

  // Hands the slots over, for the verifier's search, which moves through states key by key.
  std::vector<Slot> TakeSlots() && { return std::move(slots_); }

 private:
  std::vector<Slot> slots_;
  uint64_t index_ = 0;
};

// The state of a key after write `w` of op `op_index`, from its state before.
inline Slot Next(const Slot& before, const Write& w, uint64_t op_index) {
  switch (w.kind) {
    case Write::Kind::kPut:
      return Slot{op_index, op_index, 0, w.value_bytes, 0};
    case Write::Kind::kDelete:
    case Write::Kind::kDeleteRange:
      return Slot{op_index, 0, 0, 0, 0};
    case Write::Kind::kMerge:
      return Slot{op_index, before.base_op, before.merge_xor ^ op_index, before.value_bytes,
                  before.merge_count + 1};
  }
  return before;
}

// Calls fn(key_id) for every key `w` touches, in order.
template <typename Fn>
void ForEachKeyWritten(const Write& w, Fn&& fn) {
  if (w.kind == Write::Kind::kDeleteRange) {
    for (uint32_t k = w.key_id; k < w.end_key_id; ++k) fn(k);
  } else {
    fn(w.key_id);
  }
}

}  // namespace powercut
