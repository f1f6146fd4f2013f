// `--fault bitrot` end to end on real RocksDB: after each kill a copy of the store gets bits
// flipped in synced bytes of one region and is judged beside the chain. RocksDB detecting the
// damage (a refused open, a read error) passes; serving damaged bytes is a finding, kept with
// its image and replayed exactly. Reads that fail or flip a bit while a copy is judged
// (--read-error-one-in) are detected or harmless on RocksDB 7.8.3. The damage step itself is
// tested in bitrot_test.
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// The bit rot outcomes of a run's cycles, from their exploration coverage keys.
std::map<std::string, size_t> Outcomes(const nlohmann::json& report) {
  std::map<std::string, size_t> out;
  for (const auto& c : report.at("cycles")) {
    if (!c.contains("exploration")) continue;
    for (const auto& [key, n] : c.at("exploration").at("coverage").items()) {
      out[key] += n.get<size_t>();
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a flipped bit in an SST data block is detected, never served") {
  TempDir t;
  const Result r = Powercut(t.path,
                            "run --seed 1 --cycles 6 --chains 1 --fault bitrot "
                            "--bitrot-at sst-data");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto outcomes = Outcomes(ReadJson(t.path / "powercut-report/report.json"));
  CHECK(outcomes.count("bitrot=sst-data outcome=detected") == 1);
  CHECK(outcomes.count("bitrot=sst-data outcome=failed") == 0);
}

TEST_CASE("every bit rot target is damaged and judged") {
  for (const char* target :
       {"sst-data", "sst-meta", "wal-record", "manifest-record", "options", "current"}) {
    TempDir t;
    const Result r = Powercut(t.path, std::string("run --seed 2 --cycles 4 --chains 1 --fault "
                                                  "bitrot --bitrot-at ") +
                                          target);
    INFO(target << "\n" << r.out << r.err);
    // A FAIL would be RocksDB serving damage, a finding; never a harness error.
    REQUIRE((r.exit_code == 0 || r.exit_code == 1));
    size_t judged = 0;
    for (const auto& [key, n] : Outcomes(ReadJson(t.path / "powercut-report/report.json"))) {
      CHECK(key.rfind(std::string("bitrot=") + target + " outcome=", 0) == 0);
      judged += n;
    }
    CHECK(judged >= 1);
  }
}

TEST_CASE("a store that serves damaged bytes anyway is a finding, kept and replayed") {
  TempDir t;
  // TESTS ONLY: the judges read without verifying block checksums; uncompressed blocks put
  // the flipped bit in a key or a value the store then returns.
  const std::string plant = "POWERCUT_TEST_SKIP_READ_CHECKSUMS=1 '" + Env("POWERCUT_BIN") + "' ";
  const Result r =
      Shell(t.path, plant +
                        "run --seed 1 --cycles 4 --chains 1 --explore 0 --fault "
                        "bitrot --bitrot-at sst-data --option compression=kNoCompression");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  const nlohmann::json failure = RunFailure(t.path);
  REQUIRE(failure.at("exploration").at("failures").size() >= 1);
  const nlohmann::json& state = failure.at("exploration").at("failures").at(0);
  const std::string name = state.at("state").get<std::string>();
  CHECK(name.rfind("bitrot:sst-data@", 0) == 0);
  CHECK(state.at("narrative").get<std::string>().find("flipped") != std::string::npos);
  // Where the flipped bit lands decides how the damage shows: in a value, a value no op wrote
  // (silent-corruption, corrupt-value); in a key or its sequence number or type, a key gone
  // (lost-ack), back (resurrected) or out of order (hole). Never a refusal: that passes.
  bool served = false;
  for (const auto& k : state.at("classes")) {
    served |= k == "silent-corruption" || k == "corrupt-value" || k == "lost-ack" ||
              k == "resurrected" || k == "hole";
  }
  CHECK(served);
  const Result again = Shell(t.path, plant + "replay powercut-report/report.json --cycle " +
                                         std::to_string(failure.at("cycle").get<uint64_t>()) +
                                         " --state '" + name + "'");
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("replay agrees with the report: FAIL") != std::string::npos);
}

TEST_CASE("a bad --bitrot-at is one line with exit 2") {
  TempDir t;
  const Result r = Powercut(t.path, "run --cycles 1 --fault bitrot --bitrot-at sst");
  CHECK(r.exit_code == 2);
  CHECK(CountLines(r.err) == 1);
  CHECK(r.err.find("--bitrot-at") != std::string::npos);
  CHECK(!fs::exists(t.path / "powercut-report"));
}

TEST_CASE("failing reads while judging are detected or harmless, never served as good") {
  TempDir t;
  const Result r =
      Powercut(t.path, "run --seed 2 --cycles 12 --chains 1 --fault kill --read-error-one-in 300");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto outcomes = Outcomes(ReadJson(t.path / "powercut-report/report.json"));
  size_t judged = 0;
  for (const auto& [key, n] : outcomes) {
    if (key.rfind("read-faults ", 0) == 0) judged += n;
  }
  CHECK(judged == 12);  // one copy of each cycle's store
  CHECK(outcomes.count("read-faults outcome=detected") == 1);
  CHECK(outcomes.count("read-faults outcome=failed") == 0);
}
