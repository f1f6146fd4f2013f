#include "harness/check/corpus.h"

#include <algorithm>
#include <cassert>
#include <set>

#include "src/value_codec.h"

namespace powercut::harness {
namespace {

constexpr int kAspects = 9;
constexpr uint32_t kMaxGrownCycles = 200;
constexpr uint32_t kMaxGrownKeys = 1'000'000;

// Deeper and heavier, the way a fuzzer's havoc stretches an input: twice the cycles and keys,
// and twice the bytes a cycle writes (longer fault window, more ops, larger values) while a
// cycle stays within 64 MiB.
void Grow(CheckCase* c) {
  c->cycles = std::min(kMaxGrownCycles, c->cycles * 2);
  c->keys = std::min(kMaxGrownKeys, c->keys * 2);
  if (c->fault_max_ms == 0) c->fault_min_ms = 1, c->fault_max_ms = kRunDefaultFaultMaxMs;
  c->fault_min_ms = std::min(kMaxFaultWindowMs, c->fault_min_ms * 2);
  c->fault_max_ms = std::min(kMaxFaultWindowMs, c->fault_max_ms * 2);
  if (c->max_ops_per_cycle > 0) c->max_ops_per_cycle *= 2;
  const uint64_t ops = c->max_ops_per_cycle > 0 ? c->max_ops_per_cycle : kRunDefaultOpsPerCycle;
  if (c->value_max_bytes > 0 && ops * c->value_max_bytes * 2 <= kMaxBytesPerCycle) {
    c->value_max_bytes = std::min<uint32_t>(kMaxValueBytes, c->value_max_bytes * 2);
  }
  c->BoundBytesPerCycle();
}

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
    case 2:  // the other case's options, or one option more or one less
      if (rng->Uniform(2) == 0) {
        to->options = from.options;
      } else if (!from.options.empty()) {
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
      to->txn = from.txn;
      to->threads = from.threads;
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
    case 8:
      Grow(to);
      break;
  }
  assert(which >= 0 && which < kAspects);
}

}  // namespace

// About a case's run time in seconds, from its plan: each cycle writes to the end of its
// fault window, then is judged (about a tenth of a second, more with exploration).
uint64_t CostOf(const CheckCase& c) {
  const uint64_t window_ms = c.fault_max_ms > 0 ? c.fault_max_ms : kRunDefaultFaultMaxMs;
  const uint64_t judge_ms = 100 + 25 * uint64_t{c.explore};
  return std::max<uint64_t>(1, c.cycles * (window_ms + judge_ms) / 1000);
}

// The feature values of a run's keys ("wals=2", "record=spans", ...), each once.
std::set<std::string> FeatureValues(const std::vector<std::string>& keys) {
  std::set<std::string> out;
  for (const std::string& k : keys) {
    for (size_t from = 0; from < k.size();) {
      const size_t space = std::min(k.find(' ', from), k.size());
      if (space > from) out.insert(k.substr(from, space - from));
      from = space + 1;
    }
  }
  return out;
}

void Corpus::Observe(const CheckCase& c, const std::vector<std::string>& keys, bool failed) {
  // Rarity counts every case; novelty is against the cases that could join, so a passing case
  // that reaches what only a failing one had still becomes that state's parent.
  bool fresh = false;
  for (const std::string& k : keys) {
    if (!failed) fresh |= joined_.insert(k).second;
  }
  const std::set<std::string> values = FeatureValues(keys);
  for (const std::string& v : values) {
    value_hits_[v]++;
    if (!failed) fresh |= joined_.insert(v).second;
  }
  if (fresh) entries_.push_back({c, {values.begin(), values.end()}, CostOf(c), 0});
}

const CheckCase& Corpus::Pick(Rng* rng) {
  assert(!entries_.empty());
  // Weight: 1 / (cases that reached its rarest feature value), over 1 + the times it was
  // picked, over its cost; in integer millionths, so no float rounding differs between
  // machines. Rarity counts single values, not combinations: almost every run reaches some
  // combination no other run did, so combinations would make every parent equally rare.
  std::vector<uint64_t> weights;
  uint64_t total = 0;
  for (const Entry& e : entries_) {
    uint64_t rarity = 0;
    for (const std::string& v : e.values) rarity = std::max(rarity, 1'000'000 / value_hits_.at(v));
    weights.push_back(std::max<uint64_t>(1, rarity / (1 + e.picked) / e.cost));
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
