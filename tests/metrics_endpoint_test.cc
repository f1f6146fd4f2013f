// The live endpoint of `--metrics-port` (issue 17): /summary reads like report.txt while a
// real run goes on, no writer the run starts holds one of the controller's descriptors, and
// the server keeps its limits and answers /healthz under bounded abuse on 127.0.0.1.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/run/metrics_server.h"
#include "reports/report_writer.h"
#include "tests/e2e_support.h"
#include "tests/http_client.h"

namespace fs = std::filesystem;
using powercut::harness::MetricsServer;

namespace {

bool Contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// A port nobody listens on now (the kernel's pick); the run binds it a moment later.
uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Children of `pid` (every thread's), from /proc.
std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task :
       fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "task", ec)) {
    std::istringstream in(e2e::Slurp(task.path() / "children"));
    for (pid_t child; in >> child;) out.push_back(child);
  }
  return out;
}

// fd number -> what it points at ("socket:[123]", "pipe:[45]", a path); empty once gone.
std::map<int, std::string> FdsOf(pid_t pid) {
  std::map<int, std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "fd", ec)) {
    const fs::path target = fs::read_symlink(e.path(), ec);
    if (!ec) out[std::stoi(e.path().filename().string())] = target.string();
  }
  return out;
}

// A writer well past its exec: it holds a file of its store. (Between fork and exec a child
// still has the controller's table, and the kernel closes close-on-exec descriptors only
// during the exec.)
bool HoldsStoreFile(const std::map<int, std::string>& fds, const std::string& data_dir) {
  for (const auto& [fd, target] : fds) {
    if (fd > 2 && target.rfind(data_dir, 0) == 0) return true;
  }
  return false;
}

// What in a writer's table is not its own: it needs stdin (/dev/null), its stdout pipe and
// its stderr file, and opens its store's files itself. Any socket, any other pipe or
// /dev/null, a child's stderr file (its own is fd 2), or a file of the run's report folder
// (where the controller writes) above fd 2 came from the controller.
std::vector<std::string> ForeignFds(const std::map<int, std::string>& fds,
                                    const std::string& report_dir) {
  std::vector<std::string> foreign;
  for (const auto& [fd, target] : fds) {
    if (fd <= 2) continue;
    if (target.rfind("socket:", 0) == 0 || target.rfind("pipe:", 0) == 0 ||
        target.rfind("anon_inode:", 0) == 0 || target == "/dev/null" ||
        target.rfind(report_dir, 0) == 0 || target.ends_with(".stderr")) {
      foreign.push_back(std::to_string(fd) + " -> " + target);
    }
  }
  return foreign;
}

// The row labels of report.txt ("status:", "cycles:", ...), in order.
std::vector<std::string> RowLabels(const std::string& text) {
  std::vector<std::string> labels;
  const std::regex row("^([a-z]+:) ", std::regex::multiline);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), row); it != std::sregex_iterator();
       ++it)
    labels.push_back((*it)[1]);
  return labels;
}

// The live /metrics of a real run, and the metrics.prom it wrote at the end, name their
// families the Prometheus way: base units (seconds, bytes), `_total` only on counters,
// labels rather than name variants; the values are the report's, converted.
void CheckPrometheusNames(const e2e::HttpReply& live, const fs::path& report_dir) {
  INFO(live.body);
  REQUIRE_FALSE(live.body.empty());
  CHECK(Contains(live.head, "Content-Type: text/plain; version=0.0.4"));
  CHECK(Contains(live.body, "powercut_run_status{status=\"running\"} 1\n"));
  for (const char* family :
       {"powercut_cycle_recovery_seconds summary", "powercut_cycle_duration_seconds summary",
        "powercut_cycle_start_to_ready_seconds summary", "powercut_cycle_verify_seconds summary",
        "powercut_cycle_ops_acked summary", "powercut_rocksdb_estimate_num_keys summary",
        "powercut_rocksdb_num_files_at_level summary", "powercut_cycles_total counter",
        "powercut_failure_classes_total counter", "powercut_run_duration_seconds gauge"}) {
    CHECK(Contains(live.body, std::string("# TYPE ") + family + "\n"));
  }
  CHECK(Contains(live.body, "powercut_cycles_total{verdict=\"FAIL\",fault=\"kill\"} "));
  CHECK(Contains(live.body, "powercut_rocksdb_num_files_at_level_count{level=\"0\"} "));
  const std::regex type_line("^# TYPE (\\S+) (\\S+)$", std::regex::multiline);
  size_t families = 0;
  for (auto it = std::sregex_iterator(live.body.begin(), live.body.end(), type_line);
       it != std::sregex_iterator(); ++it, ++families) {
    const std::string name = (*it)[1], type = (*it)[2];
    INFO(name);
    CHECK((type == "counter") == name.ends_with("_total"));
  }
  CHECK(families >= 10);
  // No name in milliseconds or microseconds, and none of the old names.
  const std::regex old_unit("^powercut_\\w*_(ms|us)(_sum|_count)?[{ ]", std::regex::multiline);
  CHECK_FALSE(std::regex_search(live.body, old_unit));
  for (const char* old : {"powercut_cycle_recovery_ms", "powercut_cycle_class_total",
                          "powercut_cycle_fault_total", "powercut_run_cycles_per_second",
                          "powercut_cycle_block_cache_hit", "powercut_cycle_estimate_num_keys"})
    CHECK_FALSE(Contains(live.body, old));

  // metrics.prom at the end: the same names, and recovery in seconds = report.json's ms / 1000.
  const std::string prom = e2e::Slurp(report_dir / "metrics.prom");
  INFO(prom);
  CHECK_FALSE(std::regex_search(prom, old_unit));
  const double max_ms =
      e2e::ReadJson(report_dir / "report.json").at("summary").at("recovery_ms").at("max");
  std::smatch m;
  REQUIRE(std::regex_search(
      prom, m, std::regex("\npowercut_cycle_recovery_seconds\\{quantile=\"1\"\\} (\\S+)\n")));
  CHECK(std::stod(m[1]) == Approx(max_ms / 1000));
}

}  // namespace

