// Which crash states one trace yields, and which of them to judge within a budget.
//
// Crash points: every persistence point of the cycle's writing (sync, directory fsync,
// create, rename, link, delete, truncate, mkdir, rmdir, directory rename), plus one seeded
// event between each two of them. A point is moved forward over the op boundaries that
// follow it (they change no byte), so the state is judged against every op acked by then.
// At each point: a process crash, and power cuts whose files with unsynced data each lose
// it, keep it, keep a prefix ending at a WAL record boundary or at an arbitrary byte, or keep
// a subset of its 4 KiB pages, as far as `fates` (the plan's cut mode) allows. The
// combinations are enumerated when at most `exhaustive_files` files hold unsynced data and sampled
// from the seed beyond that. States whose images would hold the same bytes (Trace::ContentKey) are
// planned once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faults/crash_image.h"
#include "src/status.h"

namespace powercut::faults {

struct ExploreLimits {
  uint64_t max_states = 0;  // distinct states to plan; 0: every one
  bool process = true;      // plan process-crash states
  bool power_cut = true;    // plan power-cut states
  uint64_t seed = 0;
  // Which disk the power-cut variants model, as the cut modes do: kDrop loses every unsynced
  // byte (no variants: only the event varies), kTorn adds per-file writeback stopping anywhere
  // (kept whole, or to a WAL record boundary or an arbitrary byte), kReorder adds page subsets.
  CutMode fates = CutMode::kReorder;
  uint32_t exhaustive_files = 3;     // enumerate every fate combination up to this many files
  uint32_t sampled_variants = 16;    // combinations sampled at a point beyond that
  uint32_t max_points = 4096;        // crash points considered (seeded sample beyond it)
  uint64_t max_candidates = 20'000;  // states enumerated in all (variants sampled beyond it)
};

struct PlannedState {
  CrashState state;
  std::string key;  // Trace::ContentKey: equal keys, equal images
  // The other candidate states with this state's key: the same image, each with its own
  // window of ops (the caller judges them by this state's verdict where it can).
  std::vector<CrashState> duplicates;
};

struct PlanCounts {
  uint64_t points = 0;      // crash points considered
  uint64_t candidates = 0;  // states enumerated at them
  uint64_t distinct = 0;    // distinct images among them
};

// The states to judge for `trace`, at most limits.max_states of them (0: all distinct ones):
// the drop power cut and the process crash at each point first, then the per-file variants,
// each group in a seeded order. Deterministic from (trace, limits).
Status PlanCrashStates(const Trace& trace, const ExploreLimits& limits,
                       std::vector<PlannedState>* states, PlanCounts* counts);

// The crash points PlanCrashStates considers, ascending (see above).
std::vector<uint64_t> CrashPointsOf(const Trace& trace, const ExploreLimits& limits);

// The op boundaries the ledger holds up to and including `event`: the highest op issued and
// acked by then; 0 when none (the caller's recovered point applies).
OpsAt OpBoundariesAt(const Trace& trace, uint64_t event);

}  // namespace powercut::faults
