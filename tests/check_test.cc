// `powercut check`: property runs over real `powercut run` children. The planted failure
// (WAL off, yet every acked write demanded) must be found, shrunk to a handful of ops, and
// its printed reproduce line must fail again the same way; a small clean check must pass.
#include <catch2/catch.hpp>

#include <set>

#include "harness/check/gen.h"
#include "harness/check/options.h"
#include "harness/check/run.h"
#include "harness/cli/check.h"
#include "src/store_config.h"
#include "tests/e2e_support.h"

using namespace e2e;
using powercut::harness::CheckCase;
using powercut::harness::CheckCommand;
using powercut::harness::CheckOptions;
using powercut::harness::FilterContext;
using powercut::harness::Incompatibility;

namespace {

CheckOptions Options(const TempDir& t, uint64_t seed, uint32_t tests, uint32_t cycles) {
  CheckOptions o;
  o.seed = seed;
  o.tests = tests;
  o.cycles_per_case = cycles;
  o.powercut_path = Env("POWERCUT_BIN");
  o.work_dir = (t.path / "work").string();
  o.report_dir = (t.path / "report").string();
  return o;
}

bool Has(const nlohmann::json& list, const std::string& item) {
  for (const auto& x : list) {
    if (x == item) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("every option value check draws is accepted by RocksDB's own parser") {
  for (const auto& choice : powercut::harness::DurabilityOptions()) {
    for (const std::string& value : choice.values) {
      powercut::StoreConfig config;
      const std::string assignment = choice.name + "=" + value;
      INFO(assignment);
      CHECK(config.Add(assignment).ok());
      rocksdb::Options options;
      CHECK(config.ToRocksDB(&options, nullptr).ok());
    }
  }
}

TEST_CASE("--profile and --fault narrow what the generator draws, and nothing else") {
  powercut::harness::GenLimits all;
  powercut::harness::GenLimits narrow;
  narrow.profiles = {"cf", "txn"};
  narrow.faults = {"power-cut"};
  std::set<std::string> profiles, faults, narrow_profiles, narrow_faults;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const CheckCase a = powercut::harness::SampleCase(all, seed);
    const CheckCase n = powercut::harness::SampleCase(narrow, seed);
    profiles.insert(a.profile);
    faults.insert(a.fault);
    narrow_profiles.insert(n.profile);
    narrow_faults.insert(n.fault);
    CHECK(!n.cut.empty());  // every narrowed case cuts power, so it has a cut mode
  }
  CHECK(profiles.size() == powercut::harness::AllProfiles().size());
  CHECK(faults.size() == powercut::harness::AllFaults().size());
  CHECK(narrow_profiles == std::set<std::string>{"cf", "txn"});
  CHECK(narrow_faults == std::set<std::string>{"power-cut"});
}

TEST_CASE("combinations RocksDB refuses or silently changes are filtered before a run") {
  const FilterContext ctx{.direct_io = true};
  CheckCase c;
  CHECK(Incompatibility(c, {}, ctx).empty());
  c.options = {{"unordered_write", "true"}, {"enable_pipelined_write", "true"}};
  CHECK(!Incompatibility(c, {}, ctx).empty());
  c.options = {{"enable_pipelined_write", "true"}, {"two_write_queues", "true"}};
  CHECK(!Incompatibility(c, {}, ctx).empty());
  c.options = {{"unordered_write", "true"}, {"manual_wal_flush", "true"}};  // deadlocks (#15097)
  CHECK(!Incompatibility(c, {}, ctx).empty());
  c.options.emplace_back("two_write_queues", "true");  // the path that does not deadlock
  CHECK(Incompatibility(c, {}, ctx).empty());
  // Workload and store together: run's own refusals (WorkloadSpec::FitsStore) are filtered too.
  c.options = {{"disableWAL", "true"}};
  c.profile = "cf";
  CHECK(!Incompatibility(c, {}, ctx).empty());
  c.profile = "txn";
  c.txn = "pessimistic";
  c.options = {{"unordered_write", "true"}};
  CHECK(!Incompatibility(c, {}, ctx).empty());
  c.txn = "optimistic";
  CHECK(Incompatibility(c, {}, ctx).empty());
  c.profile = "puts";
  c.txn.clear();
  c.options.clear();
  // Writer threads need keys of their own: a case shrunk to fewer keys is not run.
  c.threads = 4;
  c.keys = 32;
  CHECK(Incompatibility(c, {}, ctx).empty());
  c.keys = 10;
  CHECK(Incompatibility(c, {}, ctx).find("--threads 4") != std::string::npos);
  c.keys = 10'000;
  c.profile = "cf";  // a family's drop cannot run beside other threads
  CHECK(!Incompatibility(c, {}, ctx).empty());
  c.profile = "puts";
  c.threads = 0;
  c.keys = 10;
  c.options = {{"recycle_log_file_num", "1"}};  // RocksDB 7.8 would turn recycling off
  CHECK(!Incompatibility(c, {}, ctx).empty());
  c.options.emplace_back("wal_recovery_mode", "kSkipAnyCorruptedRecords");
  CHECK(Incompatibility(c, {}, ctx).empty());
  c.options = {{"sync", "true"}};
  CHECK(!Incompatibility(c, {"disableWAL=true"}, ctx).empty());  // forced options count too
  c.options = {{"use_direct_io_for_flush_and_compaction", "true"}};
  CHECK(!Incompatibility(c, {}, FilterContext{.direct_io = false}).empty());
  c.options.clear();
  c.fault = "power-cut";
  c.cut = "torn";
  // Power cuts run with and without sync writes: each has its contract.
  CHECK(Incompatibility(c, {}, ctx).empty());
  c.options = {{"sync", "true"}};
  CHECK(Incompatibility(c, {}, ctx).empty());
  c.options = {{"wal_recovery_mode", "kSkipAnyCorruptedRecords"}};  // not point in time
  CHECK(!Incompatibility(c, {}, ctx).empty());
  c.options = {{"wal_recovery_mode", "kTolerateCorruptedTailRecords"}};
  CHECK(Incompatibility(c, {}, ctx).empty());  // a torn tail is what it tolerates…
  c.cut = "reorder";
  CHECK(!Incompatibility(c, {}, ctx).empty());  // …pages out of order it documents refusing
  c.fault = "kill";
  c.cut.clear();
  c.options = {{"wal_recovery_mode", "kAbsoluteConsistency"}};
  CHECK(!Incompatibility(c, {}, ctx).empty());  // refuses the torn batch a kill leaves
}

TEST_CASE("a run RocksDB refuses is discarded; any other exit 2 is a harness error") {
  using Kind = powercut::harness::RunOutcome::Kind;
  TempDir t;
  const std::vector<std::string> base = {"run", "--seed", "1", "--cycles", "1", "--chains", "1"};
  std::vector<std::string> refused = base;
  refused.insert(refused.end(), {"--option", "atomic_flush=true", "--option",
                                 "enable_pipelined_write=true"});  // refused at open
  const auto r = powercut::harness::RunCase(Env("POWERCUT_BIN"), refused,
                                            (t.path / "refused").string(), 60'000);
  CHECK(r.exit_code == 2);
  CHECK(r.kind == Kind::kRejected);
  std::vector<std::string> broken = base;
  broken.insert(broken.end(), {"--profile", "no-such-profile"});
  const auto b =
      powercut::harness::RunCase(Env("POWERCUT_BIN"), broken, (t.path / "broken").string(), 60'000);
  CHECK(b.exit_code == 2);
  CHECK(b.kind == Kind::kHarnessError);
  CHECK(b.detail.find("--profile") != std::string::npos);
}

TEST_CASE("a planted failure is found, shrunk, and its reproduce line fails the same way") {
  TempDir t;
  CheckOptions o = Options(t, 11, 20, 20);
  o.extra_run_args = {"--expect", "acked"};  // demand every acked write…
  o.forced_options = {"disableWAL=true"};    // …of a store that keeps none until a flush
  o.max_shrink_ms = 45'000;                  // the whole test stays near a minute on 2 cores
  o.max_shrink_runs = 60;
  REQUIRE(CheckCommand(o) == 1);

  const nlohmann::json report = ReadJson(t.path / "report/check-report.json");
  CHECK(report.at("status") == "fail");
  CHECK(report.at("complete") == true);
  CHECK(report.at("seed") == 11);
  const nlohmann::json& failure = report.at("failure");
  CHECK(Has(failure.at("classes"), "lost-ack"));
  const nlohmann::json& shrunk = failure.at("shrunk");
  const nlohmann::json& original = failure.at("original");
  INFO(shrunk.dump(2) << "\noriginal: " << original.dump(2));
  // Shrunk to a handful of ops: few cycles, few ops in each, no option but the forced one.
  const nlohmann::json& c = shrunk.at("case");
  CHECK(c.at("cycles").get<uint32_t>() <= 3);
  CHECK(c.at("max_ops_per_cycle").get<uint32_t>() >= 1);
  CHECK(c.at("max_ops_per_cycle").get<uint32_t>() * c.at("cycles").get<uint32_t>() <= 48);
  // A shrink step can be lost to timing (a kill before the one op is acked passes), so
  // these two only ask for "much smaller", not the very minimum.
  CHECK(c.at("keys").get<uint32_t>() <= 2000);
  CHECK(c.at("options").size() <= 2);
  CHECK(c.at("cycles").get<uint32_t>() <= original.at("case").at("cycles").get<uint32_t>());
  const nlohmann::json case_report = ReadJson(shrunk.at("report").get<std::string>());
  for (const auto& cycle : case_report.at("cycles")) CHECK(cycle.at("hi").get<uint64_t>() <= 48);

  // The reproduce line is the whole case: run in a fresh directory, it fails the same way.
  const std::string line = failure.at("reproduce").get<std::string>();
  CHECK(line == shrunk.at("reproduce").get<std::string>());
  REQUIRE(line.rfind("powercut run ", 0) == 0);
  CHECK(line.find("--data-dir") == std::string::npos);
  CHECK(line.find("--option disableWAL=true") != std::string::npos);
  CHECK(line.find("--expect acked") != std::string::npos);
  TempDir fresh;
  const Result again = Shell(fresh.path, "'" + Env("POWERCUT_BIN") + "'" + line.substr(8));
  INFO(again.out << again.err);
  REQUIRE(again.exit_code == 1);
  bool lost_ack = false;
  const nlohmann::json replayed = ReadJson(fresh.path / "powercut-report/report.json");
  for (const auto& cycle : replayed.at("cycles")) {
    lost_ack |= cycle.at("verdict") == "FAIL" && Has(cycle.at("classes"), "lost-ack");
  }
  CHECK(lost_ack);
}

TEST_CASE("the lying-ack writer is caught and shrunk too") {
  TempDir t;
  CheckOptions o = Options(t, 5, 20, 20);
  o.extra_run_args = {"--test-lie-ack", "--expect", "acked"};
  o.max_shrink_ms = 30'000;
  o.max_shrink_runs = 40;
  REQUIRE(CheckCommand(o) == 1);
  const nlohmann::json failure = ReadJson(t.path / "report/check-report.json").at("failure");
  INFO(failure.dump(2));
  CHECK(Has(failure.at("classes"), "lost-ack"));
  CHECK(failure.at("shrunk").at("case").at("cycles").get<uint32_t>() <= 3);
  CHECK(failure.at("reproduce").get<std::string>().find("--test-lie-ack") != std::string::npos);
}

TEST_CASE("a small clean check passes, and the same seed generates the same cases") {
  TempDir t;
  CheckOptions o = Options(t, 3, 3, 3);
  // Every write synced: what RocksDB 7.8.3 keeps through every fault the cases draw, except
  // with two_write_queues, whose sync writes can leave a new WAL's name unsynced (README,
  // "Known findings"): held off, so the test asks about the checker, not that bug.
  o.forced_options = {"sync=true", "two_write_queues=false"};
  REQUIRE(CheckCommand(o) == 0);
  const nlohmann::json report = ReadJson(t.path / "report/check-report.json");
  CHECK(report.at("status") == "pass");
  CHECK(report.at("failure").is_null());
  CHECK(report.at("summary").at("cases_passed") == 3);
  CHECK(report.at("generated").at("cuts").size() == 3);
  const nlohmann::json& runs = report.at("runs");
  REQUIRE(runs.size() >= 3);
  for (const auto& r : runs) {
    CHECK(r.at("case").at("cycles").get<uint32_t>() <= 3);
    CHECK(r.at("reproduce").get<std::string>().rfind("powercut run --seed ", 0) == 0);
  }
  // Passing runs leave nothing behind in the work directory.
  for (const auto& e : fs::directory_iterator(t.path / "work")) {
    CHECK(e.path().filename().string().rfind("case-", 0) != 0);
  }

  TempDir t2;
  CheckOptions again = Options(t2, 3, 3, 3);
  again.forced_options = o.forced_options;
  REQUIRE(CheckCommand(again) == 0);
  const nlohmann::json runs2 = ReadJson(t2.path / "report/check-report.json").at("runs");
  REQUIRE(runs2.size() == runs.size());
  for (size_t i = 0; i < runs.size(); ++i) CHECK(runs2[i].at("case") == runs[i].at("case"));
}

TEST_CASE("bad input: exit 2 and nothing written") {
  TempDir t;
  fs::create_directories(t.path / "work");
  { std::ofstream(t.path / "work/mine.txt") << "not powercut's"; }
  CHECK(CheckCommand(Options(t, 1, 1, 1)) == 2);  // a work directory powercut did not make
  CHECK(!fs::exists(t.path / "report"));
  CheckOptions o = Options(t, 1, 0, 1);
  o.work_dir = (t.path / "other").string();
  CHECK(CheckCommand(o) == 2);  // --tests 0
  o.tests = 1;
  o.forced_options = {"no_such_option=1"};
  CHECK(CheckCommand(o) == 2);
  o.forced_options.clear();
  o.profiles = {"puts", "no-such-profile"};
  CHECK(CheckCommand(o) == 2);
  o.profiles.clear();
  o.faults = {"power-outage"};
  CHECK(CheckCommand(o) == 2);
  o.faults.clear();
  o.powercut_path = (t.path / "missing").string();
  CHECK(CheckCommand(o) == 2);
  CHECK(!fs::exists(t.path / "other"));
  CHECK(!fs::exists(t.path / "report"));
}
