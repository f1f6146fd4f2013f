// Durability carried across the cycles of a chain (faults/carried_durability.h): bytes and
// names a kill cycle left unsynced stay losable by a power cut in a later cycle until a sync
// or a directory fsync covers them. Each test drives a chain of cycles through the ledger file
// system on real files, one ledger per cycle, as the controller does: after a cycle without a
// power cut, CarriedAfterLedger and SaveCarriedDurability; the next ledger starts from the
// saved state; a power cut is ApplyPowerCut from the cycle's ledger.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <rocksdb/file_system.h>

#include "faults/carried_durability.h"
#include "faults/ledger.h"
#include "faults/ledger_fs.h"
#include "faults/power_cut.h"

namespace {

namespace fs = std::filesystem;
using powercut::Status;
using namespace powercut::faults;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A chain directory with the store and a checkpoint root in it, and one ledger per cycle.
class Chain {
 public:
  Chain() {
    char tmpl[] = "/tmp/powercut-carried-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    REQUIRE(made != nullptr);
    dir_ = made;
    fs::create_directories(db());
    fs::create_directories(dir_ + "/checkpoints");
  }
  ~Chain() {
    fs_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string db() const { return dir_ + "/db"; }
  std::string state() const { return dir_ + "/durability.json"; }
  std::string Path(const std::string& name) const { return db() + "/" + name; }
  rocksdb::FileSystem* fs() { return fs_.get(); }

  // Starts cycle `n`'s writer: a fresh ledger, from the carried state if there is one.
  void StartCycle(int n) {
    fs_.reset();
    ledger_ = dir_ + "/ledger-" + std::to_string(n);
    LedgerOptions options;
    options.ledger_dir = ledger_;
    options.db_dir = db();
    options.extra_roots = {dir_ + "/checkpoints"};
    if (fs::exists(state())) options.carried_durability = state();
    Status s;
    fs_ = NewLedgerFileSystem(rocksdb::FileSystem::Default(), options, &s);
    INFO(s.message());
    REQUIRE(fs_ != nullptr);
  }
  // The writer is killed: nothing is synced, the controller carries what the ledger says.
  CarriedDurability Kill() {
    fs_.reset();
    CarriedDurability carried;
    Status s = CarriedAfterLedger(ledger_, db(), dir_, &carried);
    INFO(s.message());
    REQUIRE(s.ok());
    REQUIRE(SaveCarriedDurability(state(), carried).ok());
    return carried;
  }
  // The power fails: the disk keeps what is durable; nothing is carried after.
  void PowerCut() {
    fs_.reset();
    CutStats stats;
    Status s = ApplyPowerCut(ledger_, db(), CutMode::kDrop, 1, &stats);
    INFO(s.message());
    REQUIRE(s.ok());
    REQUIRE(SaveCarriedDurability(state(), CarriedDurability()).ok());
  }

  std::unique_ptr<rocksdb::FSWritableFile> Create(const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    REQUIRE(fs_->NewWritableFile(Path(name), rocksdb::FileOptions(), &file, nullptr).ok());
    return file;
  }
  std::unique_ptr<rocksdb::FSWritableFile> Reopen(const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    REQUIRE(fs_->ReopenWritableFile(Path(name), rocksdb::FileOptions(), &file, nullptr).ok());
    return file;
  }
  void Append(rocksdb::FSWritableFile* file, const std::string& data) {
    REQUIRE(file->Append(data, io_, nullptr).ok());
  }
  void Sync(rocksdb::FSWritableFile* file) { REQUIRE(file->Sync(io_, nullptr).ok()); }
  void DirSync() {
    std::unique_ptr<rocksdb::FSDirectory> dir;
    REQUIRE(fs_->NewDirectory(db(), io_, &dir, nullptr).ok());
    REQUIRE(dir->FsyncWithDirOptions(io_, nullptr, rocksdb::DirFsyncOptions()).ok());
  }
  void Rename(const std::string& from, const std::string& to) {
    REQUIRE(fs_->RenameFile(Path(from), Path(to), io_, nullptr).ok());
  }

  // Cycle 1, ended by a kill: `wal` durably named with 6 synced bytes and 8 unsynced ones;
  // `sst` fully synced but created after the last directory fsync.
  void KillAfterUnsyncedWrites() {
    StartCycle(1);
    auto wal = Create("000004.log");
    Append(wal.get(), "synced");
    Sync(wal.get());
    DirSync();
    Append(wal.get(), "unsynced");
    auto sst = Create("000005.sst");
    Append(sst.get(), "table");
    Sync(sst.get());
    wal.reset();
    sst.reset();
    const CarriedDurability carried = Kill();
    REQUIRE(carried.files.size() == 2);
    CHECK(carried.files[0].name == "db/000004.log");
    CHECK(carried.files[0].durable_bytes == 6);
    CHECK(carried.files[0].entry_durable);
    CHECK(carried.files[1].name == "db/000005.sst");
    CHECK(carried.files[1].durable_bytes == 5);
    CHECK_FALSE(carried.files[1].entry_durable);
  }

 private:
  std::string dir_;
  std::string ledger_;
  std::shared_ptr<rocksdb::FileSystem> fs_;
  rocksdb::IOOptions io_;
};

TEST_CASE("a power cut after a kill loses what the kill left unsynced", "[carried]") {
  Chain chain;
  chain.KillAfterUnsyncedWrites();
  chain.StartCycle(2);  // the writer opens and touches neither file before the power fails
  chain.PowerCut();
  CHECK(ReadFile(chain.Path("000004.log")) == "synced");
  CHECK_FALSE(fs::exists(chain.Path("000005.sst")));  // its name was never made durable
}

TEST_CASE("what a kill left unsynced stays losable through a later kill", "[carried]") {
  Chain chain;
  chain.KillAfterUnsyncedWrites();
  chain.StartCycle(2);
  const CarriedDurability again = chain.Kill();  // a second kill syncs nothing either
  REQUIRE(again.files.size() == 2);
  chain.StartCycle(3);
  chain.PowerCut();
  CHECK(ReadFile(chain.Path("000004.log")) == "synced");
  CHECK_FALSE(fs::exists(chain.Path("000005.sst")));
}

TEST_CASE("a sync and a directory fsync after the kill make its leftovers durable", "[carried]") {
  Chain chain;
  chain.KillAfterUnsyncedWrites();
  chain.StartCycle(2);
  auto wal = chain.Reopen("000004.log");
  chain.Append(wal.get(), "+more");
  chain.Sync(wal.get());
  chain.DirSync();
  wal.reset();
  chain.PowerCut();
  CHECK(ReadFile(chain.Path("000004.log")) == "syncedunsynced+more");
  CHECK(ReadFile(chain.Path("000005.sst")) == "table");
}

TEST_CASE("a rename after the kill keeps the carried durability of the file", "[carried]") {
  Chain chain;
  chain.KillAfterUnsyncedWrites();
  chain.StartCycle(2);
  chain.Rename("000004.log", "000007.log");
  chain.Rename("000005.sst", "000008.sst");
  SECTION("uncovered: the durable name comes back, the never-durable file is gone") {
    chain.PowerCut();
    CHECK(ReadFile(chain.Path("000004.log")) == "synced");
    CHECK_FALSE(fs::exists(chain.Path("000007.log")));
    CHECK_FALSE(fs::exists(chain.Path("000005.sst")));
    CHECK_FALSE(fs::exists(chain.Path("000008.sst")));
  }
  SECTION("covered by a directory fsync: the new names, the unsynced bytes still lost") {
    chain.DirSync();
    chain.PowerCut();
    CHECK(ReadFile(chain.Path("000007.log")) == "synced");
    CHECK(ReadFile(chain.Path("000008.sst")) == "table");
    CHECK_FALSE(fs::exists(chain.Path("000004.log")));
  }
}

TEST_CASE("after a power cut nothing is carried", "[carried]") {
  Chain chain;
  chain.KillAfterUnsyncedWrites();
  chain.StartCycle(2);
  chain.PowerCut();
  chain.StartCycle(3);
  auto wal = chain.Reopen("000004.log");
  chain.Append(wal.get(), "-tail");
  wal.reset();
  const CarriedDurability carried = chain.Kill();
  REQUIRE(carried.files.size() == 1);  // only this cycle's unsynced tail
  CHECK(carried.files[0].name == "db/000004.log");
  CHECK(carried.files[0].durable_bytes == 6);
  CHECK(carried.files[0].entry_durable);
}

TEST_CASE("a damaged carried-durability file is refused", "[carried]") {
  Chain chain;
  CarriedDurability carried;
  for (const std::string& text :
       {std::string("not json"), std::string(R"({"version":1})"),
        std::string(R"({"version":1,"files":[{"name":"../x","durable_bytes":0,)"
                    R"("entry_durable":true}]})"),
        std::string(R"({"version":1,"files":[{"name":"db/x","durable_bytes":-1,)"
                    R"("entry_durable":true}]})")}) {
    std::ofstream(chain.state()) << text;
    INFO(text);
    CHECK(LoadCarriedDurability(chain.state(), &carried).code() == Status::Code::kCorruption);
  }
}

}  // namespace
