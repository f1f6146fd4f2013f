// No child process outlives the controller: not on SIGINT, SIGTERM, or its own SIGKILL.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

namespace {

// GET `path` from 127.0.0.1:port; empty on any failure.
std::string HttpGet(uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string req =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;)
        out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

}  // namespace

TEST_CASE("--metrics-port serves /metrics and /healthz on loopback while a run goes on") {
  TempDir t;
  const uint16_t port = static_cast<uint16_t>(20000 + ::getpid() % 20000);
  const pid_t pid = Spawn(
      t.path, {"run", "--cycles", "100000", "--data-dir", (t.path / "data").string(),
               "--report-dir", (t.path / "rep").string(), "--metrics-port", std::to_string(port)});
  REQUIRE(pid > 0);
  std::string metrics;
  REQUIRE(WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics");
        return metrics.find("powercut_cycles_total") != std::string::npos;
      },
      15'000));
  CHECK(metrics.find("200 OK") != std::string::npos);
  CHECK(metrics.find("# TYPE") != std::string::npos);
  CHECK(HttpGet(port, "/healthz").find("ok") != std::string::npos);
  CHECK(HttpGet(port, "/nope").find("404") != std::string::npos);
  ::kill(pid, SIGTERM);
  CHECK(Reap(pid) == 130);
  CHECK(fs::exists(t.path / "rep/metrics.prom"));
  CHECK(HttpGet(port, "/healthz").empty());  // stopped with the run
}

TEST_CASE("two shards merge into the totals of both, and the gate judges the merge") {
  TempDir t;
  // Shards count from 1, as CI matrices do; 0/N is bad input that says so.
  const Result zero = Powercut(t.path, "run --seed 8 --cycles 10 --shard 0/2 --data-dir dz");
  CHECK(zero.exit_code == 2);
  CHECK(zero.err.find("shards count from 1") != std::string::npos);
  CHECK(CountLines(zero.err) == 1);
  CHECK(!fs::exists(t.path / "dz"));
  for (const char* shard : {"1/2", "2/2"}) {
    const std::string i(1, shard[0]);
    const Result r = Powercut(
        t.path, std::string("run --seed 8 --cycles 10 --fault power-cut,kill,stall --shard ") +
                    shard + " --data-dir d" + i + " --report-dir r" + i);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }
  const nlohmann::json a = ReadJson(t.path / "r1/report.json"),
                       b = ReadJson(t.path / "r2/report.json");
  CHECK(a.at("shard") == "1/2");
  CHECK(a.at("cycles") != b.at("cycles"));  // disjoint chains, other seeds
  const Result m = Powercut(t.path, "merge r1/report.json r2/report.json --out merged");
  INFO(m.out << m.err);
  REQUIRE(m.exit_code == 0);
  const nlohmann::json merged = ReadJson(t.path / "merged/report.json");
  CHECK(merged.at("summary").at("cycles") == 20);
  CHECK(merged.at("summary").at("passed") ==
        a.at("summary").at("passed").get<int>() + b.at("summary").at("passed").get<int>());
  CHECK(Powercut(t.path, "gate merged/report.json --min-cycles 20").exit_code == 0);
  const Result low = Powercut(t.path, "gate merged/report.json --min-cycles 21");
  CHECK(low.exit_code == 1);
  CHECK(Powercut(t.path, "merge r1/report.json r1/report.json --out m2").exit_code == 2);
}
