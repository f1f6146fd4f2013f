#include "harness/run/writer_crash.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <fstream>

#include <fmt/format.h>

namespace powercut::harness {

int WriterCrashSignal(const ChildProcess& child) {
  if (!child.exited()) return 0;
  const int status = child.wait_status();
  if (!WIFSIGNALED(status) || WTERMSIG(status) == SIGKILL) return 0;
  return WTERMSIG(status);
}

std::string WriterCrashDetail(int signal, const std::string& stderr_path) {
  constexpr size_t kMaxLineBytes = 400;  // an assertion names file, line, function, condition
  std::ifstream in(stderr_path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  if (last.size() > kMaxLineBytes) last = last.substr(0, kMaxLineBytes) + "…";
  const char* name = sigabbrev_np(signal);
  return fmt::format("the writer died of SIG{} inside RocksDB{}{}", name != nullptr ? name : "?",
                     last.empty() ? "" : ": ", last);
}

}  // namespace powercut::harness
