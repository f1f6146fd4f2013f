// End to end: the controller SIGKILLed at each step of the cycle loop leaves a chain that
// `powercut verify` judges correctly, and no writer behind.
#include <catch2/catch.hpp>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// Runs a chain whose controller kills itself the n-th time it reaches `step`, then judges the
// chain as it was left.
Result DieThenVerify(const TempDir& t, const std::string& step, int nth, const std::string& fault) {
  // Every cycle writes all its ops before its fault (300 ms is far past 30 ops), so each
  // judged cycle moves the recovered point and the store holds a whole cycle past it.
  const std::string run =
      "POWERCUT_TEST_CONTROLLER_DIES_AT=" + step + ":" + std::to_string(nth) + " '" +
      Env("POWERCUT_BIN") + "' run --seed 3 --cycles 8 --chains 1 --keys 200 --fault " + fault +
      " --max-ops-per-cycle 30 --fault-after-min-ms 300 --fault-after-max-ms 300";
  const Result died = Shell(t.path, run);
  INFO(died.out << died.err);
  REQUIRE(died.exit_code == 128 + SIGKILL);
  // Writers die with their controller (PR_SET_PDEATHSIG); give the kernel a moment.
  CHECK(WaitFor([&] { return ProcessesMentioning(t.path.string()).empty(); }, 5'000));
  return Powercut(t.path, "verify powercut-data/chain-0");
}

}  // namespace

TEST_CASE("a controller killed at any step of a kill cycle leaves a chain verify passes") {
  for (const std::string step : {"verdict", "oracle", "cycle", "cut"}) {
    for (int nth : {1, 3}) {
      TempDir t;
      const Result v = DieThenVerify(t, step, nth, "kill");
      INFO(step << ":" << nth << "\n" << v.out << v.err);
      CHECK(v.exit_code == 0);
      CHECK(v.out.rfind("PASS", 0) == 0);
    }
  }
}

TEST_CASE("a controller killed at any step of a power-cut cycle leaves a chain verify passes") {
  for (const std::string step : {"verdict", "oracle", "cycle", "cut"}) {
    TempDir t;
    const Result v = DieThenVerify(t, step, 2, "power-cut");
    INFO(step << "\n" << v.out << v.err);
    CHECK(v.exit_code == 0);
    CHECK(v.out.rfind("PASS", 0) == 0);
  }
}
