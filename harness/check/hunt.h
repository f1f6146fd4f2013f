// The hunt (`powercut check --duration D`): a time-budgeted, coverage-guided property search
// that goes on after a finding and reports each distinct finding once (issue 13).
//
// Each case is a real `powercut run` with crash-state exploration on. After it, the feature
// keys of its crash states (faults/state_features.h) are its coverage; a case that reached
// keys no earlier case had joins the corpus. A guided hunt draws four cases in five as
// mutations of corpus parents (harness/check/corpus.h), the fifth fresh from the generator;
// an unguided one draws every case fresh. A failing case's signature
// (harness/check/case_report.h) decides whether it is a new finding or one more sighting; a
// new one is shrunk (harness/check/shrink.h) within a share of the budget, its report folder
// kept under REPORT_DIR/findings/finding-K, and the search goes on. Deterministic: the same
// seed and the same results of the runs give the same sequence of cases.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/check/case_report.h"
#include "harness/check/gen.h"
#include "harness/check/session.h"
#include "harness/check/session_options.h"

namespace powercut::harness {

struct Finding {
  Signature signature;
  uint64_t count = 0;   // failing cases with this signature
  RunRecord first;      // the case that found it
  RunRecord shrunk;     // the smallest case that still fails with one of its classes
  CaseFailure failure;  // of `shrunk`'s report
  uint32_t shrink_runs = 0;
  double first_seen_s = 0;  // seconds into the hunt
  uint64_t first_seen_case = 0;
  std::string evidence_dir;        // REPORT_DIR/findings/finding-K: the shrunk run's report folder
  std::string ReplayLine() const;  // `powercut replay …` of the kept crash image or cycle
};

struct CoveragePoint {
  double seconds = 0;
  uint64_t cases = 0;
  uint64_t combinations = 0;
  uint64_t findings = 0;
};

struct HuntResult {
  uint64_t cases = 0;  // search cases run (shrink runs not counted)
  // cut_short: ended by the budget, or past a case's (generous) timeout; never judged.
  uint64_t passed = 0, failed = 0, discarded = 0, cut_short = 0;
  uint64_t shrink_runs = 0;
  uint64_t mutated = 0;  // cases drawn as mutations of a corpus parent
  uint64_t corpus = 0;
  std::map<std::string, uint64_t> coverage;  // feature key -> the case that first reached it
  std::vector<CoveragePoint> timeline;       // after every case
  std::vector<Finding> findings;             // in the order first seen
  std::vector<RunRecord> runs;               // every run, search and shrink
  std::string error;                         // a harness error stopped the hunt
  bool interrupted = false;
  double seconds = 0;
};

// Runs the hunt `o` asks for (o.duration_ms > 0) and fills *result; never throws.
void RunHunt(const CheckOptions& o, const GenLimits& limits, HuntResult* result);

}  // namespace powercut::harness
