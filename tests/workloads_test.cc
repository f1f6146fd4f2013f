// End to end: the workloads real stores run (issue 15): column families and transactions, on
// real writer processes and real RocksDB, each with kill, power cut and clean close, and each
// failure path produced on purpose by a test-only writer hook and caught.
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "tests/chain_ops.h"
#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// Longer cycles than the default 1-40 ms, so rare ops (a family dropped, a two-phase commit)
// come up in a few cycles.
constexpr const char* kLongCycles = " --fault-after-min-ms 150 --fault-after-max-ms 300";

std::string ChainDb(const fs::path& dir) { return (dir / "powercut-data/chain-0/db").string(); }

// `ldb` (rocksdb-tools) on the chain's store: an independent reading of what RocksDB holds.
Result Ldb(const fs::path& dir, const std::string& args) {
  return Shell(dir, "ldb --db='" + ChainDb(dir) + "' " + args);
}

// Every record of every WAL file of the chain's store, as ldb dump_wal prints them.
std::string DumpWals(const fs::path& dir) {
  std::string all;
  for (const auto& e : fs::directory_iterator(ChainDb(dir))) {
    if (e.path().extension() != ".log") continue;
    all += Shell(dir, "ldb dump_wal --print_value=false --walfile='" + e.path().string() + "'").out;
  }
  return all;
}

// `powercut ARGS` with a TESTS ONLY writer hook set in its environment.
Result WithHook(const fs::path& dir, const std::string& hook, const std::string& args) {
  return Shell(dir, hook + "=1 '" + Env("POWERCUT_BIN") + "' " + WithoutExploration(args));
}

// Six kill cycles of `profile` with a planted writer fault: the run must fail with `klass`.
void CheckPlantedFailure(const char* hook, const char* profile, const char* klass) {
  TempDir t;
  const Result r =
      WithHook(t.path, hook,
               std::string("run --seed 5 --cycles 6 --chains 1 --fault kill --profile ") + profile);
  INFO(hook << " " << profile << "\n" << r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(HasClass(RunFailure(t.path), klass));
}

}  // namespace

TEST_CASE("cf profile: four families, batches across them, one flushed or dropped at a time") {
  for (const char* fault : {"kill", "power-cut", "clean"}) {
    TempDir t;
    const Result r = Powercut(t.path, std::string("run --seed 5 --cycles 10 --chains 1 --profile "
                                                  "cf --fault ") +
                                          fault + kLongCycles);
    INFO(fault << "\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    std::map<std::string, int> acked = AckedByKind(t.path);
    CHECK(acked["batch"] > 0);
    CHECK(acked["flush-family"] > 0);
    CHECK(acked["recreate-family"] > 0);
    // RocksDB itself lists the chain's four families, whatever was dropped and created again.
    const Result families = Ldb(t.path, "list_column_families");
    INFO(families.out << families.err);
    for (const char* name : {"default", "cf1", "cf2", "cf3"})
      CHECK(families.out.find(name) != std::string::npos);
  }
}

TEST_CASE("a batch torn across column families is torn-batch") {
  // TESTS ONLY: each batch keeps only its writes to the family of its first write, acked whole.
  CheckPlantedFailure("POWERCUT_TEST_TEAR_ATOMIC", "cf", "torn-batch");
}

TEST_CASE("without a WAL, families need atomic_flush and whole-store flushes: else bad input") {
  TempDir t;
  const Result refused =
      Powercut(t.path, "run --cycles 2 --profile cf --fault kill --option disableWAL=true");
  CHECK(refused.exit_code == 2);
  CHECK(CountLines(refused.err) == 1);
  CHECK(refused.err.find("atomic_flush=true") != std::string::npos);
  CHECK_FALSE(fs::exists(t.path / "powercut-report"));
  // With atomic_flush, every flush (the profile's, and the automatic ones) covers every family
  // at once: one prefix of the op stream judges them all. A kill loses what was not flushed.
  const std::string args =
      "run --seed 8 --cycles 12 --chains 1 --column-families 3 --fault kill "
      "--option disableWAL=true --option atomic_flush=true --option write_buffer_size=65536";
  const Result contract = Powercut(t.path, args + kLongCycles);
  INFO(contract.out << contract.err);
  CHECK(contract.exit_code == 0);
  const Result strict = Powercut(t.path, args + kLongCycles + std::string(" --expect acked"));
  INFO(strict.out << strict.err);
  CHECK(strict.exit_code == 1);
  CHECK(HasClass(RunFailure(t.path), "lost-ack"));
}

TEST_CASE("txn profile: committed transactions whole, rolled-back ones leave no trace") {
  for (const char* txn : {"pessimistic", "optimistic"}) {
    for (const char* fault : {"kill", "power-cut", "clean"}) {
      TempDir t;
      const Result r =
          Powercut(t.path, std::string("run --seed 6 --cycles 8 --chains 1 --profile txn --txn ") +
                               txn + " --fault " + fault + kLongCycles);
      INFO(txn << " " << fault << "\n" << r.out << r.err);
      REQUIRE(r.exit_code == 0);
      std::map<std::string, int> acked = AckedByKind(t.path);
      CHECK(acked["txn"] > 0);
      CHECK(acked["txn-rollback"] > 0);
    }
  }
}

TEST_CASE("txn profile under power cuts: every explored crash state recovers to a prefix") {
  TempDir t;
  // Crash states after each file-system event: some fall between a Prepare's WAL record and its
  // Commit's, and recover a prepared transaction that must stay invisible.
  const Result r = Powercut(t.path,
                            "run --seed 9 --cycles 4 --chains 1 --profile txn --fault power-cut "
                            "--explore 16 --fault-after-min-ms 20 --fault-after-max-ms 60");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
  CHECK(report.at("summary").at("crash_states").at("judged").get<uint64_t>() > 20);
}

TEST_CASE("a transaction recovered prepared is rolled back, and its op is issued again") {
  TempDir t;
  // TESTS ONLY: every writer dies between its first two-phase transaction's Prepare and Commit.
  const Result r = WithHook(t.path, "POWERCUT_TEST_DIE_PREPARED",
                            "run --seed 3 --cycles 4 --chains 1 --profile txn --fault kill");
  INFO(r.out << r.err);
  // Had the next writer not rolled it back, the op's transaction name would be taken and its
  // keys locked: the op issued again would fail.
  REQUIRE(r.exit_code == 0);
  const std::string wals = DumpWals(t.path);
  CHECK(wals.find("BEGIN_PREPARE") != std::string::npos);
  CHECK(wals.find("ROLLBACK(") != std::string::npos);
}

TEST_CASE(
    "half a committed transaction is torn-batch; a rolled-back write that survives is caught") {
  // TESTS ONLY: each transaction commits the first half of its writes.
  CheckPlantedFailure("POWERCUT_TEST_TEAR_ATOMIC", "txn", "torn-batch");
  // TESTS ONLY: rolled-back transactions are committed instead.
  CheckPlantedFailure("POWERCUT_TEST_COMMIT_ROLLBACKS", "txn", "phantom");
}

TEST_CASE("transactions and families: bad combinations are one-line errors, exit 2") {
  TempDir t;
  for (const char* args : {
           "run --profile txn --txn none",
           "run --txn bogus",
           "run --profile txn --option unordered_write=true",
           "run --profile cf --column-families 1",
           "run --column-families 17",
       }) {
    const Result r = Powercut(t.path, args);
    INFO(args << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK(CountLines(r.err) == 1);
    CHECK_FALSE(fs::exists(t.path / "powercut-report"));
  }
}
