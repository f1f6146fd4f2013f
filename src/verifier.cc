#include "src/verifier.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "src/families.h"
#include "src/key.h"

namespace powercut {

void StoreImage::Add(std::string_view key, std::string_view value, uint32_t family) {
  std::optional<uint32_t> id = KeyId(key);
  const bool ours = id && *id < keys.size() && family < families && layout.Of(*id) == family;
  if (!ours) {
    foreign_count++;
    if (foreign_samples.size() < kMaxFindings) {
      foreign_samples.push_back(family == 0 ? std::string(key)
                                : family < families
                                    ? fmt::format("{} in column family {}", key, FamilyName(family))
                                    : fmt::format("{} in a column family not the chain's", key));
    }
    return;
  }
  DecodedValue d = DecodeValue(*id, value);
  Observed& o = keys[*id];
  o.state = d.ok() ? Observed::State::kValue : Observed::State::kCorrupt;
  o.problem = d.problem;
  o.slot = d.slot;
  o.corrupt_bytes = d.ok() ? 0 : static_cast<uint32_t>(value.size());
}

namespace {

bool Matches(const Observed& o, const Slot& s) {
  switch (o.state) {
    case Observed::State::kAbsent:
      return !s.present();
    case Observed::State::kValue:
      return s.present() && s == o.slot;
    case Observed::State::kCorrupt:
      return false;
  }
  return false;
}

std::string Describe(const Slot& s) {
  if (!s.present()) {
    return s.op == 0 ? "absent (never written)" : fmt::format("absent (deleted by op {})", s.op);
  }
  if (s.merge_count == 0) return fmt::format("op {} put {}B", s.op, s.value_bytes);
  const std::string base =
      s.base_op == 0 ? "no base" : fmt::format("base op {} put {}B", s.base_op, s.value_bytes);
  return fmt::format("{} + {} merges (last op {}, xor {:#x})", base, s.merge_count, s.op,
                     s.merge_xor);
}

std::string Describe(const Observed& o) {
  switch (o.state) {
    case Observed::State::kAbsent:
      return "absent";
    case Observed::State::kValue:
      return Describe(o.slot);
    case Observed::State::kCorrupt:
      return fmt::format("corrupt {}B: {}", o.corrupt_bytes, ProblemName(o.problem));
  }
  return "?";
}

// A key's states over [lo, hi]: (first op index at which the state holds, state).
using History = std::vector<std::pair<uint64_t, Slot>>;

class Search {
 public:
  Search(const StoreImage& image, const OpSource& ops, std::vector<Slot> expected, uint64_t lo,
         uint64_t hi, const Concurrency& concurrency)
      : image_(image),
        ops_(ops),
        expected_(std::move(expected)),
        lo_(lo),
        hi_(hi),
        threads_(concurrency.threads),
        required_(concurrency.required),
        cut_max_(concurrency.cut_at == 0 ? hi : std::min(hi, concurrency.cut_at + threads_ - 1)),
        in_flight_(concurrency.in_flight),
        after_(threads_ + 1),
        delta_(threads_ + 1) {
    if (concurrency.cut_at != 0) required_.push_back(concurrency.cut_at);
  }

