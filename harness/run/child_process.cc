#include "harness/run/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include <boost/process.hpp>
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
                           const std::string& stderr_path, std::unique_ptr<ChildProcess>* out) {
  namespace bp = boost::process;
  // O_CLOEXEC on every descriptor we make: chains spawn concurrently, and a pipe end
  // inherited by another chain's child would keep our EOF from ever arriving.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Status::IoError(std::string("pipe: ") + std::strerror(errno));
  int err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_fd < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::IoError("cannot create " + stderr_path + ": " + std::strerror(errno));
  }
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  try {
    bp::child c(exe, bp::args(args), bp::std_in < bp::null, bp::posix::fd.bind(1, fds[1]),
                bp::posix::fd.bind(2, err_fd));
    child->pid_ = c.id();
    c.detach();  // we reap it ourselves, with deadlines
  } catch (const std::exception& e) {
    ::close(fds[0]);
    ::close(fds[1]);
    ::close(err_fd);
    return Status::IoError("cannot start " + exe + ": " + e.what());
  }
  Register(child->pid_);
  ::close(fds[1]);
  ::close(err_fd);
  child->stdout_fd_ = fds[0];
  *out = std::move(child);
  return Status::Ok();
}

ChildProcess::~ChildProcess() {
  if (!reaped_) KillAndReap();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
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
