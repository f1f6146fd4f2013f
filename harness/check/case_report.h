// What a hunt reads back from one case's report.json: the coverage its crash states reached,
// and, when it failed, the signatures and the evidence of its first failing cycle.
//
// A finding's signature (issue 13) is the failure classes of its smallest failing state, that
// state's feature key (faults/state_features.h) and RocksDB's error text with numbers
// removed. A cycle whose own state failed while no explored state did has the key
// "cycle-state fault=F" instead of features. Findings with equal signatures are one finding.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/status.h"

namespace powercut::harness {

struct Signature {
  std::string classes;   // "hole" or "lost-ack+recovery-hang": sorted, '+'-joined
  std::string features;  // the smallest failing state's feature key
  std::string error;     // RocksDB's error text, numbers replaced by N; "" when none
  std::string Key() const { return classes + " | " + features + " | " + error; }
  // Whether the two name a failure class in common ("hole+lost-ack" and "lost-ack" do).
  bool SharesClassWith(const Signature& other) const;
};

struct CaseFailure {
  Signature signature;
  uint64_t cycle = 0;
  std::string state;        // the failing crash state's name; "" for the cycle's own state
  std::string detail;       // the verdict line
  std::string narrative;    // what the files kept and lost (explored states), or the detail
  bool image_kept = false;  // the state's image is in the report folder: replay --state works
};

struct CaseReport {
  std::map<std::string, uint64_t> coverage;  // feature key -> crash states
  // The first FAIL cycle's, if any: its smallest failing state first, then one state for
  // each further group of classes (case_report.cc FailuresOf).
  std::vector<CaseFailure> failures;
  // TESTS ONLY: ops a writer acked unexecuted (--test-lose-when-wals), over every cycle: the
  // planted rare state was reached this many times.
  uint64_t planted_losses = 0;

  // The first of `failures` sharing a class with `s`, or nullptr.
  const CaseFailure* FailureLike(const Signature& s) const;
};

// Reads `report_json`; Corruption when it is not a powercut report.
Status ReadCaseReport(const std::string& report_json, CaseReport* out);

// The RocksDB status text inside a verdict line ("Corruption: bad record length ..."), up to
// the next "; ", else a failed assertion's file and condition ("./db/memtable.cc: Assertion
// `x' failed"), or "" when the line holds neither.
std::string RocksDbError(const std::string& detail);

// A signature's error part: RocksDbError without numbers and folders, an injected I/O error
// without the call and status it was injected at.
std::string SignatureError(const std::string& detail);

// `text` with every absolute path cut to its last part ("/tmp/w/db/MANIFEST-5" becomes
// "MANIFEST-5"): two runs of one problem differ in their work folders.
std::string WithoutDirectories(const std::string& text);

// `text` with every run of digits replaced by "N": file numbers, offsets and lengths differ
// between two sightings of one problem.
std::string WithoutNumbers(const std::string& text);

}  // namespace powercut::harness
