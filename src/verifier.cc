#include "src/verifier.h"

#include <cassert>
#include <unordered_map>

#include <fmt/format.h>

#include "src/key.h"

namespace powercut {

void StoreImage::Add(std::string_view key, std::string_view value) {
  std::optional<uint32_t> id = KeyId(key);
  if (!id || *id >= keys.size()) {
    foreign_count++;
    if (foreign_samples.size() < kMaxFindings) foreign_samples.emplace_back(key);
    return;
  }
  DecodedValue d = DecodeValue(*id, value);
  Observed& o = keys[*id];
  o.state = d.ok() ? Observed::State::kValue : Observed::State::kCorrupt;
  o.problem = d.problem;
  o.op = d.op_index;
  o.value_bytes = d.ok() ? d.length_bytes : static_cast<uint32_t>(value.size());
}

namespace {

bool Matches(const Observed& o, const Slot& s) {
  switch (o.state) {
    case Observed::State::kAbsent:
      return !s.present();
    case Observed::State::kValue:
      return s.present() && s.op == o.op && s.value_bytes == o.value_bytes;
    case Observed::State::kCorrupt:
      return false;
  }
  return false;
}

std::string Describe(const Slot& s) {
  if (s.present()) return fmt::format("op {} put {}B", s.op, s.value_bytes);
  if (s.op == 0) return "absent (never written)";
  return fmt::format("absent (deleted by op {})", s.op);
}

std::string Describe(const Observed& o) {
  switch (o.state) {
    case Observed::State::kAbsent:
      return "absent";
    case Observed::State::kValue:
      return fmt::format("op {} put {}B", o.op, o.value_bytes);
    case Observed::State::kCorrupt:
      return fmt::format("corrupt {}B: {}", o.value_bytes, ProblemName(o.problem));
  }
  return "?";
}

// A key's states over [lo, hi]: (first op index at which the state holds, state).
using History = std::vector<std::pair<uint64_t, Slot>>;

class Search {
 public:
  Search(const StoreImage& image, const OpSource& ops, std::vector<Slot> expected, uint64_t lo,
         uint64_t hi)
      : image_(image), ops_(ops), expected_(std::move(expected)), lo_(lo), hi_(hi) {}

  Verdict Run() {
    Verdict v;
    v.lo = lo_;
    v.hi = hi_;
    uint64_t count = image_.foreign_count;
    for (uint32_t k = 0; k < KeyCount(); ++k) count += !Matches(image_.keys[k], expected_[k]);
    uint64_t best = count, best_r = lo_;
    for (uint64_t i = lo_ + 1; count != 0 && i <= hi_; ++i) {
      const Op op = ops_.Get(i);
      for (const Write& w : op.writes) {
        ForEachKeyWritten(w, i, [&](uint32_t k, Slot s) {
          auto [it, fresh] = history_.try_emplace(k);
          if (fresh) it->second.emplace_back(lo_, expected_[k]);
          count -= !Matches(image_.keys[k], expected_[k]);
          expected_[k] = s;
          count += !Matches(image_.keys[k], s);
          if (it->second.back().first == i)
            it->second.back().second = s;
          else
            it->second.emplace_back(i, s);
        });
      }
      if (count < best) best = count, best_r = i;
    }
    v.recovered = best_r;
    v.mismatches = best;
    if (best == 0) {
      v.pass = true;
      v.detail = fmt::format("recovered to op {} (durable {}, issued {})", best_r, lo_, hi_);
      return v;
    }
    Classify(best_r, &v);
    v.detail =
        fmt::format("no prefix in [{}, {}] matches the store; closest is op {} with {} keys wrong",
                    lo_, hi_, best_r, best);
    return v;
  }

 private:
  uint32_t KeyCount() const { return static_cast<uint32_t>(expected_.size()); }

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

  void Classify(uint64_t r, Verdict* v) {
    for (uint32_t k = 0; k < KeyCount(); ++k) {
      const History h = StatesOf(k);
      const Slot want = StateAt(h, r);
      const Observed& o = image_.keys[k];
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
    if (o.state == Observed::State::kCorrupt) return kCorruptValue;
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
      if (o.op == 0 || o.op > hi_ || !OpWrites(o.op, k, o.value_bytes)) return kPhantom;
      if (o.op > lo_) return kTornBatch;  // a state inside one batch, never after a whole op
      if (TornBatch(at_lo.op)) return kTornBatch;
      return at_lo.present() ? kLostAck : kResurrected;
    }
    return TornBatch(at_lo.op) ? kTornBatch : kLostAck;
  }

  bool OpWrites(uint64_t index, uint32_t k, uint32_t value_bytes) const {
    const Op op = ops_.Get(index);
    for (const Write& w : op.writes) {
      if (w.kind == Write::Kind::kPut && w.key_id == k && w.value_bytes == value_bytes) return true;
    }
    return false;
  }

  // Batch op b applied to some of its keys and not to others.
  bool TornBatch(uint64_t b) const {
    if (b == 0 || b > hi_) return false;
    const Op op = ops_.Get(b);
    if (op.kind != OpKind::kBatch) return false;
    std::unordered_map<uint32_t, Slot> after;  // last write of the batch wins
    for (const Write& w : op.writes)
      ForEachKeyWritten(w, b, [&](uint32_t k, Slot s) { after[k] = s; });
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
      bool later = false;
      for (const auto& [start, slot] : StatesOf(k)) later |= slot.op > b && Matches(o, slot);
      missed |= !later;
    }
    return reflected && missed;
  }

  const StoreImage& image_;
  const OpSource& ops_;
  std::vector<Slot> expected_;  // the state at the op being searched
  const uint64_t lo_;
  const uint64_t hi_;
  std::unordered_map<uint32_t, History> history_;  // keys touched in (lo, hi]
};

}  // namespace

Verdict Verify(const StoreImage& image, const Oracle& base, uint64_t lo, uint64_t hi,
               const OpSource& ops) {
  assert(base.index() <= lo && lo <= hi);
  assert(image.keys.size() == base.key_count());
  Oracle expected = base;
  expected.AdvanceTo(lo, ops);
  return Search(image, ops, std::move(expected).TakeSlots(), lo, hi).Run();
}

}  // namespace powercut
