// `--fault io-error` end to end on real RocksDB: every injection site fires and is judged,
// each status reaches the writer as RocksDB returns it, a writer that acks a failed write is
// caught, a failing io-error cycle replays, and bad flags are one-line errors. The ledger
// file system's own injection and fsyncgate are tested in io_error_fs_test.
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// Small memtables and MANIFESTs and a longer fault window: flushes, SSTs, MANIFEST rolls and
// obsolete-file deletions happen within a cycle, so every site has calls to fail.
const std::string kBusyOptions =
    " --chains 1 --option write_buffer_size=65536 --option max_manifest_file_size=4096"
    " --close-timeout-ms 5000";
const std::string kBusyStore = kBusyOptions + " --fault-after-min-ms 100 --fault-after-max-ms 200";

size_t CyclesInjected(const nlohmann::json& report) {
  size_t n = 0;
  for (const auto& c : report.at("cycles")) {
    n += c.at("detail").get<std::string>().find("injected") != std::string::npos ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_CASE("every injection site fails a call of the writing and the cycle gets its verdict") {
  for (const char* site :
       {"wal-append", "wal-sync", "sst-write", "sst-sync", "manifest-write", "manifest-sync",
        "dir-fsync", "file-create", "rename", "delete", "close"}) {
    TempDir t;
    const Result r = Powercut(t.path, std::string("run --seed 1 --cycles 6 --fault io-error ") +
                                          "--io-error fatal --io-error-at " + site + kBusyStore);
    INFO(site << "\n" << r.out << r.err);
    // A FAIL would be a finding on RocksDB, reported with its class; never a harness error.
    REQUIRE((r.exit_code == 0 || r.exit_code == 1));
    const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
    CHECK(report.at("cycles").size() >= 1);
    for (const auto& c : report.at("cycles")) {
      const std::string plan = c.at("io_error").get<std::string>();
      CHECK(plan.rfind(std::string(site) + ":", 0) == 0);
      CHECK(plan.find(":fatal:") != std::string::npos);
      CHECK((c.at("fault") == "kill" || c.at("fault") == "power-cut" || c.at("fault") == "clean"));
      if (c.at("verdict") == "FAIL") CHECK(!c.at("classes").empty());
      CHECK(c.at("metrics").contains("io_errors_injected"));
    }
    CHECK(CyclesInjected(report) >= 1);
    CHECK(Slurp(t.path / "powercut-report/report.txt").find("io-error cycles injected") !=
          std::string::npos);
  }
}

TEST_CASE("an io-error cycle ends only after its error fired, however short its window") {
  // A 1-2 ms window ends the cycle long before a flush syncs its fourth SST: without the wait
  // for the writer's `injected` line, almost no cycle would meet its error. A verdict on
  // RocksDB (a clean close after a failed sync can hang, facebook/rocksdb#11440) starts a
  // fresh chain and the run goes on.
  TempDir t;
  const Result r = Powercut(t.path,
                            "run --seed 3 --cycles 6 --fault io-error --io-error-at sst-sync"
                            " --chains 1 --option write_buffer_size=65536 --close-timeout-ms 5000"
                            " --keep-going"
                            " --fault-after-min-ms 1 --fault-after-max-ms 2");
  INFO(r.out << r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
  REQUIRE(report.at("cycles").size() == 6);
  CHECK(CyclesInjected(report) == 6);
  size_t held = 0;
  for (const auto& c : report.at("cycles")) {
    held += c.at("detail").get<std::string>().find("for the I/O error)") != std::string::npos;
  }
  CHECK(held >= 1);
}

TEST_CASE("each status reaches the writer as RocksDB returns it") {
  const std::pair<const char*, const char*> statuses[] = {
      {"fatal", "IO error"}, {"retryable", "IO error"}, {"nospace", "No space"}};
  for (const auto& [status, text] : statuses) {
    TempDir t;
    const Result r =
        Powercut(t.path, std::string("run --seed 2 --cycles 4 --fault io-error --io-error-at "
                                     "wal-append --io-error-mode sticky --io-error ") +
                             status + kBusyStore);
    INFO(status << "\n" << r.out << r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 1));
    const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
    // A cycle whose writer stopped on the injected error itself (with retries, a later
    // attempt may fail with RocksDB's own "previous error" text instead).
    bool seen = false;
    for (const auto& c : report.at("cycles")) {
      const std::string detail = c.at("detail").get<std::string>();
      seen |= detail.find("writing stopped") != std::string::npos &&
              detail.find(text) != std::string::npos &&
              detail.find(std::string("powercut injected I/O error (wal-append, ") + status) !=
                  std::string::npos;
    }
    CHECK(seen);
  }
}

TEST_CASE("a writer that acks a failed write is caught; the same run without the lie passes") {
  // A failed flush stops the store's writes (a hard background error): every op after it
  // fails, and the lying writer acks them all. (A WAL append error is no good here: RocksDB
  // 7.8.3 aborts on the next WAL write, facebook/rocksdb#12448, a writer-crash.)
  const std::string plan =
      "run --seed 2 --cycles 6 --fault io-error --io-error-at sst-write --io-error fatal "
      "--io-error-mode sticky" +
      kBusyOptions + " --fault-after-min-ms 200 --fault-after-max-ms 300";
  TempDir lie;
  const Result caught = Powercut(lie.path, plan + " --test-ack-failed");
  INFO(caught.out << caught.err);
  REQUIRE(caught.exit_code == 1);
  const nlohmann::json failure = RunFailure(lie.path);
  // The lie shows as an acked write the store lacks (a put: lost-ack; a delete: resurrected),
  // or an acked checkpoint that is not there.
  CHECK((HasClass(failure, "lost-ack") || HasClass(failure, "resurrected") ||
         HasClass(failure, "bad-checkpoint")));
  CHECK(failure.at("detail").get<std::string>().find("injected") != std::string::npos);
  TempDir honest;
  const Result passed = Powercut(honest.path, plan);
  INFO(passed.out << passed.err);
  CHECK(passed.exit_code == 0);
}

TEST_CASE("a failing io-error cycle replays from its report folder with the same error") {
  // Without the WAL and held to every acked op, a crash loses the memtable: FAIL cycles, most
  // after a MANIFEST write failed (every flush writes one).
  TempDir t;
  const Result r =
      Powercut(t.path,
               "run --seed 1 --cycles 12 --chains 1 --keep-going --fault io-error "
               "--io-error-at manifest-write --io-error fatal --option disableWAL=true "
               "--option write_buffer_size=65536 --fault-after-min-ms 100 "
               "--fault-after-max-ms 200 --expect acked");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
  uint64_t cycle = 0;
  for (const auto& c : report.at("cycles")) {
    if (c.at("verdict") == "FAIL" &&
        c.at("detail").get<std::string>().find("injected") != std::string::npos) {
      cycle = c.at("cycle").get<uint64_t>();
      break;
    }
  }
  REQUIRE(cycle > 0);
  const nlohmann::json replay =
      ReadJson(t.path / "powercut-report/failures" / std::to_string(cycle) / "replay.json");
  CHECK(replay.at("io_error").get<std::string>().rfind("manifest-write:", 0) == 0);
  const Result again =
      Powercut(t.path, "replay powercut-report/report.json --cycle " + std::to_string(cycle));
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("replay agrees with the report: FAIL") != std::string::npos);
}

TEST_CASE("bad io-error flags are one-line errors with exit 2") {
  TempDir t;
  for (const char* flags : {"--io-error-at wal", "--io-error sometimes", "--io-error-mode twice"}) {
    const Result r = Powercut(t.path, std::string("run --cycles 1 --fault io-error ") + flags);
    INFO(flags << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK(CountLines(r.err) == 1);
    CHECK(r.err.find(std::string(flags).substr(0, std::string(flags).find(' '))) !=
          std::string::npos);
  }
  CHECK(!fs::exists(t.path / "powercut-report"));
}

TEST_CASE("a writer that dies of its own signal is writer-crash, with its last words") {
  TempDir t;
  const Result r =
      Shell(t.path, "POWERCUT_TEST_ABORT_WRITING=1 '" + Env("POWERCUT_BIN") +
                        "' run --seed 1 --cycles 2 --chains 1 --fault kill "
                        "--explore 0 --fault-after-min-ms 200 --fault-after-max-ms 200");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  const nlohmann::json failure = RunFailure(t.path);
  CHECK(HasClass(failure, "writer-crash"));
  CHECK(failure.at("detail").get<std::string>().find("SIGABRT") != std::string::npos);
  CHECK(failure.at("detail").get<std::string>().find("planted abort") != std::string::npos);
  // The same run without the abort passes: a kill is the controller's, never a crash.
  TempDir clean;
  CHECK(Powercut(clean.path, "run --seed 1 --cycles 2 --chains 1 --fault kill").exit_code == 0);
}

TEST_CASE("a clean close that never returns is close-hang; one that fails is judged as a kill") {
  TempDir hang;
  const Result h = Shell(hang.path, "POWERCUT_TEST_HANG_CLOSE=1 '" + Env("POWERCUT_BIN") +
                                        "' run --seed 1 --cycles 2 --chains 1 --fault clean "
                                        "--explore 0 --close-timeout-ms 500");
  INFO(h.out << h.err);
  REQUIRE(h.exit_code == 1);
  CHECK(HasClass(RunFailure(hang.path), "close-hang"));
  // Without the WAL a store that was not closed keeps only what was flushed: held to the
  // clean contract it would fail; as a kill (no clean shutdown happened) it passes …
  // The puts profile has no flush: a SIGTERM that lands during a flush (a slow op on a loaded
  // machine) would end the cycle on a flushed store, with nothing for --expect acked to miss.
  const std::string plan =
      "' run --seed 1 --cycles 3 --chains 1 --fault clean --explore 0 --profile puts --option "
      "disableWAL=true";
  TempDir failed;
  const Result f = Shell(failed.path, "POWERCUT_TEST_FAIL_CLOSE=1 '" + Env("POWERCUT_BIN") + plan);
  INFO(f.out << f.err);
  CHECK(f.exit_code == 0);
  const nlohmann::json report = ReadJson(failed.path / "powercut-report/report.json");
  for (const auto& c : report.at("cycles")) {
    CHECK(c.at("detail").get<std::string>().find("judged as a process kill") != std::string::npos);
  }
  // … and --expect acked, which holds every acked op, makes the same loss fail on purpose.
  TempDir strict;
  const Result s = Shell(
      strict.path, "POWERCUT_TEST_FAIL_CLOSE=1 '" + Env("POWERCUT_BIN") + plan + " --expect acked");
  INFO(s.out << s.err);
  CHECK(s.exit_code == 1);
}
