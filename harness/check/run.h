// Runs one `powercut run` of a property run as a child process and reads what it decided.
// The child dies with us (PR_SET_PDEATHSIG), runs under a deadline, and its stdout and
// stderr go to files beside its data and report folders, as evidence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace powercut::harness {

struct RunOutcome {
  enum class Kind {
    kPass,          // exit 0
    kFinding,       // exit 1 and a FAIL cycle in report.json
    kRejected,      // exit 2 because RocksDB refused the options: not the store's fault
    kHarnessError,  // anything else: the property run cannot go on
    kInterrupted,   // SIGINT/SIGTERM reached us or the child
  };
  Kind kind = Kind::kHarnessError;
  int exit_code = -1;
  double seconds = 0;
  std::vector<std::string> classes;  // FAIL cycles' classes, in report order, no repeats
  std::string detail;                // the first FAIL's detail, or why it is not a pass
  bool timed_out = false;            // the deadline passed and the run was ended
};

const char* KindName(RunOutcome::Kind kind);

// Runs `powercut <run_args> --data-dir DIR/data --report-dir DIR/report` with stdout and
// stderr in DIR/run.out and DIR/run.err; DIR must not exist yet.
RunOutcome RunCase(const std::string& powercut, const std::vector<std::string>& run_args,
                   const std::string& dir, int64_t timeout_ms);

// True if `powercut run --help` lists `flag`, e.g. "--value-max-bytes".
bool RunAccepts(const std::string& powercut, const std::string& scratch_dir,
                const std::string& flag);

// SIGINT/SIGTERM handling for the length of a property run: a signal ends the current
// child (it writes its report, marked incomplete) and every later RunCase returns
// kInterrupted at once. The previous handlers come back on destruction.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
  static bool interrupted();
};

}  // namespace powercut::harness
