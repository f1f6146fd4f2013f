#include "harness/check/corpus.h"

#include <algorithm>
#include <cassert>

namespace powercut::harness {
namespace {

constexpr int kAspects = 9;
constexpr uint32_t kMaxGrownCycles = 200;
constexpr uint32_t kMaxGrownKeys = 1'000'000;

// Takes aspect `which` of `from` into `to`.
void TakeAspect(int which, const CheckCase& from, Rng* rng, CheckCase* to) {
  switch (which) {
    case 0:  // how long: cycles and ops
      to->cycles = from.cycles;
      to->max_ops_per_cycle = from.max_ops_per_cycle;
      break;
    case 1:  // what is written: key space and values
      to->keys = from.keys;
      to->value_min_bytes = from.value_min_bytes;
      to->value_max_bytes = from.value_max_bytes;
      to->value_compression_ratio = from.value_compression_ratio;
      break;
    case 2:  // one option more, or one less
      if (!from.options.empty()) {
        const auto& o = from.options[rng->Uniform(from.options.size())];
        auto it = std::find_if(to->options.begin(), to->options.end(),
                               [&](const auto& mine) { return mine.first == o.first; });
        if (it == to->options.end()) {
          to->options.push_back(o);
        } else {
          to->options.erase(it);
        }
      } else if (!to->options.empty()) {
        to->options.erase(to->options.begin() +
                          static_cast<std::ptrdiff_t>(rng->Uniform(to->options.size())));
      }
      break;
    case 3:  // a change of options between restarts
      to->change_at = from.change_at;
      to->changes = from.changes;
      break;
    case 4:
      to->profile = from.profile;
      break;
    case 5:
      to->fault = from.fault;
      to->cut = from.cut;
      break;
    case 6:
      to->fault_min_ms = from.fault_min_ms;
      to->fault_max_ms = from.fault_max_ms;
      break;
    case 7:
      to->explore = from.explore;
      break;
    case 8:  // deeper: twice the cycles and keys, the way a fuzzer's havoc stretches an input
      to->cycles = std::min(kMaxGrownCycles, std::max(to->cycles, to->cycles * 2));
      to->keys = std::min(kMaxGrownKeys, to->keys * 2);
      break;
  }
  assert(which >= 0 && which < kAspects);
}

}  // namespace

void Corpus::Observe(const CheckCase& c, const std::vector<std::string>& keys) {
  bool fresh = false;
  for (const std::string& k : keys) fresh |= hits_[k]++ == 0;
  if (fresh) entries_.push_back({c, keys, 0});
}

const CheckCase& Corpus::Pick(Rng* rng) {
  assert(!entries_.empty());
  // Weight: the sum over its keys of 1 / (cases that reached the key), over 1 + the times it
  // was picked; in integer millionths, so no float rounding differs between machines.
  std::vector<uint64_t> weights;
  uint64_t total = 0;
  for (const Entry& e : entries_) {
    uint64_t rarity = 0;
    for (const std::string& k : e.keys) rarity += 1'000'000 / hits_.at(k);
    weights.push_back(std::max<uint64_t>(1, rarity / (1 + e.picked)));
    total += weights.back();
  }
  uint64_t at = rng->Uniform(total);
  size_t i = 0;
  while (at >= weights[i]) at -= weights[i++];
  entries_[i].picked++;
  return entries_[i].c;
}

CheckCase Mutate(const CheckCase& parent, const CheckCase& fresh, Rng* rng) {
  CheckCase child = parent;
  child.seed = fresh.seed;
  const uint64_t aspects = rng->Between(1, 3);
  for (uint64_t k = 0; k < aspects; ++k)
    TakeAspect(static_cast<int>(rng->Uniform(kAspects)), fresh, rng, &child);
  // The cut mode only means something with power cuts; an option change needs two cycles.
  if (!child.CutsPower()) child.cut.clear();
  if (child.CutsPower() && child.cut.empty()) child.cut = "drop";
  if (child.change_at >= child.cycles) {
    child.change_at = 0;
    child.changes.clear();
  }
  return child;
}

}  // namespace powercut::harness
