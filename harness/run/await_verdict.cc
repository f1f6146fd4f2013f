#include "harness/run/await_verdict.h"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "harness/protocol/last_words.h"
#include "harness/protocol/lines.h"
#include "harness/protocol/metrics_line.h"

namespace powercut::harness {
namespace {

constexpr int64_t kReapTimeoutMs = 10'000;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Verdict AwaitVerdict(ChildProcess* child, uint64_t lo, uint64_t hi, int64_t timeout_ms,
                     double* recovery_ms, std::map<std::string, double>* metrics, Status* harness) {
  const int64_t deadline = NowMs() + timeout_ms;
  bool ready = false;
  std::string line;
  for (;;) {
    switch (child->ReadLine(&line, std::max<int64_t>(0, deadline - NowMs()))) {
      case ChildProcess::Read::kTimeout:
        child->KillAndReap();
        return Verdict::Failure(kRecoveryHang,
                                fmt::format("{} did not finish within {} ms",
                                            ready ? "verification" : "open", timeout_ms),
                                lo, hi);
      case ChildProcess::Read::kEof: {
        int status = 0;
        child->Wait(kReapTimeoutMs, &status);
        // A death by a signal (RocksDB aborting its recovery) names what it said last.
        const std::string words = WIFSIGNALED(status) ? LastWordsIn(child->stderr_path()) : "";
        const std::string why = WIFSIGNALED(status)
                                    ? fmt::format("killed by signal {}", WTERMSIG(status))
                                    : fmt::format("exit {}", WEXITSTATUS(status));
        return Verdict::Failure(
            kUnrecoverable,
            fmt::format("writer died during {} ({}){}{}", ready ? "verification" : "open", why,
                        words.empty() ? "" : ": ", words),
            lo, hi);
      }
      case ChildProcess::Read::kLine:
        break;
    }
    const Line msg = ParseLine(line);
    switch (msg.kind) {
      case LineKind::kReady:
        ready = true;
        *recovery_ms = static_cast<double>(msg.number) / 1000.0;
        // Process start, exec, library load and the open: what a cycle pays before verifying.
        (*metrics)["start_to_ready_ms"] = static_cast<double>(timeout_ms - (deadline - NowMs()));
        break;
      case LineKind::kMetrics: {
        Status s = ParseMetricsLine(msg.text, metrics);
        if (!s.ok()) *harness = s;
        break;
      }
      case LineKind::kError:
        child->Wait(kReapTimeoutMs, nullptr);
        return Verdict::Failure(kUnrecoverable, msg.text, lo, hi);
      case LineKind::kJudged:  // a judge server's child ended without a verdict
        return Verdict::Failure(
            kUnrecoverable,
            fmt::format("judge exited (wait status {}) during {} without a verdict", msg.number,
                        ready ? "verification" : "open"),
            lo, hi);
      case LineKind::kHarnessError:  // the harness's own problem: no verdict on the store
        child->Wait(kReapTimeoutMs, nullptr);
        *harness = Status::IoError(msg.text);
        return Verdict::Failure(kUnrecoverable, "harness error: " + msg.text, lo, hi);
      case LineKind::kVerdict: {
        Verdict v;
        Status s = Verdict::FromJson(nlohmann::json::parse(msg.text, nullptr, false), &v);
        if (!s.ok()) {
          *harness = s;
          return Verdict::Failure(kUnrecoverable, s.message(), lo, hi);
        }
        return v;
      }
      default:
        *harness = Status::Internal("writer said something unexpected: " + line.substr(0, 200));
        return Verdict::Failure(kUnrecoverable, "protocol error", lo, hi);
    }
  }
}

}  // namespace powercut::harness
