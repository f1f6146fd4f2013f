#include "workloads/generator.h"

#include <cassert>
#include <cmath>

#include "src/families.h"
#include "src/rng.h"
#include "workloads/lanes.h"

namespace powercut::workloads {
namespace {

// A key of `range`, low ids hot (WorkloadSpec::key_skew).
uint32_t PickKey(Rng& rng, const WorkloadSpec& spec, KeyRange range) {
  const double u = std::pow(rng.Unit(), 1.0 + spec.key_skew);
  const auto offset = static_cast<uint32_t>(u * range.size());
  return range.begin + (offset < range.size() ? offset : range.size() - 1);
}

// The keys one write of op `index` may touch (workloads/lanes.h): with several threads, its
// thread's own keys or its round's shared part, half and half.
KeyRange PickRange(Rng& rng, const WorkloadSpec& spec, uint64_t index) {
  const Lanes lanes(spec.key_count, spec.threads);
  return lanes.For(index, spec.threads > 1 && rng.Uniform(2) == 0);
}

uint32_t PickKey(Rng& rng, const WorkloadSpec& spec, uint64_t index) {
  return PickKey(rng, spec, PickRange(rng, spec, index));
}

uint32_t ValueBytes(Rng& rng, const WorkloadSpec& spec) {
  return static_cast<uint32_t>(rng.Between(spec.value_min_bytes, spec.value_max_bytes));
}

OpKind PickKind(Rng& rng, const WorkloadSpec& spec) {
  uint64_t total = 0;
  for (uint32_t w : spec.weights) total += w;
  uint64_t pick = rng.Uniform(total);
  for (int k = 0; k < kOpKindCount; ++k) {
    if (pick < spec.weights[k]) return static_cast<OpKind>(k);
    pick -= spec.weights[k];
  }
  assert(false);
  return OpKind::kPut;
}

// A write batch's or a transaction's writes: puts and deletes, and merges when `merges`.
std::vector<Write> GroupWrites(Rng& rng, const WorkloadSpec& spec, uint64_t index, bool merges) {
  std::vector<Write> writes;
  const uint64_t n = rng.Between(spec.batch_min_writes, spec.batch_max_writes);
  for (uint64_t j = 0; j < n; ++j) {
    const bool del = rng.Uniform(100) < spec.batch_delete_percent;
    const bool merge = merges && !del && rng.Uniform(4) == 0;
    const uint32_t key = PickKey(rng, spec, index);
    if (del) {
      writes.push_back({Write::Kind::kDelete, key, 0, 0});
    } else {
      writes.push_back(
          {merge ? Write::Kind::kMerge : Write::Kind::kPut, key, 0, ValueBytes(rng, spec)});
    }
  }
  return writes;
}

}  // namespace

Op OpGenerator::Get(uint64_t index) const {
  assert(index >= 1);
  Rng rng(seed_, "op", index);
  Op op;
  op.index = index;
  op.kind = PickKind(rng, spec_);
  switch (op.kind) {
    case OpKind::kPut:
      op.writes.push_back(
          {Write::Kind::kPut, PickKey(rng, spec_, index), 0, ValueBytes(rng, spec_)});
      break;
    case OpKind::kDelete:
      op.writes.push_back({Write::Kind::kDelete, PickKey(rng, spec_, index), 0, 0});
      break;
    case OpKind::kMerge:
      op.writes.push_back(
          {Write::Kind::kMerge, PickKey(rng, spec_, index), 0, ValueBytes(rng, spec_)});
      break;
    case OpKind::kBatch:
      // Puts and deletes only: their effect does not depend on the state before, which keeps
      // a torn batch recognisable.
      op.writes = GroupWrites(rng, spec_, index, false);
      break;
    case OpKind::kTxn:
      op.writes = GroupWrites(rng, spec_, index, true);
      op.two_phase = rng.Uniform(2) == 0;
      break;
    case OpKind::kTxnRollback:
      op.rolled_back = GroupWrites(rng, spec_, index, true);
      op.two_phase = rng.Uniform(2) == 0;
      break;
    case OpKind::kFlushFamily:
      op.family = static_cast<uint32_t>(rng.Uniform(spec_.column_families));
      break;
    case OpKind::kRecreateFamily: {
      // Never the default family, which RocksDB does not drop (Validate: there is another).
      op.family = 1 + static_cast<uint32_t>(rng.Uniform(spec_.column_families - 1));
      const FamilyLayout layout(spec_.key_count, spec_.column_families);
      op.writes.push_back(
          {Write::Kind::kDeleteRange, layout.Begin(op.family), layout.End(op.family), 0});
      break;
    }
    case OpKind::kDeleteRange: {
      // Within one of the op's key ranges: with several threads, a range must not reach keys
      // another thread may be writing.
      const KeyRange range = PickRange(rng, spec_, index);
      const uint32_t begin = PickKey(rng, spec_, range);
      const uint64_t len = rng.Between(1, spec_.range_max_keys);
      const auto end = static_cast<uint32_t>(std::min<uint64_t>(range.end, begin + len));
      op.writes.push_back({Write::Kind::kDeleteRange, begin, end, 0});
      break;
    }
    case OpKind::kFlushWal:
      op.sync = rng.Uniform(2) == 0;
      break;
    case OpKind::kFlush:
    case OpKind::kSyncWal:
    case OpKind::kCompactRange:
    case OpKind::kCheckpoint:
    case OpKind::kBackup:
    case OpKind::kLiveCopy:
      break;
  }
  // A family's drop and create are MANIFEST writes, synced whatever the op says.
  if (op.ChangesState() && op.kind != OpKind::kRecreateFamily && spec_.sync_one_in > 0)
    op.sync = rng.Uniform(spec_.sync_one_in) == 0;
  return op;
}

}  // namespace powercut::workloads
