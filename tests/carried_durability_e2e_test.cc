// End to end: a process kill syncs nothing, so a power cut in a later cycle may still lose
// what the kill cycle acked without a sync (faults/carried_durability.h). Seed 15 on one
// chain draws a kill, then a power cut; with sync=false and avoid_flush_during_recovery=true
// the second writer's open keeps the first cycle's WAL unsynced, and the puts profile issues
// no sync, flush or SyncWAL before the cut.
#include <catch2/catch.hpp>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// At most 2,000 ops a cycle: the findings a report keeps are the first 50 in key order, and
// an unbounded second cycle on a fast machine rewrites so many keys that the first cycle's lost
// ones fall past them.
const char* const kRun =
    "run --seed 15 --chains 1 --cycles 2 --profile puts --option sync=false "
    "--option avoid_flush_during_recovery=true --max-ops-per-cycle 2000";

// The op index of a finding's expected value, e.g. "op 2493 put 163B" -> 2493.
uint64_t ExpectedOp(const nlohmann::json& finding) {
  const std::string expected = finding.at("expected").get<std::string>();
  REQUIRE(expected.rfind("op ", 0) == 0);
  return std::stoull(expected.substr(3));
}

}  // namespace

TEST_CASE("a power cut after a kill loses the kill cycle's unsynced acks: --expect acked fails") {
  TempDir t;
  const Result r = Powercut(t.path, std::string(kRun) + " --expect acked");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
  const auto& cycles = report.at("cycles");
  REQUIRE(cycles.size() == 2);
  CHECK(cycles[0].at("fault") == "kill");
  CHECK(cycles[0].at("verdict") == "PASS");  // the kill lost nothing: the bytes are in the kernel
  const auto& cut = cycles[1];
  REQUIRE(cut.at("fault") == "power-cut");
  INFO(cut.dump());
  CHECK(cut.at("verdict") == "FAIL");
  CHECK(HasClass(cut, "lost-ack"));
  // The contract it applied promised every acked op, those of the kill cycle included.
  CHECK(cut.at("lo") == cut.at("acked"));
  // Ops the kill cycle acked (below this cycle's resume point) are among the losses: the cut
  // dropped the earlier cycle's WAL bytes that nothing had synced.
  bool earlier_lost = false;
  for (const auto& f : cut.at("findings")) {
    if (f.at("class") == "lost-ack" && ExpectedOp(f) < cut.at("resume").get<uint64_t>()) {
      earlier_lost = true;
    }
  }
  CHECK(earlier_lost);
}

// The default contract promises nothing a power cut may lose, not even what an earlier kill
// cycle's recovery saw: the power cut's durable point starts at the on-disk mark carried from
// the cycles before (src/contract.h RecoveredReach), not at the kill's recovered point.
TEST_CASE("a power cut after a kill passes under the default contract") {
  TempDir t;
  const Result r = Powercut(t.path, kRun);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
  REQUIRE(report.at("cycles").size() == 2);
  CHECK(report.at("cycles")[1].at("fault") == "power-cut");
  // It passes because the contract promised less than the kill cycle acked, and says so.
  const nlohmann::json& cut = report.at("cycles")[1];
  CHECK(cut.at("lo").get<uint64_t>() < cut.at("resume").get<uint64_t>() - 1);
  CHECK(report.at("contract").get<std::string>().find("power-cut") != std::string::npos);
}
