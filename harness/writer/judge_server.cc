#include "harness/writer/judge_server.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/protocol/last_words.h"
#include "harness/protocol/lines.h"
#include "harness/protocol/writer_args.h"
#include "harness/writer/writer.h"

namespace powercut::harness {
namespace {

constexpr size_t kMaxJobBytes = 1 << 20;  // a job is a short argv

void Say(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(kWriterBadArgs);  // the controller is gone
    done += static_cast<size_t>(n);
  }
}

// In the forked child: the writer on this job, as if spawned with these arguments.
[[noreturn]] void RunJob(std::vector<std::string> argv_s) {
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  WriterArgs args;
  int code = ParseWriterArgv(static_cast<int>(argv.size()) - 1, argv.data(), &args);
  if (code < 0) {
    args.parent_pid = ::getppid();  // the server, not the controller that built the argv
    code = RunWriter(args);
  }
  _exit(code);
}

}  // namespace

int RunJudgeServer() {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the controller may die by SIGKILL
  std::string line;
  while (std::getline(std::cin, line)) {
    const nlohmann::json job = nlohmann::json::parse(line, nullptr, false);
    std::vector<std::string> argv_s = {"powercut-writer"};
    bool ok = line.size() <= kMaxJobBytes && job.is_array();
    for (size_t i = 0; ok && i < job.size(); ++i) {
      ok = job[i].is_string();
      if (ok) argv_s.push_back(job[i].get<std::string>());
    }
    if (!ok) {
      Say(HarnessErrorLine("judge server: a job is the writer's argv as a JSON array of strings"));
      Say(JudgedLine(0));
      continue;
    }
    // The children share the server's stderr and its offset: what one wrote starts here.
    const off_t words_from = ::lseek(STDERR_FILENO, 0, SEEK_CUR);
    const pid_t pid = ::fork();
    if (pid == 0) RunJob(std::move(argv_s));
    int status = 0;
    if (pid < 0) {
      Say(HarnessErrorLine(fmt::format("judge server: fork: {}", std::strerror(errno))));
    } else {
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      // A child that died by a signal may have said nothing, or only part of what it had to.
      // Its last words (RocksDB's failed assertion) name what an engineer can look up.
      if (WIFSIGNALED(status)) {
        // Read through a descriptor of its own: the stderr one is open for writing only.
        const std::string words =
            words_from < 0 ? "" : LastWordsIn("/proc/self/fd/2", static_cast<uint64_t>(words_from));
        Say(ErrorLine(fmt::format("judge died (killed by signal {}){}{}", WTERMSIG(status),
                                  words.empty() ? "" : ": ", words)));
      }
    }
    Say(JudgedLine(status));
  }
  return 0;
}

}  // namespace powercut::harness