TEST_CASE("a run's /summary reads like report.txt, and no writer holds a controller fd") {
  e2e::TempDir t;
  const uint16_t port = FreePort();
  // Every cycle fails (no WAL, acked demanded) and --keep-going goes on, so failures with
  // reproduce lines pile up while the run is live; the test stops the run itself.
  const pid_t run =
      e2e::Spawn(t.path, {"run", "--seed", "42", "--cycles", "100000", "--chains", "2", "--option",
                          "disableWAL=true", "--expect", "acked", "--keep-going", "--metrics-port",
                          std::to_string(port), "--data-dir", "d", "--report-dir", "r"});
  REQUIRE(run > 0);
  // However the test ends, the run does not outlive it.
  struct Reaper {
    pid_t pid;
    int status = 0;
    bool reaped = false;
    void Stop(int sig) {
      if (reaped) return;
      ::kill(pid, sig);
      reaped = ::waitpid(pid, &status, 0) == pid;
    }
    ~Reaper() { Stop(SIGKILL); }
  } reaper{run};
  REQUIRE(e2e::WaitFor([&] { return e2e::Get(port, "/healthz").status == 200; }, 30'000));

  // Until a live summary shows a failure and several writers have been looked into.
  std::set<pid_t> inspected;
  std::vector<std::string> foreign;
  std::string summary, head;
  e2e::HttpReply metrics;
  const std::string data_dir = fs::canonical(t.path).string() + "/d/";
  const std::string report_dir = fs::canonical(t.path).string() + "/r";
  e2e::WaitFor(
      [&] {
        for (pid_t w : ChildrenOf(run)) {
          if (inspected.count(w)) continue;  // a table is fixed at the exec
          if (!Contains(e2e::Slurp("/proc/" + std::to_string(w) + "/cmdline"), "powercut-writer"))
            continue;
          const auto fds = FdsOf(w);
          if (!HoldsStoreFile(fds, data_dir)) continue;  // not exec'd yet, or gone meanwhile
          for (const std::string& f : ForeignFds(fds, report_dir)) foreign.push_back(f);
          inspected.insert(w);
        }
        const e2e::HttpReply r = e2e::Get(port, "/summary");
        if (r.status == 200 && Contains(r.body, "reproduce: ")) {
          summary = r.body;
          head = r.head;
        }
        const e2e::HttpReply m = e2e::Get(port, "/metrics");
        if (m.status == 200 && Contains(m.body, "powercut_failure_classes_total{class="))
          metrics = m;
        return !summary.empty() && !metrics.body.empty() && inspected.size() >= 4;
      },
      60'000);
  reaper.Stop(SIGTERM);  // an interrupted run still writes its report
  REQUIRE(reaper.reaped);
  CHECK(WEXITSTATUS(reaper.status) == 130);

  INFO(summary);
  CHECK(inspected.size() >= 4);
  for (const std::string& f : foreign) UNSCOPED_INFO(f);
  CHECK(foreign.empty());
  REQUIRE_FALSE(summary.empty());
  CHECK(Contains(head, "Content-Type: text/plain; charset=utf-8"));
  CHECK(summary.rfind("powercut RUNNING: ", 0) == 0);
  CHECK(Contains(summary, "status:    running\n"));
  CHECK(Contains(summary, "lost-ack"));
  // The same rows as the report written at the end, from the same writer.
  const std::string report = e2e::Slurp(t.path / "r" / "report.txt");
  CHECK(RowLabels(summary) == RowLabels(report));
  for (const char* row : {"status:", "cycles:", "verdicts:", "faults:", "speed:"})
    CHECK(Contains(summary, std::string("\n") + row));
  // Each failure the summary shows is one of the report's, with the same reproduce line.
  const std::regex repro("reproduce: [^\n]+");
  size_t shown = 0;
  for (auto it = std::sregex_iterator(summary.begin(), summary.end(), repro);
       it != std::sregex_iterator(); ++it, ++shown)
    CHECK(Contains(report, it->str()));
  CHECK(shown >= 1);

  CheckPrometheusNames(metrics, t.path / "r");
}

TEST_CASE("the endpoint keeps its limits and answers /healthz under bounded abuse") {
  MetricsServer::Pages pages;
  pages["/summary"] = {"text/plain; charset=utf-8", [] { return std::string("powercut x\n"); }};
  std::unique_ptr<MetricsServer> server;
  REQUIRE(MetricsServer::Start(0, std::move(pages), &server).ok());
  const uint16_t port = server->port();

  // Hold twice the connection limit with idle sockets, half of them a request begun and
  // never finished: the server must drop the oldest to make room, and still answer.
  constexpr int kIdle = 2 * MetricsServer::kMaxConnections;
  std::vector<int> idle;
  for (int i = 0; i < kIdle; ++i) {
    const int fd = e2e::ConnectLoopback(port);
    REQUIRE(fd >= 0);
    if (i % 2 == 1) ::send(fd, "GET /heal", 9, MSG_NOSIGNAL);
    idle.push_back(fd);
  }
  for (int i = 0; i < 3; ++i) {
    const e2e::HttpReply r = e2e::Get(port, "/healthz");
    CHECK(r.status == 200);
    CHECK(r.body == "ok\n");
  }
  // The server runs in this process, and closes a socket to make room before it serves the
  // newcomer: after the answers, the sockets here are ours (every idle one, still open on
  // this side), the listener, and at most kMaxConnections of the server's.
  int sockets = 0;
  for (const auto& [fd, target] : FdsOf(::getpid())) sockets += target.rfind("socket:", 0) == 0;
  CHECK(sockets <= kIdle + 1 + MetricsServer::kMaxConnections);
  // The oldest idle socket was dropped (a read sees the server's close).
  char c;
  CHECK(::recv(idle.front(), &c, 1, 0) == 0);

  // Oversized, malformed and refused requests each get their status, and a reply.
  const std::string big(MetricsServer::kMaxHeaderBytes + 1, 'a');
  CHECK(e2e::Http(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n").status ==
        431);
  CHECK(e2e::Http(port, "GET /" + big + " HTTP/1.1\r\n\r\n").status == 431);
  CHECK(e2e::Http(port, "garbage\r\n\r\n").status == 400);
  CHECK(e2e::Http(port, std::string("\x00\x01\x02\xff\r\n\r\n", 8)).status == 400);
  CHECK(e2e::Http(port, "GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n").status == 400);
  CHECK(e2e::Http(port, "GET /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello").status == 413);
  CHECK(e2e::Http(port, "DELETE /summary HTTP/1.1\r\nHost: x\r\n\r\n").status == 405);
  CHECK(e2e::Get(port, "/nothing").status == 404);
  const e2e::HttpReply summary = e2e::Get(port, "/summary");
  CHECK(summary.status == 200);
  CHECK(Contains(summary.head, "Content-Type: text/plain; charset=utf-8"));
  CHECK(e2e::Get(port, "/healthz").status == 200);

  for (int fd : idle) ::close(fd);
  server->Stop();

  // README names the same limits, with their units.
  const std::string readme = e2e::Slurp(fs::path(e2e::Env("POWERCUT_SOURCE_DIR")) / "README.md");
  CHECK(Contains(readme, "**" + std::to_string(MetricsServer::kMaxConnections) + " connections**"));
  CHECK(Contains(readme, "**" + std::to_string(MetricsServer::kMaxHeaderBytes) + " bytes**"));
  CHECK(Contains(readme, "**" + std::to_string(MetricsServer::kReadTimeoutMs) + " ms**"));
}

TEST_CASE("the live summary is report.txt's text with the latest failures only") {
  // 25 cycles in the order they finished, every other one a failure: 12 failures.
  powercut::reports::RunResult run;
  run.seed = 7;
  run.duration_s = 5;
  for (uint64_t i = 1; i <= 25; ++i) {
    powercut::reports::CycleResult c;
    c.cycle = i;
    c.fault = "kill";
    c.verdict = i % 2 == 0 ? "FAIL" : "PASS";
    if (c.verdict == "FAIL") c.classes = {"lost-ack"};
    run.cycles.push_back(c);
  }
  const std::string live = powercut::reports::ToText(run, /*running=*/true);
  const std::string done = powercut::reports::ToText(run);
  INFO(live);
  CHECK(live.rfind("powercut RUNNING: 25 cycles so far, 12 failed, seed 7\n", 0) == 0);
  CHECK(Contains(live, "status:    running\n"));
  CHECK(RowLabels(live) == RowLabels(done));
  CHECK(Contains(live, "failures (12):"));
  CHECK(Contains(live, "... 2 earlier failures; the latest 10 follow"));
  CHECK(e2e::Count(live, "reproduce: ") == 10);
  CHECK_FALSE(Contains(live, "--cycle 2\n"));  // the two earliest are left out
  CHECK_FALSE(Contains(live, "--cycle 4\n"));
  CHECK(Contains(live, "--cycle 6\n"));
  CHECK(Contains(live, "--cycle 24\n"));
  CHECK(e2e::Count(done, "reproduce: ") == 12);  // the report lists every one
  CHECK_FALSE(Contains(done, "earlier failures"));
}
