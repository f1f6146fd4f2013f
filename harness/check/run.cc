#include "harness/check/run.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "src/atomic_file.h"

namespace fs = std::filesystem;

namespace powercut::harness {
namespace {

constexpr int64_t kTermGraceMs = 15'000;  // a SIGTERMed run writes its report, then exits

std::atomic<bool> g_interrupted{false};
struct sigaction g_old_int, g_old_term;

void OnSignal(int) { g_interrupted.store(true); }

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// fork + exec with stdout/stderr in files; -1 if it could not start.
pid_t Start(const std::string& exe, const std::vector<std::string>& args, const std::string& out,
            const std::string& err) {
  // Everything the child needs is made before fork: after it only async-signal-safe calls.
  std::vector<std::string> argv_s = {exe};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const pid_t parent = ::getpid();
  pid_t pid = out_fd >= 0 && err_fd >= 0 ? ::fork() : -1;
  if (pid == 0) {
    // The run (and, through its own PDEATHSIG, its writers) must not outlive us.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    // The check appends one job summary of its own; each case's run would add hundreds.
    ::unsetenv("GITHUB_STEP_SUMMARY");
    const int in_fd = ::open("/dev/null", O_RDONLY);
    if (in_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0)
      ::_exit(127);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  if (out_fd >= 0) ::close(out_fd);
  if (err_fd >= 0) ::close(err_fd);
  return pid;
}

// Waits for `pid` under a deadline; SIGTERM on timeout or interrupt, SIGKILL if that is
// ignored. Returns the wait status; *timed_out tells whether the deadline passed.
int Await(pid_t pid, int64_t timeout_ms, bool* timed_out) {
  const int64_t deadline = NowMs() + timeout_ms;
  int64_t kill_at = -1;
  *timed_out = false;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    const int64_t now = NowMs();
    if (kill_at < 0 && (now >= deadline || g_interrupted.load())) {
      *timed_out = now >= deadline;
      ::kill(pid, SIGTERM);
      kill_at = now + kTermGraceMs;
    } else if (kill_at >= 0 && now >= kill_at) {
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string FirstLine(const std::string& text) {
  const size_t start = text.find_first_not_of("\r\n");
  if (start == std::string::npos) return "";
  return text.substr(start, text.find('\n', start) - start);
}

// The FAIL cycles of a run's report.json: their classes, in order, and the first detail.
void ReadFailures(const std::string& report, RunOutcome* o) {
  std::string text;
  if (!ReadWholeFile(report, &text).ok()) return;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    for (const auto& c : j.at("cycles")) {
      if (c.at("verdict") != "FAIL") continue;
      if (o->detail.empty()) o->detail = c.value("detail", "");
      for (const auto& k : c.at("classes")) {
        const std::string name = k.get<std::string>();
        if (std::find(o->classes.begin(), o->classes.end(), name) == o->classes.end())
          o->classes.push_back(name);
      }
    }
  } catch (const nlohmann::json::exception&) {
    o->classes.clear();  // unreadable: the caller reports a harness error
  }
}

}  // namespace

const char* KindName(RunOutcome::Kind kind) {
  switch (kind) {
    case RunOutcome::Kind::kPass:
      return "pass";
    case RunOutcome::Kind::kFinding:
      return "fail";
    case RunOutcome::Kind::kRejected:
      return "discarded";
    case RunOutcome::Kind::kHarnessError:
      return "harness-error";
    case RunOutcome::Kind::kInterrupted:
      return "interrupted";
  }
  return "?";
}

RunOutcome RunCase(const std::string& powercut, const std::vector<std::string>& run_args,
                   const std::string& dir, int64_t timeout_ms) {
  RunOutcome o;
  using Kind = RunOutcome::Kind;
  if (g_interrupted.load()) return o.kind = Kind::kInterrupted, o;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return o.detail = "cannot create " + dir + ": " + ec.message(), o;
  std::vector<std::string> args = run_args;
  args.insert(args.end(), {"--data-dir", dir + "/data", "--report-dir", dir + "/report"});
  const int64_t t0 = NowMs();
  const pid_t pid = Start(powercut, args, dir + "/run.out", dir + "/run.err");
  if (pid < 0) return o.detail = "cannot start " + powercut + ": " + std::strerror(errno), o;
  bool timed_out = false;
  const int status = Await(pid, timeout_ms, &timed_out);
  o.seconds = (NowMs() - t0) / 1000.0;
  o.exit_code = WIFEXITED(status)     ? WEXITSTATUS(status)
                : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                      : -1;
  std::string err;
  (void)ReadWholeFile(dir + "/run.err", &err);
  if (g_interrupted.load()) return o.kind = Kind::kInterrupted, o;
  if (timed_out) {
    o.timed_out = true;
    o.detail = fmt::format("did not finish within {} s", timeout_ms / 1000);
    return o;
  }
  switch (o.exit_code) {
    case 0:
      o.kind = Kind::kPass;
      break;
    case 1:
      ReadFailures(dir + "/report/report.json", &o);
      o.kind = o.classes.empty() ? Kind::kHarnessError : Kind::kFinding;
      if (o.classes.empty()) o.detail = "exit 1 without a FAIL cycle in its report.json";
      break;
    case 2:
      // Only RocksDB refusing the options is the generator's business; any other exit 2 is
      // a broken harness and must not hide as a discarded case.
      o.kind = err.find("failed its first open") != std::string::npos ||
                       err.find("powercut: --option:") != std::string::npos
                   ? Kind::kRejected
                   : Kind::kHarnessError;
      for (size_t at = err.find("powercut: "); at != std::string::npos;
           at = err.find("powercut: ", at + 1)) {
        const std::string line = FirstLine(err.substr(at));
        if (line.find("harness failure") != std::string::npos ||
            line.find("--option") != std::string::npos || o.detail.empty())
          o.detail = line;
      }
      break;
    case 130:
      o.kind = Kind::kInterrupted;
      break;
    default:
      o.detail = fmt::format("exit status {}: {}", o.exit_code, FirstLine(err));
  }
  return o;
}

bool RunAccepts(const std::string& powercut, const std::string& scratch_dir,
                const std::string& flag) {
  const std::string out = scratch_dir + "/.run-help.out", err = scratch_dir + "/.run-help.err";
  const pid_t pid = Start(powercut, {"run", "--help"}, out, err);
  bool timed_out = false;
  const bool ran = pid > 0 && Await(pid, 30'000, &timed_out) >= 0 && !timed_out;
  std::string help;
  (void)ReadWholeFile(out, &help);
  std::error_code ec;
  fs::remove(out, ec);
  fs::remove(err, ec);
  return ran && help.find(flag) != std::string::npos;
}

InterruptScope::InterruptScope() {
  g_interrupted.store(false);
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &g_old_int);
  ::sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptScope::~InterruptScope() {
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
}

bool InterruptScope::interrupted() { return g_interrupted.load(); }

}  // namespace powercut::harness
