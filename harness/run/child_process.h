// ChildProcess: one powercut-writer (or verifier) child, started with Boost.Process
// (fork+exec: RocksDB's thread pools forbid a bare fork), its stdout a pipe the controller
// reads line by line under deadlines, its stderr a file kept as evidence. Every live child is
// registered so that an interrupted controller can kill them all; the destructor kills and
// reaps a child still running, so no code path leaves one behind.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/status.h"

namespace powercut::harness {

class ChildProcess {
 public:
  // `stdin_pipe`: the child's stdin is a pipe WriteLine feeds; otherwise /dev/null.
  static Status Spawn(const std::string& exe, const std::vector<std::string>& args,
                      const std::string& stderr_path, std::unique_ptr<ChildProcess>* out,
                      bool stdin_pipe = false);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  enum class Read { kLine, kTimeout, kEof };
  // Next line of the child's stdout, waiting at most timeout_ms.
  Read ReadLine(std::string* line, int64_t timeout_ms);

  // Writes `line` and a newline to the child's stdin pipe (Spawn with stdin_pipe).
  Status WriteLine(const std::string& line);

  void Signal(int sig);
  // Waits up to timeout_ms for the child to exit; true and its wait status if it did.
  bool Wait(int64_t timeout_ms, int* wait_status);
  // SIGKILL (also wakes a SIGSTOPped child) and reap.
  void KillAndReap();

  pid_t pid() const { return pid_; }
  bool exited() const { return reaped_; }
  // Once reaped: how the child ended (waitpid's status). A child that died before
  // KillAndReap's SIGKILL keeps its own cause of death.
  int wait_status() const { return wait_status_; }
  // The file the child's stderr goes to (Spawn's stderr_path).
  const std::string& stderr_path() const { return stderr_path_; }

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stdin_fd_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
  std::string buffer_;
  std::string stderr_path_;
  bool eof_ = false;
};

// Kills every live child. Async-signal-safe enough to call from the interrupt path.
void KillAllChildren();

}  // namespace powercut::harness
