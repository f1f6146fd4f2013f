#include "harness/run/test_death.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "harness/protocol/lines.h"
#include "harness/run/child_process.h"

namespace powercut::harness {
namespace {

constexpr int64_t kDrainTimeoutMs = 10'000;

}  // namespace

TestDeath::TestDeath() {
  const char* at = std::getenv("POWERCUT_TEST_CONTROLLER_DIES_AT");
  if (at == nullptr) return;
  const std::string text = at;
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return;
  step_ = text.substr(0, colon);
  nth_ = std::strtoull(text.c_str() + colon + 1, nullptr, 10);
}

void TestDeath::MaybeDie(const char* step, ChildProcess* writing) {
  if (step_.empty() || step_ != step || ++seen_ != nth_) return;
  std::string line;
  while (writing != nullptr &&
         writing->ReadLine(&line, kDrainTimeoutMs) == ChildProcess::Read::kLine) {
    if (ParseLine(line).kind == LineKind::kDone) break;
  }
  ::kill(::getpid(), SIGKILL);
}

}  // namespace powercut::harness
