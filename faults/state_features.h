// A crash state's feature vector: a few coarse facts about the state that a coverage-guided
// search counts (`powercut check --duration`, issue 13). Each comes from the trace (the
// ledger) and the state itself, never from the judge's verdict, so two searches that reach
// the same states see the same coverage whatever RocksDB did with them. The set of feature
// keys a run reached is its coverage; a finding's key is part of its signature.
//
// The features, with their buckets (kept coarse so a night's search can fill the space):
//   wals=N        live WAL files at the crash point (0, 1, 2, 3, then 4-7, 8-15, 16+)
//   unsynced=...  kinds of file holding unsynced bytes: wal, sst, manifest, current,
//                 checkpoint, other (or "none")
//   manifest-rolled  a MANIFEST was created after the writer started writing
//   wal-recycled     a WAL was renamed onto a new log number (recycle_log_file_num)
//   op=K          the op issued and not yet acked: "write" for an op that changes keys, its
//                 kind otherwise (flush, sync-wal, checkpoint, ...), or "none"; transactions
//                 and family drops are named (txn, txn-2pc, txn-rollback[-2pc],
//                 recreate-family): they take their own paths through RocksDB
//   option-changed   this cycle runs with options other than the cycle before it
//   record=B      the largest WAL append so far against the 32 KiB log block: small
//                 (< 4 KiB), large (< 32 KiB) or spans (a record fragmented over blocks)
//   mode=M        wal_recovery_mode: point, tail, absolute, skip
//   state=S       process-crash, or power-cut with its fates: drop, keep, to, pages
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faults/crash_image.h"
#include "src/op.h"

namespace powercut::faults {

// What the trace alone does not know: given by the run.
struct StateContext {
  std::string recovery_mode = "point";  // RecoveryModeFeature of the writer's options
  bool option_changed = false;
  const OpSource* ops = nullptr;  // the chain's op stream: which kind of op was in flight
};

// The feature value of a live WAL count: "0" … "3", "4-7", "8-15", "16+".
std::string WalsBucket(uint32_t live_wals);

// A value of a depth feature, one a chain reaches by going on longer or writing more: its
// ladder and rung ("wals=8-15" is rung 5 of "wals", "record=spans" rung 2 of "record").
struct Rung {
  std::string ladder;
  uint32_t rung = 0;
  bool last = false;  // no rung is deeper ("wals=16+", "record=spans")
};

// The rung of a feature value ("wals=2"), or nullopt for a value of no depth ("mode=skip").
std::optional<Rung> RungOf(const std::string& value);

struct StateFeatures {
  uint32_t live_wals = 0;
  std::vector<std::string> unsynced;  // sorted kinds
  bool manifest_rolled = false;
  bool wal_recycled = false;
  std::string op_in_flight = "none";
  bool option_changed = false;
  std::string record = "small";
  std::string mode = "point";
  std::string state = "process-crash";

  // "wals=2 unsynced=sst+wal manifest-rolled op=write record=small mode=point
  // state=power-cut:keep": equal for equal vectors, and what coverage counts.
  std::string Key() const;
};

// The op=K value of an op in flight.
std::string OpInFlightFeature(const Op& op);

// "point" | "tail" | "absolute" | "skip" for a wal_recovery_mode option value ("" = default).
std::string RecoveryModeFeature(const std::string& option_value);

// Per-trace facts found once, so each state costs a binary search or two.
class FeatureIndex {
 public:
  explicit FeatureIndex(const Trace& trace);

  // The features of `state`; `at` is trace.ReplayAt(state.event).
  StateFeatures Of(const CrashState& state, const Replay& at, const StateContext& context) const;

 private:
  const Trace& trace_;
  uint64_t manifest_rolled_at_ = ~uint64_t{0};  // ordinal of the first new MANIFEST
  uint64_t wal_recycled_at_ = ~uint64_t{0};     // ordinal of the first WAL-to-WAL rename
  // (ordinal, largest WAL append through it), at each append that raised the largest.
  std::vector<std::pair<uint64_t, uint64_t>> largest_append_;
};

}  // namespace powercut::faults
