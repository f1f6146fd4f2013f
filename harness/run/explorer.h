// The explorer: after a writer died, judges many crash states of its one trace (DESIGN.md,
// "Crash states"), besides the one state the chain goes on from. It plans the states
// (faults/crash_states.h), builds each image in scratch (faults/crash_image.h), and judges it
// in the judge pool against the window of ops the contract gives at that event: lo from the
// ops acked by then (process-crash or power-cut contract), hi the ops issued by then. States
// whose images hold the same bytes are judged once; a duplicate whose window holds the
// recovered point of a PASS is settled by it, any other is judged on its own. A failing state
// keeps its image, rebuilt untouched by the judge's recovery, so a replay opens the same bytes.
// Must run before the cycle's own cut: the cut rewrites the files the trace reads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "faults/crash_states.h"
#include "src/op.h"
#include "src/status.h"
#include "src/store_config.h"
#include "src/verdict.h"

namespace powercut::harness {

struct ExploreRequest {
  std::string chain_dir;         // the dead writer's chain: its store as the writer left it
  std::string ledger_dir;        // the writer's ledger
  std::string scratch_dir;       // images are built and judged here, then removed
  std::string keep_dir;          // failing states keep their images under it; empty: none kept
  uint32_t keep_max = 3;         // failing images kept, at most
  uint64_t recovered = 0;        // r: the writer wrote ops r + 1 on
  uint64_t on_disk = 0;          // the chain's on-disk mark when the writer started (<= r)
  StoreConfig store;             // the options the writer wrote with (they decide the contract)
  std::string judge_store_json;  // the options the judging opens use
  bool expect_acked = false;
  bool option_changed = false;  // the writer ran with other options than the cycle before
  const OpSource* ops = nullptr;
  uint32_t threads = 1;  // the workload's writer threads (workloads/lanes.h)
  faults::ExploreLimits limits;
  std::string writer_path;
  uint32_t judges = 2;
  int64_t timeout_ms = 20'000;
  std::function<bool()> stop = [] { return false; };
  // TESTS ONLY: flip one durable byte of a WAL in every image before it is judged, so that a
  // tampered image is shown to fail (a check that cannot fail would pass it).
  bool test_tamper = false;
  // The first failing state is shrunk to the smallest like it (the earliest crash point and
  // the fewest files whose unsynced bytes differ from drop that fail with the same class),
  // judging at most this many more images.
  uint32_t minimize_judges = 16;
};

// What a judge needs to open a state again: the image and its window.
struct StateWindow {
  uint64_t lo = 0;
  uint64_t hi = 0;
  std::vector<uint64_t> checkpoints;
  std::vector<uint64_t> required;  // concurrent writers: ops above lo that must survive
};

struct ExploredFailure {
  std::string state;  // faults::CrashStateName
  StateWindow window;
  Verdict verdict;
  std::string kept_dir;   // keep_dir/state-<k>, empty when not kept
  std::string narrative;  // faults/crash_narrative.h, and what the store recovered instead
  std::string features;   // faults::StateFeatures::Key of the state
};

struct ExploreResult {
  faults::PlanCounts plan;
  uint64_t judged = 0;                       // images opened by a judge
  uint64_t settled = 0;                      // duplicates settled by the verdict of the same image
  uint64_t passed = 0;                       // states judged or settled PASS
  std::map<std::string, uint64_t> classes;   // failing states by class
  std::vector<ExploredFailure> failures;     // the smallest failing state first, then plan order
  std::map<std::string, uint64_t> coverage;  // states by feature key (faults/state_features.h)
  double build_ms = 0;                       // summed over images
  double open_ms = 0;                        // RocksDB's open, summed
  double judge_ms = 0;                       // judge process start to verdict, summed
  double wall_ms = 0;
  uint64_t states() const { return judged + settled; }
};

// A harness problem (unreadable ledger, no scratch space, a judge that broke the protocol)
// is the non-OK status; every verdict on the store is in *result.
Status Explore(const ExploreRequest& request, ExploreResult* result);

// The window the contract gives a state of `trace` (see above).
StateWindow WindowOf(const ExploreRequest& request, const faults::Trace& trace, uint64_t event,
                     faults::CrashKind kind);

// Builds `state`'s image in `dir` (which must not exist) as a judge opens it: the image's
// trees, plus links to the chain's manifest and oracle. Used for judging and for keeping.
Status BuildJudgeImage(const faults::Trace& trace, const faults::CrashState& state,
                       const std::string& chain_dir, const std::string& dir, bool copy_chain_files);

}  // namespace powercut::harness