  Verdict Run() {
    Verdict v;
    v.lo = lo_;
    v.hi = hi_;
    // Pass 1, the common case: count mismatches op by op, remembering only how to undo. A
    // state [1, m] ∪ X is judged once the ops of its X (up to m + T) have been applied.
    uint64_t count = image_.foreign_count;
    for (uint32_t k = 0; k < KeyCount(); ++k) count += !Matches(image_.keys[k], expected_[k]);
    after_[Ring(lo_)] = count;
    Candidate best;
    uint64_t judged = lo_;  // the next m to judge
    auto judge_through = [&](uint64_t last) {
      for (; judged <= last && best.total != 0; ++judged) {
        Candidate c = Judge(judged);
        // Real-time order within the window can only raise the count: checked when it matters.
        if (c.total < best.total && in_flight_ != nullptr) HoldToOrder(&c);
        if (c.total < best.total) best = std::move(c);
      }
    };
    std::vector<std::pair<uint32_t, Slot>> undo;
    for (uint64_t i = lo_ + 1; best.total != 0 && i <= hi_; ++i) {
      const uint64_t before = count;
      for (const Write& w : ops_.Get(i).writes) {
        ForEachKeyWritten(w, [&](uint32_t k) {
          const Slot s = Next(expected_[k], w, i);
          undo.emplace_back(k, expected_[k]);
          count -= !Matches(image_.keys[k], expected_[k]);
          expected_[k] = s;
          count += !Matches(image_.keys[k], s);
        });
      }
      after_[Ring(i)] = count;
      delta_[Ring(i)] = static_cast<int64_t>(count) - static_cast<int64_t>(before);
      if (i >= lo_ + threads_) judge_through(i - threads_);
    }
    judge_through(hi_);
    assert(best.valid());  // m = hi (or the cut) always is
    v.recovered = best.m;
    v.ahead = best.ahead;
    v.mismatches = best.total;
    if (best.total == 0) {
      v.pass = true;
      v.detail = fmt::format("recovered to op {}{} (durable {}, issued {})", best.m,
                             best.ahead.empty() ? ""
                                                : fmt::format(" and ops {} in flight beside it",
                                                              fmt::join(best.ahead, ",")),
                             lo_, hi_);
      return v;
    }
    // Pass 2, only on FAIL: back to lo, then forward again keeping each touched key's states.
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) expected_[it->first] = it->second;
    undo = {};
    for (uint64_t i = lo_ + 1; i <= hi_; ++i) {
      for (const Write& w : ops_.Get(i).writes) {
        ForEachKeyWritten(w, [&](uint32_t k) {
          auto [it, fresh] = history_.try_emplace(k);
          if (fresh) it->second.emplace_back(lo_, expected_[k]);
          const Slot s = Next(it->second.back().second, w, i);
          if (it->second.back().first == i) {
            it->second.back().second = s;
          } else {
            it->second.emplace_back(i, s);
          }
        });
      }
    }
    Classify(best, &v);
    v.detail =
        fmt::format("no prefix in [{}, {}] matches the store; closest is op {} with {} keys wrong",
                    lo_, hi_, best.m, best.total);
    return v;
  }

 private:
  // A state [1, m] ∪ ahead and its mismatch count.
  struct Candidate {
    uint64_t m = 0;
    std::vector<uint64_t> ahead;
    uint64_t total = ~uint64_t{0};  // none yet
    bool valid() const { return total != ~uint64_t{0}; }
  };

  size_t Ring(uint64_t i) const { return static_cast<size_t>(i % (threads_ + 1)); }

  // The best state with prefix m: the ops of m+2 … m+T that the store reflects (those that
  // lower the count) and those required. Invalid when a required op cannot be in it.
  Candidate Judge(uint64_t m) const {
    Candidate c;
    if (m > cut_max_) return c;
    const uint64_t last = std::min(m + threads_, cut_max_);
    for (uint64_t r : required_) {
      if (r > m && (r == m + 1 || r > last)) return c;
    }
    int64_t total = static_cast<int64_t>(after_[Ring(m)]);
    for (uint64_t j = m + 2; j <= last; ++j) {
      if (Required(j) || delta_[Ring(j)] < 0) total += delta_[Ring(j)], c.ahead.push_back(j);
    }
    assert(total >= 0);  // the count of a real state
    c.m = m;
    c.total = static_cast<uint64_t>(total);
    return c;
  }

  bool Required(uint64_t j) const {
    return std::find(required_.begin(), required_.end(), j) != required_.end();
  }

