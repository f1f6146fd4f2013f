#include "harness/check/corpus.h"

#include <algorithm>
#include <cassert>
#include <set>

#include "faults/state_features.h"
#include "src/value_codec.h"

namespace powercut::harness {
namespace {

constexpr int kAspects = 9;
constexpr uint32_t kMaxGrownCycles = 200;
constexpr uint32_t kMaxGrownKeys = 1'000'000;

// Twice the value sizes (not the profile's own: those have no flag), within a cycle's bytes.
void DoubleValues(CheckCase* c) {
  if (c->value_max_bytes == 0) return;
  c->value_max_bytes = std::min<uint32_t>(kMaxValueBytes, c->value_max_bytes * 2);
  c->value_min_bytes = std::min(c->value_max_bytes, c->value_min_bytes * 2);
  c->BoundBytesPerCycle();
}

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
  if (ops * c->value_max_bytes * 2 <= kMaxBytesPerCycle) DoubleValues(c);
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
  // Every case raises the rungs, a failing one too: a ladder whose deepest rung only a failing
  // case reached has no frontier, for growing its parent again would find that failure again.
  for (const std::string& v : values) {
    if (const auto r = faults::RungOf(v))
      top_rung_[r->ladder] = std::max(top_rung_[r->ladder], r->rung);
  }
  if (fresh) entries_.push_back({c, {values.begin(), values.end()}, CostOf(c), 0});
}

// For each depth ladder whose deepest rung reached is past its first and short of its last,
// the cheapest entry that reached it (the earliest of equals), if one did: entry -> the ladder
// Pick climbs from it.
std::map<size_t, std::string> Corpus::Frontier() const {
  std::map<std::string, size_t> cheapest;  // ladder -> entry
  for (size_t i = 0; i < entries_.size(); ++i) {
    for (const std::string& v : entries_[i].values) {
      const auto r = faults::RungOf(v);
      if (!r || r->rung == 0 || r->last || r->rung != top_rung_.at(r->ladder)) continue;
      auto [it, first] = cheapest.emplace(r->ladder, i);
      if (!first && entries_[i].cost < entries_[it->second].cost) it->second = i;
    }
  }
  std::map<size_t, std::string> out;
  for (const auto& [ladder, i] : cheapest) out.emplace(i, ladder);
  return out;
}

const CheckCase& Corpus::Pick(Rng* rng, std::string* climb) {
  assert(!entries_.empty());
  const std::map<size_t, std::string> frontier = Frontier();
  // Weight: 1 / (cases that reached its rarest feature value), over 1 + the times it was
  // picked, over its cost; in integer millionths, so no float rounding differs between
  // machines. Rarity counts single values, not combinations: almost every run reaches some
  // combination no other run did, so combinations would make every parent equally rare.
  std::vector<uint64_t> weights;
  uint64_t total = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    uint64_t rarity = 0;
    for (const std::string& v : e.values) rarity = std::max(rarity, 1'000'000 / value_hits_.at(v));
    const bool front = frontier.count(i) > 0;  // the rarest, whatever its cost
    if (front) rarity = 1'000'000;
    weights.push_back(std::max<uint64_t>(1, rarity / (1 + e.picked) / (front ? 1 : e.cost)));
    total += weights.back();
  }
  uint64_t at = rng->Uniform(total);
  size_t i = 0;
  while (at >= weights[i]) at -= weights[i++];
  entries_[i].picked++;
  const auto f = frontier.find(i);
  *climb = f == frontier.end() ? "" : f->second;
  return entries_[i].c;
}

CheckCase Climb(const CheckCase& parent, const std::string& ladder, uint64_t seed) {
  CheckCase child = parent;
  child.seed = seed;
  if (ladder == "wals") {
    // Each restart can leave one more WAL live; more bytes a cycle would flush them sooner.
    child.cycles = std::min(kMaxGrownCycles, child.cycles * 2);
  } else if (ladder == "record" && child.value_max_bytes > 0) {
    DoubleValues(&child);  // a larger value is a larger WAL record
  } else {
    Grow(&child);
  }
  return child;
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
