#include "harness/run/child_process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>

namespace powercut::harness {
namespace {

std::mutex g_children_mu;
std::set<pid_t> g_children;  // live children, for KillAllChildren

void Register(pid_t pid) {
  std::lock_guard<std::mutex> lock(g_children_mu);
  g_children.insert(pid);
}

void Unregister(pid_t pid) {
  std::lock_guard<std::mutex> lock(g_children_mu);
  g_children.erase(pid);
}

// Runs in the child between fork and exec, so only async-signal-safe calls: marks every
// descriptor above stderr close-on-exec, so a writer starts with stdin, stdout and stderr
// and nothing else, whatever the controller's threads (or a library, or whoever started
// the controller) opened without O_CLOEXEC meanwhile: Boost.Process's own error pipe is
// made with pipe() and its read end is never O_CLOEXEC, so a writer spawned while another
// chain spawns would inherit it. Close-on-exec rather than close: that error pipe must
// stay open up to the exec, which is how a failed exec is reported. Not bp::limit_handles:
// in Boost 1.74 it closes that error pipe too.
int CloseOnExecAboveStderr() {
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return 0;
  rlimit limit{};  // a kernel before 5.11: one fcntl per possible descriptor
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return errno;
  for (rlim_t fd = 3; fd < limit.rlim_cur; ++fd) {
    const int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0 && ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC) != 0) return errno;
  }
  return 0;
}

// Closes its descriptor at the end of the scope unless released: Spawn has several ways out.
struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  int Release() { return std::exchange(fd, -1); }
};

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void KillAllChildren() {
  std::lock_guard<std::mutex> lock(g_children_mu);
  for (pid_t pid : g_children) ::kill(pid, SIGKILL);
}

Status ChildProcess::Spawn(const std::string& exe, const std::vector<std::string>& args,
                           const std::string& stderr_path, std::unique_ptr<ChildProcess>* out,
                           bool stdin_pipe) {
  namespace bp = boost::process;
  // O_CLOEXEC on every descriptor we make: chains spawn concurrently, and a pipe end
  // inherited by another chain's child would keep our EOF from ever arriving. Our own
  // /dev/null for stdin for the same reason: bp::null opens it without O_CLOEXEC.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Status::IoError(std::string("pipe: ") + std::strerror(errno));
  OwnedFd read_end{fds[0]}, write_end{fds[1]};
  OwnedFd null_in, stdin_write;
  if (stdin_pipe) {
    int in[2];
    if (::pipe2(in, O_CLOEXEC) != 0)
      return Status::IoError(std::string("pipe: ") + std::strerror(errno));
    null_in.fd = in[0];
    stdin_write.fd = in[1];
  } else {
    null_in.fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  if (null_in.fd < 0) return Status::IoError(std::string("/dev/null: ") + std::strerror(errno));
  OwnedFd err{::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (err.fd < 0)
    return Status::IoError("cannot create " + stderr_path + ": " + std::strerror(errno));
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->stderr_path_ = stderr_path;
  try {
    const auto only_stdio = bp::extend::on_exec_setup([](auto& exec) {
      if (const int e = CloseOnExecAboveStderr(); e != 0)
        exec.set_error(std::error_code(e, std::system_category()), "close-on-exec");
    });
    bp::child c(exe, bp::args(args), bp::posix::fd.bind(0, null_in.fd),
                bp::posix::fd.bind(1, write_end.fd), bp::posix::fd.bind(2, err.fd), only_stdio);
    child->pid_ = c.id();
    c.detach();  // we reap it ourselves, with deadlines
  } catch (const std::exception& e) {
    return Status::IoError("cannot start " + exe + ": " + e.what());
  }
  Register(child->pid_);
  child->stdout_fd_ = read_end.Release();
  child->stdin_fd_ = stdin_write.Release();
  *out = std::move(child);
  return Status::Ok();
}

ChildProcess::~ChildProcess() {
  if (!reaped_) KillAndReap();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
}

Status ChildProcess::WriteLine(const std::string& line) {
  if (stdin_fd_ < 0) return Status::Internal("the child was started without a stdin pipe");
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    // A dead reader gives EPIPE here: powercut ignores SIGPIPE (harness/cli/main.cc).
    const ssize_t n = ::write(stdin_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IoError(std::string("writing to a child: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

ChildProcess::Read ChildProcess::ReadLine(std::string* line, int64_t timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      line->assign(buffer_, 0, nl);
      buffer_.erase(0, nl + 1);
      return Read::kLine;
    }
    if (eof_) return Read::kEof;
    const int64_t left = deadline - NowMs();
    if (left <= 0) return Read::kTimeout;
    pollfd p{stdout_fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc < 0 && errno != EINTR) return Read::kEof;
    if (rc <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;  // a torn last line without '\n' is dropped: it was never a whole message
      continue;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

void ChildProcess::Signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

bool ChildProcess::Wait(int64_t timeout_ms, int* wait_status) {
  const int64_t deadline = NowMs() + timeout_ms;
  while (!reaped_) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      wait_status_ = status;
      Unregister(pid_);
      break;
    }
    if (r < 0 && errno != EINTR) {  // not our child any more: nothing left to reap
      reaped_ = true;
      Unregister(pid_);
      break;
    }
    if (NowMs() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  if (wait_status != nullptr) *wait_status = wait_status_;
  return true;
}

void ChildProcess::KillAndReap() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  wait_status_ = status;
  Unregister(pid_);
}

}  // namespace powercut::harness