  // Makes c's state closed under the recorded real-time order: an op of `ahead` that op m + 1
  // (absent) precedes cannot be in it, nor one that an absent op precedes. An absent op that
  // changes nothing the store shows (its delta is 0) joins instead; otherwise the op leaves,
  // and the count rises by what it had lowered. A required op that must leave: invalid.
  void HoldToOrder(Candidate* c) const {
    const uint64_t m = c->m;
    int64_t total = static_cast<int64_t>(c->total);
    std::vector<uint64_t> in = c->ahead;
    std::vector<uint64_t> out;  // ops that left: never joined again, so the loop ends
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t x = 0; x < in.size(); ++x) {
        const uint64_t j = in[x];
        bool closed = !in_flight_->Precedes(m + 1, j);
        for (uint64_t a = m + 2; closed && a < j; ++a) {
          if (std::find(in.begin(), in.end(), a) != in.end() || !in_flight_->Precedes(a, j))
            continue;
          if (delta_[Ring(a)] == 0 && std::find(out.begin(), out.end(), a) == out.end()) {
            in.insert(std::upper_bound(in.begin(), in.end(), a), a);
            changed = true;
            break;
          }
          closed = false;
        }
        if (changed) break;
        if (closed) continue;
        if (Required(j)) {
          *c = Candidate();
          return;
        }
        total -= delta_[Ring(j)];
        in.erase(in.begin() + static_cast<std::ptrdiff_t>(x));
        out.push_back(j);
        changed = true;
        break;
      }
    }
    // Ops that joined only for closure and change nothing are not reported ahead.
    c->ahead.clear();
    for (uint64_t j : in)
      if (delta_[Ring(j)] != 0 || Required(j)) c->ahead.push_back(j);
    c->total = static_cast<uint64_t>(total);
  }

  uint32_t KeyCount() const { return static_cast<uint32_t>(expected_.size()); }

  // expected_ holds the state at lo (pass 2 never writes it); history_ the keys touched after.
  History StatesOf(uint32_t k) const {
    auto it = history_.find(k);
    if (it != history_.end()) return it->second;
    return {{lo_, expected_[k]}};  // untouched in (lo, hi]: its state at lo
  }

  static Slot StateAt(const History& h, uint64_t r) {
    Slot s = h.front().second;
    for (const auto& [start, slot] : h) {
      if (start > r) break;
      s = slot;
    }
    return s;
  }

  void Classify(const Candidate& best, Verdict* v) {
    // A key an op of `ahead` wrote is judged at that op (no op between touches it: lanes.h).
    std::unordered_map<uint32_t, uint64_t> ahead_at;
    for (uint64_t j : best.ahead) {
      for (const Write& w : ops_.Get(j).writes)
        ForEachKeyWritten(w, [&](uint32_t k) { ahead_at[k] = j; });
    }
    for (uint32_t k = 0; k < KeyCount(); ++k) {
      const Observed& o = image_.keys[k];
      auto it = history_.find(k);
      if (it == history_.end() && Matches(o, expected_[k])) continue;  // no allocation
      const History h = StatesOf(k);
      auto at = ahead_at.find(k);
      const uint64_t r = at == ahead_at.end() ? best.m : at->second;
      const Slot want = StateAt(h, r);
      if (Matches(o, want)) continue;
      v->AddFinding({KeyFor(k), ClassOf(k, h, r), Describe(want), Describe(o)});
    }
    for (const std::string& key : image_.foreign_samples) {
      v->AddFinding({key, kPhantom, "absent (not a key of this workload)", "present"});
    }
    // Foreign keys beyond the samples are counted, not listed.
    if (image_.foreign_count > image_.foreign_samples.size()) {
      v->classes[kPhantom] += image_.foreign_count - image_.foreign_samples.size();
    }
  }

  const char* ClassOf(uint32_t k, const History& h, uint64_t r) {
    const Observed& o = image_.keys[k];
    if (o.state == Observed::State::kCorrupt) {
      // Damaged bytes of a real value that RocksDB served without an error, versus content
      // that was never a value of this key at all.
      return o.problem == DecodedValue::Problem::kBadChecksum ? kSilentCorruption : kCorruptValue;
    }
    // The interval of prefixes whose state of k equals the store's, nearest to r.
    for (size_t j = 0; j < h.size(); ++j) {
      if (!Matches(o, h[j].second)) continue;
      const uint64_t end = j + 1 < h.size() ? h[j + 1].first : hi_ + 1;
      if (end <= r) return TornBatch(end) ? kTornBatch : kHole;  // behind: op `end` lost
      if (h[j].first > r) return TornBatch(h[j].first) ? kTornBatch : kHole;  // ahead
    }
    // No state of k in [lo, hi] matches: the store holds something older than lo, or
    // something no op wrote.
    const Slot at_lo = h.front().second;
    if (o.state == Observed::State::kValue) {
      const uint64_t last = o.slot.op;
      if (last == 0 || last > hi_ || !OpWrites(last, k, o.slot)) return kPhantom;
      if (last > lo_) {
        // A state no whole prefix produces: inside one batch, or merges kept out of order.
        return ops_.Get(last).Atomic() ? kTornBatch : kHole;
      }
      if (TornBatch(at_lo.op)) return kTornBatch;
      return at_lo.present() ? kLostAck : kResurrected;
    }
    return TornBatch(at_lo.op) ? kTornBatch : kLostAck;
  }

  // Whether op `index` could have left `seen` in key k: a put of that length, or a merge.
  bool OpWrites(uint64_t index, uint32_t k, const Slot& seen) const {
    const Op op = ops_.Get(index);
    for (const Write& w : op.writes) {
      if (w.key_id != k) continue;
      if (w.kind == Write::Kind::kPut && seen.merge_count == 0 && w.value_bytes == seen.value_bytes)
        return true;
      if (w.kind == Write::Kind::kMerge && seen.merge_count > 0) return true;
    }
    return false;
  }

  // Atomic op b (a batch, a transaction) applied to some of its keys and not to others.
  bool TornBatch(uint64_t b) const {
    if (b == 0 || b > hi_) return false;
    const Op op = ops_.Get(b);
    if (!op.Atomic()) return false;
    std::unordered_map<uint32_t, Slot> after;  // last write of the batch wins
    // Only puts and deletes are evidence: their result does not depend on the state before. A
    // key a transaction also merges into is left out.
    for (const Write& w : op.writes)
      ForEachKeyWritten(w, [&](uint32_t k) { after[k] = Next(Slot{}, w, b); });
    for (const Write& w : op.writes)
      if (w.kind == Write::Kind::kMerge) after.erase(w.key_id);
    // Only a value naming op b proves the batch applied to a key: an absent key may have
    // been absent before the batch deleted it.
    bool reflected = false, missed = false;
    for (const auto& [k, s] : after) {
      const Observed& o = image_.keys[k];
      if (o.state == Observed::State::kCorrupt) continue;
      if (Matches(o, s)) {
        reflected |= s.present();
        continue;
      }
      bool later = expected_[k].op > b && Matches(o, expected_[k]);
      if (auto it = history_.find(k); it != history_.end()) {
        for (const auto& [start, slot] : it->second) later |= slot.op > b && Matches(o, slot);
      }
      missed |= !later;
    }
    return reflected && missed;
  }

  const StoreImage& image_;
  const OpSource& ops_;
  std::vector<Slot> expected_;  // pass 1: the state at the op being searched; then at lo
  const uint64_t lo_;
  const uint64_t hi_;
  const uint64_t threads_;
  std::vector<uint64_t> required_;  // and the cut's op
  const uint64_t cut_max_;          // no state holds an op above this
  const InFlight* in_flight_;       // null: ops within T of each other taken as concurrent
  // Pass 1, for the last T + 1 ops i: the count after the prefix [1, i], and what op i changed.
  std::vector<uint64_t> after_;
  std::vector<int64_t> delta_;
  std::unordered_map<uint32_t, History> history_;  // keys touched in (lo, hi]
};

}  // namespace

Verdict Verify(const StoreImage& image, Oracle base, uint64_t lo, uint64_t hi, const OpSource& ops,
               const Concurrency& concurrency) {
  // A harness bug, not a store's: stop loudly, in every build type.
  if (base.index() > lo || lo > hi || image.keys.size() != base.key_count() ||
      concurrency.threads < 1 || (concurrency.cut_at != 0 && concurrency.cut_at > hi)) {
    fmt::print(stderr,
               "powercut: verifier called with oracle at {} ({} keys), lo {}, hi {}, {} keys\n",
               base.index(), base.key_count(), lo, hi, image.keys.size());
    std::abort();
  }
  base.AdvanceTo(lo, ops);
  return Search(image, ops, std::move(base).TakeSlots(), lo, hi, concurrency).Run();
}

}  // namespace powercut
