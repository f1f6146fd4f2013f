// The lines the writer child and the controller exchange on the writer's stdout, one message a
// line. The writer formats them with the functions below and the controller parses them with
// ParseLine, so the two sides share one definition and cannot drift apart.
//
//   ready <open_micros>     the store opened
//   metrics <json>          the recovered store's metrics (metrics_line.h)
//   verdict <json>          src/verdict.h, for the fault before this open
//   issued <i> / acked <i>  op i started / RocksDB returned OK for it
//   planted <i>             TESTS ONLY: op i is acked unexecuted, a loss planted by
//                           --test-lose-when-wals, so a test can tell it from RocksDB's
//   injected                the cycle's I/O error fired (its first failed call), once,
//                           from the thread whose call failed: an io-error cycle's ending
//                           waits for it (harness/run/chain_runner.cc, DriveSchedule)
//   done                    the cycle's op limit is reached; idle until killed
//   closed                  SIGTERM received, the store closed cleanly
//   error <text>            RocksDB failed in a way the store is blamed for (open, scan, an op
//                           failing for any reason but a full disk); the exit code says what
//   refused <text>          RocksDB refused the last issued op (or the close) because the disk
//                           is full: that op is not acked, and it is no durability failure. The
//                           writer writes no more this cycle and idles until the fault
//   judged <wait status>    a judge server (harness/writer/judge_server.h) finished one job
//   harness-error <text>    a problem of the harness's own (its ledger cannot grow, the disk
//                           under the chain is full at the open, unreadable chain files): never
//                           a verdict on the store; the controller stops the run with exit 2
#pragma once

#include <cstdint>
#include <string>

namespace powercut::harness {

enum class LineKind {
  kReady,
  kMetrics,
  kVerdict,
  kIssued,
  kAcked,
  kPlanted,
  kInjected,
  kDone,
  kClosed,
  kError,
  kRefused,
  kHarnessError,
  kJudged,
  kOther
};

struct Line {
  LineKind kind = LineKind::kOther;
  uint64_t number = 0;  // ready: open micros; issued, acked, planted: the op index
  std::string text;     // metrics, verdict: the JSON; error, refused, harness-error: the message;
                        // other: the line
};

// Every formatted line ends in '\n'; the writer sends it whole in one write(2).
std::string ReadyLine(uint64_t open_micros);
std::string IssuedLine(uint64_t op);
std::string AckedLine(uint64_t op);
std::string PlantedLine(uint64_t op);
std::string InjectedLine();
std::string VerdictLine(const std::string& verdict_json);
std::string DoneLine();
std::string ClosedLine();
// Newlines in `what` become spaces: one message stays one line.
std::string ErrorLine(const std::string& what);
std::string RefusedLine(const std::string& what);
std::string HarnessErrorLine(const std::string& what);
std::string JudgedLine(int wait_status);

// Parses one line without its '\n'. A line that is none of the above, or whose number does not
// parse, is kOther with the line as text: the reader decides whether that breaks the protocol.
Line ParseLine(const std::string& line);

}  // namespace powercut::harness
