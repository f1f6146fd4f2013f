// The reproduce line a report carries is derived from the plan itself: parsed back, it gives
// the same plan, whatever flags the run was given, and it names every flag that shapes a run.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "harness/cli/run.h"
#include "harness/run/fault_mix.h"

using powercut::Fault;
using powercut::harness::CycleKind;
using powercut::harness::FaultMix;
using powercut::harness::ParseRunArgs;
using powercut::harness::RunPlan;

namespace {

// Everything of a plan that shapes a run (where it lives and how it is watched aside).
nlohmann::json Fingerprint(const RunPlan& p) {
  nlohmann::json j = p.ToJson();
  j["keep_going"] = p.keep_going;
  j["max_failures"] = p.max_failures;
  j["shard"] = p.Shard();
  j["option_args"] = p.option_args;
  j["test"] = {p.test_lie_ack, p.test_drop_sync_record, p.test_break_checkpoint, p.test_undo_cycle};
  return j;
}

// Flags that say where a run lives or how it is watched, not what it does: a reproduce line
// run on a laptop uses that laptop's defaults.
const std::set<std::string> kWhereFlags = {"--data-dir", "--report-dir", "--metrics-port"};

// One random, valid `powercut run` command line (every flag has a chance).
std::vector<std::string> GenArgs() {
  std::vector<std::string> a;
  auto maybe = [&a](const char* flag, const std::string& value) {
    if (*rc::gen::arbitrary<bool>()) a.insert(a.end(), {flag, value});
  };
  maybe("--seed", std::to_string(*rc::gen::inRange<uint64_t>(0, 1'000'000)));
  if (*rc::gen::arbitrary<bool>()) {
    a.insert(a.end(), {"--cycles", std::to_string(*rc::gen::inRange(1, 5000))});
  } else {
    maybe("--duration", *rc::gen::element<std::string>("90s", "1500ms", "2m", "1h", "0.5s"));
  }
  maybe("--chains", std::to_string(*rc::gen::inRange(1, 65)));
  maybe("--profile", *rc::gen::element<std::string>("default", "puts", "ranges", "batches"));
  maybe("--keys", std::to_string(*rc::gen::inRange(1, 100'000)));
  const uint32_t vmin = *rc::gen::inRange(24, 64);
  maybe("--value-min-bytes", std::to_string(vmin));
  a.insert(a.end(), {"--value-max-bytes", std::to_string(vmin + *rc::gen::inRange(0, 300))});
  maybe("--value-compression-ratio", fmt::format("{}", *rc::gen::inRange(0, 101) / 100.0));
  maybe("--fault", *rc::gen::element<std::string>("kill", "stall", "power-cut", "clean", "mix",
                                                  "kill,io-error", "bitrot,power-cut,clean"));
  maybe("--cut", *rc::gen::element<std::string>("drop", "torn", "reorder"));
  maybe("--crash-at",
        *rc::gen::element<std::string>("wal-append", "wal-sync", "sst-create", "manifest-write",
                                       "current-rename", "dir-fsync"));
  maybe("--option",
        *rc::gen::element<std::string>("sync=false", "sync=true", "manual_wal_flush=true",
                                       "write_buffer_size=65536"));
  maybe("--option-at", *rc::gen::element<std::string>("3:sync=true", "1:disableWAL=true"));
  maybe("--expect", *rc::gen::element<std::string>("contract", "acked"));
  maybe("--max-ops-per-cycle", std::to_string(*rc::gen::inRange(1, 100'000)));
  const int64_t min_ms = *rc::gen::inRange(0, 500);
  maybe("--fault-after-min-ms", std::to_string(min_ms));
  a.insert(a.end(), {"--fault-after-max-ms", std::to_string(min_ms + *rc::gen::inRange(0, 500))});
  maybe("--recovery-timeout-ms", std::to_string(*rc::gen::inRange(100, 100'000)));
  if (*rc::gen::arbitrary<bool>()) a.push_back("--keep-going");
  maybe("--max-failures", std::to_string(*rc::gen::inRange(0, 100)));
  const uint32_t shards = *rc::gen::inRange(1, 9);
  maybe("--shard",
        std::to_string(*rc::gen::inRange<uint32_t>(1, shards + 1)) + "/" + std::to_string(shards));
  for (const char* flag : {"--test-lie-ack", "--test-drop-sync-record", "--test-break-checkpoint",
                           "--test-undo-cycle"})
    if (*rc::gen::arbitrary<bool>()) a.push_back(flag);
  maybe("--data-dir", "elsewhere");
  return a;
}

}  // namespace

TEST_CASE("a plan parsed back from its reproduce line is the same plan") {
  rc::prop("ParseRunArgs(plan.ReproduceArgs()) == plan", [] {
    const std::vector<std::string> args = GenArgs();
    RunPlan plan;
    const powercut::Status s = ParseRunArgs(args, &plan);
    RC_PRE(s.ok());  // e.g. an option RocksDB's parser refuses in that combination
    RunPlan again;
    const powercut::Status t = ParseRunArgs(plan.ReproduceArgs(), &again);
    RC_ASSERT(t.ok());
    RC_ASSERT(Fingerprint(again) == Fingerprint(plan));
    RC_ASSERT(plan.ReproduceLine().rfind("powercut run --seed ", 0) == 0);
  });
}

TEST_CASE("a reproduce line names every flag that shapes a run") {
  const std::vector<std::string> all = {"--seed",
                                        "5",
                                        "--cycles",
                                        "77",
                                        "--chains",
                                        "3",
                                        "--profile",
                                        "batches",
                                        "--keys",
                                        "321",
                                        "--value-min-bytes",
                                        "27",
                                        "--value-max-bytes",
                                        "999",
                                        "--value-compression-ratio",
                                        "0.25",
                                        "--column-families",
                                        "3",
                                        "--txn",
                                        "optimistic",
                                        "--threads",
                                        "2",
                                        "--fault",
                                        "power-cut",
                                        "--cut",
                                        "torn",
                                        "--crash-at",
                                        "wal-sync",
                                        "--option",
                                        "sync=false",
                                        "--option-at",
                                        "2:sync=true",
                                        "--expect",
                                        "acked",
                                        "--max-ops-per-cycle",
                                        "123",
                                        "--fault-after-min-ms",
                                        "5",
                                        "--fault-after-max-ms",
                                        "77",
                                        "--recovery-timeout-ms",
                                        "4321",
                                        "--close-timeout-ms",
                                        "4322",
                                        "--io-error-at",
                                        "wal-sync",
                                        "--bitrot-at",
                                        "wal-record",
                                        "--read-error-one-in",
                                        "50",
                                        "--io-error",
                                        "nospace",
                                        "--io-error-mode",
                                        "sticky",
                                        "--test-ack-failed",
                                        "--explore",
                                        "7",
                                        "--judges",
                                        "3",
                                        "--keep-going",
                                        "--max-failures",
                                        "4",
                                        "--shard",
                                        "1/3",
                                        "--test-lie-ack",
                                        "--test-drop-sync-record",
                                        "--test-break-checkpoint",
                                        "--test-undo-cycle",
                                        "--test-tamper-images",
                                        "--test-lose-when-wals",
                                        "put@2"};
  RunPlan plan;
  const powercut::Status s = ParseRunArgs(all, &plan);
  INFO(s.message());
  REQUIRE(s.ok());
  const std::vector<std::string> line = plan.ReproduceArgs();
  for (const std::string& flag : powercut::harness::RunFlagNames()) {
    if (kWhereFlags.count(flag) > 0 || flag == "--duration") continue;  // --cycles given
    INFO(flag << " is missing from: " << plan.ReproduceLine());
    CHECK(std::find(line.begin(), line.end(), flag) != line.end());
  }
  SECTION("and a duration budget travels as one") {
    RunPlan timed;
    REQUIRE(ParseRunArgs({"--duration", "1500ms"}, &timed).ok());
    const std::vector<std::string> t = timed.ReproduceArgs();
    CHECK(std::find(t.begin(), t.end(), "--duration") != t.end());
    RunPlan again;
    REQUIRE(ParseRunArgs(t, &again).ok());
    CHECK(again.duration_ms == 1500);
  }
}

TEST_CASE("a reproduce line quotes what a shell would split") {
  RunPlan plan;
  REQUIRE(ParseRunArgs({"--option", "db_log_dir=/tmp/a b"}, &plan).ok());
  CHECK(plan.ReproduceLine().find("'db_log_dir=/tmp/a b'") != std::string::npos);
}

TEST_CASE("a fault list draws each named kind from the seed, in the default run's weights") {
  FaultMix mix;
  REQUIRE(FaultMix::Parse("mix", &mix).ok());
  std::map<CycleKind, int> seen;
  for (uint64_t local = 0; local < 6000; ++local) seen[mix.Pick(7, local)]++;
  // mix is power-cut, kill, stall and io-error, weighted 2:2:1:1; nothing else.
  REQUIRE(seen.size() == 4);
  CHECK(seen[CycleKind::kPowerCut] > 1700);
  CHECK(seen[CycleKind::kKill] > 1700);
  CHECK(seen[CycleKind::kStall] > 800);
  CHECK(seen[CycleKind::kIoError] > 800);
  CHECK(seen[CycleKind::kStall] < 1200);
  CHECK(mix.CutsPower());
  CHECK(mix.Endings() ==
        std::vector<Fault>{Fault::kPowerCut, Fault::kKill, Fault::kStall, Fault::kClean});

  // The order a list is typed in does not change the draw.
  FaultMix a, b;
  REQUIRE(FaultMix::Parse("clean,kill,bitrot", &a).ok());
  REQUIRE(FaultMix::Parse("bitrot,clean,kill", &b).ok());
  for (uint64_t local = 0; local < 200; ++local) CHECK(a.Pick(3, local) == b.Pick(3, local));
  CHECK_FALSE(a.CutsPower());
  CHECK(a.Endings() == std::vector<Fault>{Fault::kKill, Fault::kClean});

  FaultMix one;
  REQUIRE(FaultMix::Parse("io-error", &one).ok());
  CHECK(one.Pick(1, 5) == CycleKind::kIoError);
  CHECK(one.CutsPower());

  for (const char* bad : {"", "kill,", "kill,kill", "kill,nope", "mix,kill"}) {
    INFO(bad);
    CHECK(FaultMix::Parse(bad, &mix).code() == powercut::Status::Code::kBadInput);
  }
}
