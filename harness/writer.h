// The writer child: opens a chain's store (this is the recovery being tested), verifies it
// against the oracle, and, if it passes, executes ops from the recovered point on, telling
// the controller `issued i` before and `acked i` after each op on stdout, until it is killed.
//
// Protocol, one message per line on stdout:
//   ready <open_micros>     the store opened
//   verdict <json>          src/verdict.h, for the fault before this open
//   issued <i> / acked <i>  op i started / RocksDB returned OK for it
//   done                    the cycle's op limit is reached; idle until killed
//   closed                  SIGTERM received, the store closed cleanly
//   error <text>            RocksDB refused something; the exit code says what
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace powercut::harness {

enum WriterExit : int {
  kWriterOk = 0,
  kWriterBadArgs = 2,
  kWriterOpFailed = 3,
  kWriterOpenFailed = 4,
  kWriterScanFailed = 5,
};

inline constexpr uint64_t kNoCrashAfterOp = ~uint64_t{0};

struct WriterArgs {
  std::string chain_dir;
  uint64_t lo = 0;           // the durable point of the fault being verified
  uint64_t hi = 0;           // the highest op issued before that fault
  bool verify_only = false;  // verify, then exit without writing
  pid_t parent_pid = 0;      // exit at once if this process is not our parent
  std::string ledger_dir;    // non-empty: route every file operation through the ledger
  std::string crash_at;      // "kind:n", with a ledger only
  bool lie_ack = false;      // TESTS ONLY: ack before writing, with the WAL off
  // Replays of timed kills: SIGKILL self once op `crash_after_op` is acked, before the next
  // op is issued — the op stream is deterministic, the moment a timer fired is not.
  uint64_t crash_after_op = kNoCrashAfterOp;
  std::string store_json;  // StoreConfig as JSON: this cycle's options, over the chain's header
  std::vector<uint64_t> checkpoints;  // checkpoint ops acked before the fault: verify each
};

// Where the checkpoint op `op` of a chain goes (outside the store directory).
inline std::string CheckpointDir(const std::string& chain_dir, uint64_t op) {
  return chain_dir + "/checkpoints/op-" + std::to_string(op);
}

int RunWriter(const WriterArgs& args);

// The command line that makes powercut-writer parse back `args` (the controller's side).
std::vector<std::string> WriterArgv(const WriterArgs& args);

}  // namespace powercut::harness
