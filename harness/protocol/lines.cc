#include "harness/protocol/lines.h"

#include <cerrno>
#include <cstdlib>

#include "harness/protocol/metrics_line.h"

namespace powercut::harness {
namespace {

constexpr const char* kReady = "ready ";
constexpr const char* kIssued = "issued ";
constexpr const char* kAcked = "acked ";
constexpr const char* kPlanted = "planted ";
constexpr const char* kVerdict = "verdict ";
constexpr const char* kError = "error ";
constexpr const char* kRefused = "refused ";
constexpr const char* kHarnessError = "harness-error ";

bool StartsWith(const std::string& line, const char* prefix) { return line.rfind(prefix, 0) == 0; }

// The decimal number after `prefix`, the whole rest of the line.
bool NumberAfter(const std::string& line, const char* prefix, uint64_t* n) {
  const char* begin = line.c_str() + std::char_traits<char>::length(prefix);
  if (*begin < '0' || *begin > '9') return false;
  char* end = nullptr;
  errno = 0;
  *n = std::strtoull(begin, &end, 10);
  return errno == 0 && *end == '\0';
}

// `prefix` and `what` as one line: newlines in `what` become spaces.
std::string TextLine(const char* prefix, const std::string& what) {
  std::string line = prefix + what;
  for (char& c : line) c = c == '\n' ? ' ' : c;
  return line + "\n";
}

}  // namespace

std::string ReadyLine(uint64_t open_micros) { return kReady + std::to_string(open_micros) + "\n"; }
std::string IssuedLine(uint64_t op) { return kIssued + std::to_string(op) + "\n"; }
std::string AckedLine(uint64_t op) { return kAcked + std::to_string(op) + "\n"; }
std::string PlantedLine(uint64_t op) { return kPlanted + std::to_string(op) + "\n"; }
std::string InjectedLine() { return "injected\n"; }
std::string VerdictLine(const std::string& verdict_json) { return kVerdict + verdict_json + "\n"; }
std::string DoneLine() { return "done\n"; }
std::string ClosedLine() { return "closed\n"; }
std::string ErrorLine(const std::string& what) { return TextLine(kError, what); }
std::string RefusedLine(const std::string& what) { return TextLine(kRefused, what); }
std::string HarnessErrorLine(const std::string& what) { return TextLine(kHarnessError, what); }
std::string JudgedLine(int wait_status) {
  return "judged " + std::to_string(static_cast<unsigned>(wait_status)) + "\n";
}

Line ParseLine(const std::string& line) {
  Line out;
  uint64_t n = 0;
  if (StartsWith(line, kIssued) && NumberAfter(line, kIssued, &n)) {
    out = {LineKind::kIssued, n, ""};
  } else if (StartsWith(line, kAcked) && NumberAfter(line, kAcked, &n)) {
    out = {LineKind::kAcked, n, ""};
  } else if (StartsWith(line, kPlanted) && NumberAfter(line, kPlanted, &n)) {
    out = {LineKind::kPlanted, n, ""};
  } else if (StartsWith(line, kReady) && NumberAfter(line, kReady, &n)) {
    out = {LineKind::kReady, n, ""};
  } else if (StartsWith(line, kVerdict)) {
    out = {LineKind::kVerdict, 0, line.substr(std::char_traits<char>::length(kVerdict))};
  } else if (IsMetricsLine(line)) {
    out = {LineKind::kMetrics, 0, line};
  } else if (StartsWith(line, kError)) {
    out = {LineKind::kError, 0, line.substr(std::char_traits<char>::length(kError))};
  } else if (StartsWith(line, kRefused)) {
    out = {LineKind::kRefused, 0, line.substr(std::char_traits<char>::length(kRefused))};
  } else if (StartsWith(line, kHarnessError)) {
    out = {LineKind::kHarnessError, 0, line.substr(std::char_traits<char>::length(kHarnessError))};
  } else if (StartsWith(line, "judged ") && NumberAfter(line, "judged ", &n)) {
    out = {LineKind::kJudged, n, ""};
  } else if (line == "done") {
    out.kind = LineKind::kDone;
  } else if (line == "closed") {
    out.kind = LineKind::kClosed;
  } else if (line == "injected") {
    out.kind = LineKind::kInjected;
  } else {
    out = {LineKind::kOther, 0, line};
  }
  return out;
}

}  // namespace powercut::harness
