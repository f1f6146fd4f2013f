#include "workloads/generator.h"

#include <cassert>
#include <cmath>

#include "src/rng.h"

namespace powercut::workloads {
namespace {

uint32_t PickKey(Rng& rng, const WorkloadSpec& spec) {
  const double u = std::pow(rng.Unit(), 1.0 + spec.key_skew);
  const auto id = static_cast<uint32_t>(u * spec.key_count);
  return id < spec.key_count ? id : spec.key_count - 1;
}

Write PutOf(Rng& rng, const WorkloadSpec& spec) {
  Write w;
  w.kind = Write::Kind::kPut;
  w.key_id = PickKey(rng, spec);
  w.value_bytes = static_cast<uint32_t>(rng.Between(spec.value_min_bytes, spec.value_max_bytes));
  return w;
}

Write DeleteOf(Rng& rng, const WorkloadSpec& spec) {
  Write w;
  w.kind = Write::Kind::kDelete;
  w.key_id = PickKey(rng, spec);
  return w;
}

}  // namespace

Op OpGenerator::Get(uint64_t index) const {
  assert(index >= 1);
  Rng rng(seed_, "op", index);
  Op op;
  op.index = index;
  const uint64_t total =
      uint64_t{spec_.put_weight} + spec_.delete_weight + spec_.batch_weight + spec_.flush_weight;
  uint64_t pick = rng.Uniform(total);
  if (pick < spec_.put_weight) {
    op.kind = OpKind::kPut;
    op.writes.push_back(PutOf(rng, spec_));
  } else if ((pick -= spec_.put_weight) < spec_.delete_weight) {
    op.kind = OpKind::kDelete;
    op.writes.push_back(DeleteOf(rng, spec_));
  } else if ((pick -= spec_.delete_weight) < spec_.batch_weight) {
    op.kind = OpKind::kBatch;
    const uint64_t n = rng.Between(spec_.batch_min_writes, spec_.batch_max_writes);
    for (uint64_t j = 0; j < n; ++j) {
      op.writes.push_back(rng.Uniform(100) < spec_.batch_delete_percent ? DeleteOf(rng, spec_)
                                                                        : PutOf(rng, spec_));
    }
  } else {
    op.kind = OpKind::kFlush;
  }
  if (op.ChangesState() && spec_.sync_one_in > 0) op.sync = rng.Uniform(spec_.sync_one_in) == 0;
  return op;
}

}  // namespace powercut::workloads
