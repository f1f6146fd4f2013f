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
  const CheckCase& Pick(Rng* rng);

 private:
  struct Entry {
    CheckCase c;
    std::vector<std::string> values;  // the feature values its run reached
    uint64_t cost = 1;                // CostOf(c)
    uint64_t picked = 0;
  };
  std::vector<Entry> entries_;
  std::map<std::string, uint64_t> value_hits_;  // feature value -> cases that reached it
  std::set<std::string> joined_;                // keys and values a case that may join reached
};

// A child of `parent`: one to three of its aspects (size, values, options (all, or one more or
// less), option change,
// profile, fault, fault window, exploration) taken from `fresh`, a case drawn from the
// generator, or the case grown (twice the cycles and keys, twice the bytes a cycle writes),
// and always `fresh`'s seed, so the
// child runs other ops at other moments. The caller checks the child against the filters
// (Incompatibility) and falls back to `fresh`.
CheckCase Mutate(const CheckCase& parent, const CheckCase& fresh, Rng* rng);

}  // namespace powercut::harness
