// The writer child's command line and exit codes: the controller builds the argv with
// WriterArgv and the writer parses it back with ParseWriterArgv, from the same definitions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "src/op.h"
#include "src/status.h"

namespace powercut::harness {

enum WriterExit : int {
  kWriterOk = 0,
  kWriterBadArgs = 2,
  kWriterOpFailed = 3,
  kWriterOpenFailed = 4,
  kWriterScanFailed = 5,
  kWriterHarnessError = 6,  // after a `harness-error` line: the harness's own problem, no verdict
};

inline constexpr uint64_t kNoCrashAfterOp = ~uint64_t{0};

struct WriterArgs {
  std::string chain_dir;
  uint64_t lo = 0;           // the durable point of the fault being verified
  uint64_t hi = 0;           // the highest op issued before that fault
  bool verify_only = false;  // verify, then exit without writing
  // The store is a throwaway crash image (harness/run/judge_pool.h): its syncs are skipped.
  bool scratch = false;
  pid_t parent_pid = 0;    // exit at once if this process is not our parent
  std::string ledger_dir;  // non-empty: route every file operation through the ledger
  std::string crash_at;    // "kind:n", with a ledger only
  // With a ledger: the chain's carried durability (faults/carried_durability.h), what earlier
  // cycles' kills left unsynced. Empty: every file on disk is durable.
  std::string carried_durability;
  // With a ledger: "site:n:status:mode" (faults/io_error.h), the injected I/O error of this
  // cycle's writing. The writer then behaves as a careful application: it retries a failed
  // idempotent op `io_error_retries` times, calling DB::Resume() first, and when it gives up
  // it stops writing and waits for its fault (nothing acked follows an op that failed).
  std::string io_error;
  uint32_t io_error_retries = 0;
  bool ack_failed = false;  // TESTS ONLY: ack an op whose write failed (a planted false ack)
  // Judges only: one read in N of the store fails or returns a flipped bit, drawn from the
  // seed (harness/writer/read_fault_fs.h); 0 is off.
  uint64_t read_error_one_in = 0;
  uint64_t read_error_seed = 0;
  bool lie_ack = false;  // TESTS ONLY: ack before writing, with the WAL off
  // TESTS ONLY: "KIND@N" acks ops of kind KIND without executing them while the store has at
  // least N live WAL files: a bug planted in a rare state, for the hunt's tests.
  std::string lose_when_wals;
  // Replays of timed kills: SIGKILL self once op `crash_after_op` is acked, before the next
  // op is issued — the op stream is deterministic, the moment a timer fired is not.
  uint64_t crash_after_op = kNoCrashAfterOp;
  // With crash_after_op: the kill landed while the next op was in flight, so issue op
  // crash_after_op + 1 and SIGKILL self before executing it. The judge's window [acked,
  // issued] is then the cycle's, and so is the classification of what the store lost.
  bool crash_in_flight = false;
  std::string store_json;  // StoreConfig as JSON: this cycle's options, over the chain's header
  std::vector<uint64_t> checkpoints;  // checkpoint ops acked before the fault: verify each
  // Concurrent writers: ops above lo the contract holds durable too (src/contract.h).
  std::vector<uint64_t> required;
  // Concurrent writers: the file of what was in flight at each issue (src/in_flight.h), which
  // orders the ops within T of each other; empty: they are taken as concurrent.
  std::string in_flight;
};

// Where the checkpoint op `op` of a chain goes (outside the store directory).
inline std::string CheckpointDir(const std::string& chain_dir, uint64_t op) {
  return chain_dir + "/checkpoints/op-" + std::to_string(op);
}

// Reads --test-lose-when-wals "KIND@N" (KIND an op kind that writes: put, delete, batch,
// delete-range, merge; N >= 1); BadInput naming the flag otherwise.
Status ParseLoseWhenWals(const std::string& text, OpKind* kind, uint32_t* wals);

// The command line that makes powercut-writer parse back `args` (the controller's side).
std::vector<std::string> WriterArgv(const WriterArgs& args);

// Parses powercut-writer's argv into *args. Returns -1 when the writer should run; otherwise
// the exit status to leave with (0 for --help, kWriterBadArgs for a bad command line).
int ParseWriterArgv(int argc, char** argv, WriterArgs* args);

}  // namespace powercut::harness
