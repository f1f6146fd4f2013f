// `powercut replay`: one command, the report folder alone, the same verdict.
#include <catch2/catch.hpp>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// Runs a failing plan, moves its report folder elsewhere, deletes the data directory, and
// replays the first failure from the moved folder alone.
void ReplayReproduces(const std::string& plan) {
  TempDir t;
  const Result run = Powercut(t.path, "run " + plan);
  INFO(plan << "\n" << run.out << run.err);
  REQUIRE(run.exit_code == 1);
  const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
  uint64_t cycle = 0;
  std::string reproduce;
  for (const auto& c : report.at("cycles")) {
    if (c.at("verdict") != "FAIL") continue;
    cycle = c.at("cycle").get<uint64_t>();
    reproduce = c.at("reproduce").get<std::string>();
    break;
  }
  REQUIRE(cycle > 0);
  CHECK(reproduce ==
        "powercut replay powercut-report/report.json --cycle " + std::to_string(cycle));
  const fs::path evidence = t.path / "powercut-report/failures" / std::to_string(cycle);
  for (const char* f :
       {"before/db", "before/oracle.bin", "recovered/CURRENT", "ledger/ledger.bin",
        "manifest.jsonl", "oracle.bin", "writer.stderr", "LOG", "summary.txt", "replay.json"}) {
    INFO(f);
    CHECK(fs::exists(evidence / f));
  }
  CHECK(Slurp(evidence / "summary.txt").find("expected") != std::string::npos);
  fs::rename(t.path / "powercut-report", t.path / "elsewhere");
  fs::remove_all(t.path / "powercut-data");
  const Result replay =
      Powercut(t.path, "replay elsewhere/report.json --cycle " + std::to_string(cycle));
  INFO(replay.out << replay.err);
  CHECK(replay.exit_code == 0);
  CHECK(replay.out.find("replay agrees with the report: FAIL") != std::string::npos);
  // The judge's window is the cycle's: a timed kill that landed with an op in flight is
  // replayed with that op issued, or the classes of what was lost could differ.
  const nlohmann::json r =
      ReadJson(t.path / "elsewhere/failures" / std::to_string(cycle) / "replay.json");
  const std::string detail = r.at("verdict").at("detail").get<std::string>();
  const size_t window = detail.find("no prefix in [");
  if (window != std::string::npos) {
    const std::string bracket = detail.substr(window, detail.find(']', window) + 1 - window);
    CHECK(replay.out.find(bracket) != std::string::npos);
  }
  if (r.at("crash_at") == "" && r.at("hi") > r.at("acked")) {
    const std::string in_flight = "op " + std::to_string(r.at("hi").get<uint64_t>()) + " in flight";
    CHECK(replay.out.find(in_flight) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("replay reproduces a kill failure from the report folder alone") {
  ReplayReproduces("--seed 42 --cycles 20 --fault kill --option disableWAL=true --expect acked");
}

TEST_CASE("replay reproduces a power-cut failure from the report folder alone") {
  ReplayReproduces("--seed 5 --cycles 50 --fault power-cut --option sync=false --expect acked");
}

TEST_CASE("replay reproduces a torn-cut failure from the report folder alone") {
  ReplayReproduces(
      "--seed 7 --cycles 50 --fault power-cut --cut torn --option sync=false --expect acked");
}

TEST_CASE("replay of missing or damaged evidence is bad input with one line") {
  TempDir t;
  const Result run = Powercut(t.path,
                              "run --seed 5 --cycles 50 --fault power-cut --option sync=false "
                              "--expect acked --chains 1");
  REQUIRE(run.exit_code == 1);
  const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
  uint64_t cycle = 0;
  for (const auto& c : report.at("cycles")) {
    if (c.at("verdict") == "FAIL") cycle = c.at("cycle").get<uint64_t>();
  }
  REQUIRE(cycle > 0);
  Result r = Powercut(t.path, "replay powercut-report/report.json --cycle 99999");
  CHECK(r.exit_code == 2);
  CHECK(CountLines(r.err) == 1);
  const fs::path replay_json =
      t.path / "powercut-report/failures" / std::to_string(cycle) / "replay.json";
  { std::ofstream(replay_json, std::ios::trunc) << "{ not json"; }
  r = Powercut(t.path, "replay powercut-report/report.json --cycle " + std::to_string(cycle));
  CHECK(r.exit_code == 2);
  CHECK(CountLines(r.err) == 1);
  CHECK(r.err.find("damaged") != std::string::npos);
  CHECK_FALSE(fs::exists(t.path / "powercut-replay/chain/db"));
}

TEST_CASE("--keep-going starts fresh chains and keeps evidence for --max-failures failures") {
  TempDir t;
  const Result r = Powercut(t.path,
                            "run --seed 42 --cycles 24 --fault kill --option disableWAL=true "
                            "--expect acked --keep-going --max-failures 2");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
  CHECK(report.at("cycles").size() == 24);  // the run went on to its budget
  uint64_t failed = 0, with_evidence = 0;
  for (const auto& c : report.at("cycles")) {
    if (c.at("verdict") != "FAIL") continue;
    ++failed;
    const bool kept = fs::exists(t.path / "powercut-report/failures" /
                                 std::to_string(c.at("cycle").get<uint64_t>()) / "replay.json");
    with_evidence += kept;
    CHECK(
        c.at("reproduce").get<std::string>().find(kept ? "powercut replay" : "evidence not kept") !=
        std::string::npos);
  }
  CHECK(failed > 2);
  CHECK(with_evidence == 2);
  CHECK(fs::exists(t.path / "powercut-data/chain-0.1"));  // a fresh chain after the first FAIL
}

TEST_CASE("options may change between restarts (--option-at), and replay uses each cycle's own") {
  TempDir t;
  // WAL on for the first cycles, off from cycle 5: only then may acked writes vanish.
  const Result r = Powercut(t.path,
                            "run --seed 3 --cycles 30 --chains 1 --fault kill "
                            "--option-at 5:disableWAL=true --expect acked");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
  uint64_t first_fail = 0;
  for (const auto& c : report.at("cycles")) {
    if (c.at("verdict") == "FAIL" && first_fail == 0) first_fail = c.at("cycle").get<uint64_t>();
  }
  CHECK(first_fail >= 6);  // chain 0's cycle k is run cycle k + 1
  std::istringstream in(Slurp(t.path / "powercut-data/chain-0/manifest.jsonl"));
  uint64_t with_wal = 0, without = 0;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    if (j.at("type") != "cycle") continue;
    (j.at("store").at("disableWAL").get<bool>() ? without : with_wal)++;
  }
  CHECK(with_wal == 5);
  CHECK(without >= 1);
  const Result replay =
      Powercut(t.path, "replay powercut-report/report.json --cycle " + std::to_string(first_fail));
  INFO(replay.out << replay.err);
  CHECK(replay.exit_code == 0);
  const Result bad = Powercut(t.path, "run --option-at 0:sync=true --data-dir d2 --report-dir r2");
  CHECK(bad.exit_code == 2);
  CHECK(CountLines(bad.err) == 1);
}
