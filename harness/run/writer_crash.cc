#include "harness/run/writer_crash.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include "harness/protocol/last_words.h"

namespace powercut::harness {

int WriterCrashSignal(const ChildProcess& child) {
  if (!child.exited()) return 0;
  const int status = child.wait_status();
  if (!WIFSIGNALED(status) || WTERMSIG(status) == SIGKILL) return 0;
  return WTERMSIG(status);
}

std::string WriterCrashDetail(int signal, const std::string& stderr_path) {
  const std::string last = LastWordsIn(stderr_path);
  const char* name = sigabbrev_np(signal);
  return fmt::format("the writer died of SIG{} inside RocksDB{}{}", name != nullptr ? name : "?",
                     last.empty() ? "" : ": ", last);
}

}  // namespace powercut::harness
