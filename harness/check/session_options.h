// CheckOptions: what `powercut check` was asked to do (harness/cli/check.cc fills it from
// the command line; the session and its cases read it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace powercut::harness {

struct CheckOptions {
  uint64_t seed = 1;              // rapidcheck's seed: the same seed generates the same cases
  uint32_t tests = 20;            // cases that must pass (cases RocksDB refuses do not count)
  uint32_t cycles_per_case = 20;  // most cycles a case may have; rapidcheck picks 1 … this
  std::string powercut_path;      // the powercut binary every case runs
  std::string work_dir = "powercut-check";     // case-N/{data,report,run.out,run.err}
  std::string report_dir = "powercut-report";  // check-report.json
  // --profile, --fault: the generator draws only these (empty: every profile, every fault).
  std::vector<std::string> profiles, faults;

  // The hunt (harness/check/hunt.h): > 0 runs cases until this budget is spent, going on
  // after findings; `tests` then caps the search cases only when given (max_cases).
  int64_t duration_ms = 0;
  uint32_t max_cases = 0;  // 0: no cap
  bool guided = true;      // --search guided (corpus and mutation) or uniform
  uint32_t shrink_runs_per_finding = 24;

  // TESTS ONLY (hidden flags). Arguments appended to every run, e.g. {"--test-lie-ack"} or
  // {"--expect", "acked"}; non-empty means a failure is being planted, so power cuts need
  // not come with sync writes.
  std::vector<std::string> extra_run_args;
  // NAME=VALUE options every case carries; the generator leaves these names alone.
  std::vector<std::string> forced_options;
  // Shrinking stops (keeping the smallest failure so far) after this long or this many runs.
  int64_t max_shrink_ms = 10 * 60'000;
  uint32_t max_shrink_runs = 500;
};

}  // namespace powercut::harness
