// No child process outlives the controller: not on SIGINT, SIGTERM, or its own SIGKILL.
#include <catch2/catch.hpp>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// Starts a long run and waits until its writers are up.
pid_t StartLongRun(const TempDir& t) {
  const pid_t pid =
      Spawn(t.path, {"run", "--cycles", "100000", "--data-dir", (t.path / "data").string(),
                     "--report-dir", (t.path / "rep").string(), "--fault", "stall"});
  REQUIRE(pid > 0);
  REQUIRE(WaitFor([&] { return !ProcessesMentioning(t.path.string()).empty(); }, 10'000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return pid;
}

int Reap(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("SIGKILL of the controller leaves no writer behind") {
  TempDir t;
  const pid_t pid = StartLongRun(t);
  ::kill(pid, SIGKILL);
  Reap(pid);
  CHECK(WaitFor([&] { return ProcessesMentioning(t.path.string()).empty(); }, 2'000));
}

TEST_CASE("SIGINT and SIGTERM end the run with 130 and an incomplete report") {
  for (int sig : {SIGINT, SIGTERM}) {
    TempDir t;
    const pid_t pid = StartLongRun(t);
    ::kill(pid, sig);
    CHECK(Reap(pid) == 130);
    CHECK(ProcessesMentioning(t.path.string()).empty());
    const nlohmann::json report = ReadJson(t.path / "rep/report.json");
    CHECK(report.at("complete") == false);
    CHECK(report.at("summary").at("status") == "incomplete");
    CHECK(Slurp(t.path / "rep/report.txt").find("INCOMPLETE") != std::string::npos);
  }
}
