// The hunt's corpus: the cases whose runs reached crash-state feature combinations no earlier
// case had (the way a coverage-guided fuzzer keeps inputs that found new edges), and the
// mutation that makes a new case from one of them. A guided hunt draws most of its cases as
// mutations of corpus parents, so the search spends its time next to where coverage grew.
// Deterministic: the same seed and the same sequence of Add calls give the same picks.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/check/case.h"
#include "src/rng.h"

namespace powercut::harness {

class Corpus {
 public:
  // A case's run reached `keys` (its feature keys, each a combination of feature values
  // such as "wals=2 record=spans ..."); it joins the corpus when a combination or a single
  // value was new. Every case is counted, so the corpus knows how rare each value is. A case
  // that `failed` never joins (as a fuzzer keeps crashing inputs out of its queue): its run
  // stopped at its failure, so it explored less than its plan, and its children find the same
  // failure again (counted, not new) instead of states no case reached.
  void Observe(const CheckCase& c, const std::vector<std::string>& keys, bool failed = false);

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  // A parent, favouring those whose rarest feature value fewest cases reached, those picked least,
  // and cheap ones (the rare-branch targeting of FairFuzz, on AFL's energy, which also favours fast
  // inputs): a rare state's neighbourhood is where the states no case has reached yet are
  // likeliest, and a slow parent's children spend the budget slowly. The cost is estimated from the
  // plan (cycles times fault window), not measured, so the same results give the same picks.
  //
  // Depth is the exception (faults::RungOf: live WALs, the largest WAL record). For each depth
  // ladder, the cheapest case that reached its deepest rung so far is its frontier: weighted as
  // the rarest, whatever its cost, and *climb is set to the ladder, for the caller to grow the
  // case up it (Climb); "" for any other pick. A ladder has no frontier once its last rung is
  // reached, nor while its deepest rung was reached only by a failing case. A
  // deeper state is one a longer or heavier chain reaches, so its neighbourhood is upward, and
  // the cost that would starve a long parent is what reaching the next rung takes. Without it,
  // every rung past the first few came only by chance (uniform sampling's odds).
  const CheckCase& Pick(Rng* rng, std::string* climb);

 private:
  std::map<size_t, std::string> Frontier() const;

  struct Entry {
    CheckCase c;
    std::vector<std::string> values;  // the feature values its run reached
    uint64_t cost = 1;                // CostOf(c)
    uint64_t picked = 0;
  };
  std::vector<Entry> entries_;
  std::map<std::string, uint64_t> value_hits_;  // feature value -> cases that reached it
  std::set<std::string> joined_;                // keys and values a case that may join reached
  std::map<std::string, uint32_t> top_rung_;    // depth ladder -> the deepest rung a case reached
};

// A child of `parent`: one to three of its aspects (size, values, options (all, or one more or
// less), option change,
// profile, fault, fault window, exploration) taken from `fresh`, a case drawn from the
// generator, or the case grown (twice the cycles and keys, twice the bytes a cycle writes),
// and always `fresh`'s seed, so the
// child runs other ops at other moments. The caller checks the child against the filters
// (Incompatibility) and falls back to `fresh`.
CheckCase Mutate(const CheckCase& parent, const CheckCase& fresh, Rng* rng);

// A frontier parent's child, grown up `ladder` with `seed` and nothing else changed, so it goes
// on past the rung the parent reached: twice the cycles for live WALs, twice the value sizes
// for the WAL record, the whole case grown (Mutate's grow) for any other.
CheckCase Climb(const CheckCase& parent, const std::string& ladder, uint64_t seed);

}  // namespace powercut::harness
