// Tests of the ledger-keeping file system and the power cut, on real files under /tmp: the
// ledger file system is driven through the rocksdb::FileSystem API as RocksDB drives it, the
// writer's death is either simulated (the cut runs while the handles are still open) or real
// (a forked child SIGKILLs itself), and the cut is checked byte for byte.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/utilities/checkpoint.h>

#include "faults/ledger.h"
#include "faults/ledger_fs.h"
#include "faults/power_cut.h"
#include "faults/replay.h"
#include "faults/state_features.h"
#include "tests/unit_support.h"

namespace {

namespace fs = std::filesystem;
using powercut::Status;
using namespace powercut::faults;
using unit::Pattern;
using unit::ReadFile;

using unit::TempDir;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  REQUIRE(out.good());
}

// A store directory, a checkpoint root beside it and a ledger directory, with the ledger
// file system over them (tracking the checkpoint root only when asked).
struct Scenario {
  TempDir tmp;
  std::string db = tmp.path() + "/db";
  std::string cp = tmp.path() + "/checkpoints";
  std::string ledger = tmp.path() + "/ledger";
  std::shared_ptr<rocksdb::FileSystem> fs;
  rocksdb::IOOptions io;

  Scenario() {
    fs::create_directories(db);
    fs::create_directories(cp);
  }

  LedgerOptions Options(CrashPoint crash_at = {}, bool track_checkpoints = false) const {
    LedgerOptions options;
    options.ledger_dir = ledger;
    options.db_dir = db;
    options.crash_at = crash_at;
    if (track_checkpoints) options.extra_roots = {cp};
    return options;
  }
  void Open(CrashPoint crash_at = {}, bool track_checkpoints = false) {
    LedgerOptions options = Options(crash_at, track_checkpoints);
    Status s;
    fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), options, &s);
    INFO(s.message());
    REQUIRE(s.ok());
    REQUIRE(fs != nullptr);
  }
  std::string Path(const std::string& name) const { return db + "/" + name; }
  std::unique_ptr<rocksdb::FSWritableFile> Create(const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    REQUIRE(fs->NewWritableFile(Path(name), rocksdb::FileOptions(), &file, nullptr).ok());
    return file;
  }
  void Append(rocksdb::FSWritableFile* file, const std::string& data) {
    REQUIRE(file->Append(data, io, nullptr).ok());
  }
  void Sync(rocksdb::FSWritableFile* file) { REQUIRE(file->Sync(io, nullptr).ok()); }
  void Close(rocksdb::FSWritableFile* file) { REQUIRE(file->Close(io, nullptr).ok()); }
  void DirSync() { SyncDir(db); }
  void SyncDir(const std::string& path) {
    std::unique_ptr<rocksdb::FSDirectory> dir;
    REQUIRE(fs->NewDirectory(path, io, &dir, nullptr).ok());
    REQUIRE(dir->FsyncWithDirOptions(io, nullptr, rocksdb::DirFsyncOptions()).ok());
  }
  std::string Cp(const std::string& name) const { return cp + "/" + name; }
  void MakeDir(const std::string& path) { REQUIRE(fs->CreateDir(path, io, nullptr).ok()); }
  void Rename(const std::string& from, const std::string& to) {
    REQUIRE(fs->RenameFile(from, to, io, nullptr).ok());
  }
  // A file created, written and synced through the ledger file system at an absolute path.
  void WriteSynced(const std::string& path, const std::string& content) {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    REQUIRE(fs->NewWritableFile(path, rocksdb::FileOptions(), &file, nullptr).ok());
    Append(file.get(), content);
    Sync(file.get());
    Close(file.get());
  }
  CutStats Cut(CutMode mode, uint64_t seed = 1) {
    CutStats stats;
    Status s = ApplyPowerCut(ledger, db, mode, seed, &stats);
    INFO(s.message());
    REQUIRE(s.ok());
    return stats;
  }
  std::string Read(const std::string& name) const { return ReadFile(Path(name)); }
  bool Has(const std::string& name) const { return fs::exists(Path(name)); }
};

uint64_t LastOrdinalOf(const std::string& ledger_dir, RecordKind kind) {
  std::vector<LedgerRecord> records;
  REQUIRE(ReadLedger(ledger_dir, &records).ok());
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->kind == kind) return it->ordinal;
  }
  FAIL("no such record");
  return 0;
}

TEST_CASE("names of modes and events parse back", "[faults]") {
  for (CutMode m : {CutMode::kDrop, CutMode::kTorn, CutMode::kReorder}) {
    CutMode parsed;
    REQUIRE(ParseCutMode(CutModeName(m), &parsed).ok());
    REQUIRE(parsed == m);
  }
  CutMode mode;
  Status bad = ParseCutMode("shred", &mode);
  REQUIRE(bad.code() == Status::Code::kBadInput);
  REQUIRE(bad.message().find("shred") != std::string::npos);
  for (int i = 1; i < kEventKindCount; ++i) {
    EventKind parsed;
    REQUIRE(ParseEventKind(EventKindName(static_cast<EventKind>(i)), &parsed).ok());
    REQUIRE(parsed == static_cast<EventKind>(i));
  }
  EventKind kind;
  REQUIRE(ParseEventKind("wal", &kind).code() == Status::Code::kBadInput);
}

TEST_CASE("the ledger file system refuses unsafe setups", "[faults]") {
  TempDir tmp;
  const std::string db = tmp.path() + "/db";
  fs::create_directories(db);
  Status s;
  LedgerOptions inside;
  inside.db_dir = db;
  inside.ledger_dir = db + "/ledger";
  REQUIRE(NewLedgerFileSystem(rocksdb::FileSystem::Default(), inside, &s) == nullptr);
  REQUIRE(s.code() == Status::Code::kBadInput);

  LedgerOptions zero_nth;
  zero_nth.db_dir = db;
  zero_nth.ledger_dir = tmp.path() + "/l0";
  zero_nth.crash_at = {EventKind::kWalSync, 0};
  REQUIRE(NewLedgerFileSystem(rocksdb::FileSystem::Default(), zero_nth, &s) == nullptr);
  REQUIRE(s.code() == Status::Code::kBadInput);

  // Extra roots may not nest with the store, the ledger or each other.
  const std::string cp = tmp.path() + "/checkpoints";
  for (const std::vector<std::string>& roots :
       std::vector<std::vector<std::string>>{{db + "/checkpoints"},
                                             {tmp.path()},
                                             {tmp.path() + "/l2/cp"},
                                             {cp, cp + "/inner"},
                                             {""}}) {
    LedgerOptions bad;
    bad.db_dir = db;
    bad.ledger_dir = tmp.path() + "/l2";
    bad.extra_roots = roots;
    INFO(roots.front());
    REQUIRE(NewLedgerFileSystem(rocksdb::FileSystem::Default(), bad, &s) == nullptr);
    REQUIRE(s.code() == Status::Code::kBadInput);
  }

  LedgerOptions ok;
  ok.db_dir = db;
  ok.ledger_dir = tmp.path() + "/l1";
  auto first = NewLedgerFileSystem(rocksdb::FileSystem::Default(), ok, &s);
  REQUIRE(s.ok());
  // A second writer on the same ledger would interleave two histories: refused.
  REQUIRE(NewLedgerFileSystem(rocksdb::FileSystem::Default(), ok, &s) == nullptr);
  REQUIRE(s.code() == Status::Code::kBadInput);
}

TEST_CASE("drop loses every unsynced byte and keeps every synced one", "[faults]") {
  Scenario sc;
  sc.Open();
  auto wal = sc.Create("000001.log");
  const std::string synced = Pattern(100, 1);
  sc.Append(wal.get(), synced);
  sc.Sync(wal.get());
  sc.DirSync();
  sc.Append(wal.get(), Pattern(50, 2));
  REQUIRE(sc.Read("000001.log").size() == 150);
  // RangeSync starts writeback but promises nothing: not durable.
  REQUIRE(wal->RangeSync(0, 150, sc.io, nullptr).ok());

  CutStats stats = sc.Cut(CutMode::kDrop);
  REQUIRE(sc.Read("000001.log") == synced);
  REQUIRE(stats.bytes_dropped == 50);
  REQUIRE(stats.files_truncated == 1);
  REQUIRE(stats.files_removed == 0);
  REQUIRE(stats.events == LedgerEventCount());
}

// Synced 100 bytes, then 1000 unsynced; returns the file after a torn cut with `seed`.
std::string TornResult(uint64_t seed, const std::string& full) {
  Scenario sc;
  sc.Open();
  auto wal = sc.Create("000004.log");
  sc.Append(wal.get(), full.substr(0, 100));
  sc.Sync(wal.get());
  sc.DirSync();
  sc.Append(wal.get(), full.substr(100, 400));
  sc.Append(wal.get(), full.substr(500));
  sc.Cut(CutMode::kTorn, seed);
  return sc.Read("000004.log");
}

TEST_CASE("torn keeps a seeded prefix of the unsynced tail, the same for the same seed",
          "[faults]") {
  const std::string full = Pattern(1100, 7);
  std::set<size_t> lengths;
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    const std::string got = TornResult(seed, full);
    INFO("seed " << seed << " kept " << got.size());
    REQUIRE(got.size() >= 100);
    REQUIRE(got.size() <= full.size());
    REQUIRE(got == full.substr(0, got.size()));  // a prefix, byte for byte: nothing reordered
    lengths.insert(got.size());
    if (seed <= 4) REQUIRE(TornResult(seed, full) == got);
  }
  // All three outcomes occur: lost whole, kept whole, and cut inside at an arbitrary byte.
  REQUIRE(lengths.count(100) == 1);
  REQUIRE(lengths.count(1100) == 1);
  size_t inside = 0;
  for (size_t n : lengths) inside += (n > 100 && n < 1100 && n != 500) ? 1 : 0;
  REQUIRE(inside >= 2);
}

// Synced one page, then six unsynced pages, page k filled with 'a' + k.
std::string ReorderResult(uint64_t seed) {
  Scenario sc;
  sc.Open();
  auto sst = sc.Create("000008.sst");
  sc.Append(sst.get(), std::string(4096, 'S'));
  sc.Sync(sst.get());
  sc.DirSync();
  for (int k = 0; k < 6; ++k) sc.Append(sst.get(), std::string(4096, static_cast<char>('a' + k)));
  sc.Cut(CutMode::kReorder, seed);
  return sc.Read("000008.sst");
}

TEST_CASE("reorder keeps a seeded subset of unsynced pages, zeroing holes", "[faults]") {
  std::set<std::string> outcomes;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const std::string got = ReorderResult(seed);
    INFO("seed " << seed);
    REQUIRE(got.size() % 4096 == 0);
    REQUIRE(got.size() >= 4096);
    REQUIRE(got.substr(0, 4096) == std::string(4096, 'S'));
    const size_t pages = got.size() / 4096 - 1;
    for (size_t k = 0; k < pages; ++k) {
      const std::string page = got.substr(4096 * (k + 1), 4096);
      const bool kept = page == std::string(4096, static_cast<char>('a' + k));
      const bool zero = page == std::string(4096, '\0');
      REQUIRE((kept || zero));
      if (k + 1 == pages) REQUIRE(kept);  // the file ends at its last kept page
    }
    REQUIRE(ReorderResult(seed) == got);
    outcomes.insert(got);
  }
  REQUIRE(outcomes.size() >= 3);
}

TEST_CASE("a rename and a create no directory fsync covered are undone", "[faults]") {
  Scenario sc;
  WriteFile(sc.Path("CURRENT"), "MANIFEST-000001\n");  // there before the writer started
  sc.Open();
  auto tmp = sc.Create("000005.dbtmp");
  sc.Append(tmp.get(), "MANIFEST-000005\n");
  sc.Sync(tmp.get());
  sc.Close(tmp.get());
  sc.DirSync();  // covers the creation of the temp file, not what follows
  REQUIRE(sc.fs->RenameFile(sc.Path("000005.dbtmp"), sc.Path("CURRENT"), sc.io, nullptr).ok());
  auto sst = sc.Create("000007.sst");
  sc.Append(sst.get(), Pattern(300, 3));
  sc.Sync(sst.get());
  sc.Close(sst.get());

  SECTION("without a later directory fsync") {
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("CURRENT") == "MANIFEST-000001\n");
    REQUIRE(sc.Read("000005.dbtmp") == "MANIFEST-000005\n");
    REQUIRE_FALSE(sc.Has("000007.sst"));
    REQUIRE(stats.files_removed == 1);
    REQUIRE(stats.files_restored == 2);
    REQUIRE(stats.bytes_dropped == 0);
  }
  SECTION("with a later directory fsync") {
    sc.DirSync();
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("CURRENT") == "MANIFEST-000005\n");
    REQUIRE_FALSE(sc.Has("000005.dbtmp"));
    REQUIRE(sc.Read("000007.sst") == Pattern(300, 3));
    REQUIRE(stats.files_removed == 0);
    REQUIRE(stats.files_restored == 0);
  }
}

TEST_CASE("a deletion no directory fsync covered is undone", "[faults]") {
  Scenario sc;
  const std::string content = Pattern(5000, 9);
  WriteFile(sc.Path("000009.sst"), content);
  sc.Open();
  REQUIRE(sc.fs->DeleteFile(sc.Path("000009.sst"), sc.io, nullptr).ok());
  REQUIRE_FALSE(sc.Has("000009.sst"));

  SECTION("uncovered: restored from the keep folder") {
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("000009.sst") == content);
    REQUIRE(stats.files_restored == 1);
  }
  SECTION("covered: stays deleted") {
    sc.DirSync();
    sc.Cut(CutMode::kDrop);
    REQUIRE_FALSE(sc.Has("000009.sst"));
  }
}

TEST_CASE("recycled WAL: overwritten synced bytes are restored", "[faults]") {
  Scenario sc;
  sc.Open();
  const std::string old_log = Pattern(8000, 11);
  const std::string new_log = Pattern(3000, 12);
  auto wal = sc.Create("000010.log");
  sc.Append(wal.get(), old_log);
  sc.Sync(wal.get());
  sc.DirSync();
  sc.Close(wal.get());
  std::unique_ptr<rocksdb::FSWritableFile> reused;
  REQUIRE(sc.fs
              ->ReuseWritableFile(sc.Path("000011.log"), sc.Path("000010.log"),
                                  rocksdb::FileOptions(), &reused, nullptr)
              .ok());
  sc.Append(reused.get(), new_log);
  REQUIRE(sc.Read("000011.log").substr(0, 3000) == new_log);

  SECTION("rename not covered: the old log is back under its old name, whole") {
    sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("000010.log") == old_log);
    REQUIRE_FALSE(sc.Has("000011.log"));
  }
  SECTION("rename covered, overwrite unsynced: the new name holds the old bytes") {
    sc.DirSync();
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("000011.log") == old_log);
    REQUIRE_FALSE(sc.Has("000010.log"));
    REQUIRE(stats.bytes_dropped == 3000);
  }
  SECTION("overwrite synced: the new bytes, then the old tail") {
    sc.DirSync();
    sc.Sync(reused.get());
    sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("000011.log") == new_log + old_log.substr(3000));
  }
  SECTION("torn over a recycled log stays a mix of whole new prefix and old rest") {
    sc.DirSync();
    sc.Cut(CutMode::kTorn, 3);
    const std::string got = sc.Read("000011.log");
    REQUIRE(got.size() == old_log.size());
    size_t split = 0;
    while (split < new_log.size() && got[split] == new_log[split]) ++split;
    REQUIRE(got.substr(split) == old_log.substr(split));
  }
}

TEST_CASE("an open with O_TRUNC of an existing name truncates that inode, it makes no new one",
          "[faults][otrunc]") {
  // POSIX: O_TRUNC cuts the inode the name holds. Once a sync of the file made the cut
  // durable, no directory fsync is needed and the old bytes can never come back.
  Scenario sc;
  const std::string old_content = "old options, a longer text";
  WriteFile(sc.Path("OPTIONS-000003"), old_content);
  struct stat before;
  REQUIRE(::stat(sc.Path("OPTIONS-000003").c_str(), &before) == 0);
  sc.Open();
  auto file = sc.Create("OPTIONS-000003");
  sc.Append(file.get(), "new options");
  struct stat after;
  REQUIRE(::stat(sc.Path("OPTIONS-000003").c_str(), &after) == 0);
  REQUIRE(after.st_ino == before.st_ino);  // the ledger file system kept the real semantics
  std::vector<LedgerRecord> records;
  REQUIRE(ReadLedger(sc.ledger, &records).ok());
  for (const LedgerRecord& r : records) CHECK(r.kind != RecordKind::kCreate);

  SECTION("file synced, no directory fsync: the new content, never the old") {
    sc.Sync(file.get());
    sc.Close(file.get());
    sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("OPTIONS-000003") == "new options");
  }
  SECTION("not synced: the truncation is lost with the bytes, the old content is whole") {
    sc.Close(file.get());
    sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("OPTIONS-000003") == old_content);
  }
}

TEST_CASE("a covered hard link keeps the file when its first name goes", "[faults]") {
  Scenario sc;
  sc.Open();
  auto sst = sc.Create("000030.sst");
  sc.Append(sst.get(), Pattern(700, 4));
  sc.Sync(sst.get());
  sc.Close(sst.get());
  REQUIRE(sc.fs->LinkFile(sc.Path("000030.sst"), sc.Path("000031.sst"), sc.io, nullptr).ok());
  sc.DirSync();
  REQUIRE(sc.fs->DeleteFile(sc.Path("000030.sst"), sc.io, nullptr).ok());
  sc.Cut(CutMode::kDrop);
  REQUIRE(sc.Read("000031.sst") == Pattern(700, 4));
  REQUIRE(sc.Read("000030.sst") == Pattern(700, 4));  // the deletion was not covered
}

TEST_CASE("extra roots: names relative to their common base, the cut finds it from db_dir",
          "[faults][dirs]") {
  Scenario sc;
  sc.Open({}, /*track_checkpoints=*/true);
  sc.MakeDir(sc.Cp("op-1"));
  sc.WriteSynced(sc.Cp("op-1/CURRENT"), "MANIFEST-000001\n");
  std::vector<LedgerRecord> records;
  REQUIRE(ReadLedger(sc.ledger, &records).ok());
  REQUIRE(records.size() >= 4);
  REQUIRE(records[0].kind == RecordKind::kRoot);
  REQUIRE(records[0].name == "db");
  REQUIRE(records[0].a == 1);
  REQUIRE(records[1].kind == RecordKind::kRoot);
  REQUIRE(records[1].name == "checkpoints");
  REQUIRE(DescribeRecord(records[0]).find("(the store)") != std::string::npos);
  REQUIRE(records[2].kind == RecordKind::kMkdir);
  REQUIRE(records[2].name == "checkpoints/op-1");
  REQUIRE(records[3].kind == RecordKind::kCreate);
  REQUIRE(records[3].name == "checkpoints/op-1/CURRENT");

  // The ledger was kept for the store `db` below its base: any other directory is refused.
  Status wrong = ApplyPowerCut(sc.ledger, sc.cp, CutMode::kDrop, 1, nullptr);
  REQUIRE(wrong.code() == Status::Code::kBadInput);
  REQUIRE(fs::exists(sc.Cp("op-1/CURRENT")));  // nothing done
  sc.Cut(CutMode::kDrop);
  REQUIRE_FALSE(fs::exists(sc.Cp("op-1")));
}

TEST_CASE("a directory created without a fsync of its parent is removed with its contents",
          "[faults][dirs]") {
  Scenario sc;
  sc.Open({}, /*track_checkpoints=*/true);
  const std::string dir = sc.Cp("op-1.tmp");
  sc.MakeDir(dir);
  // CreateDirIfMissing of an existing directory is no event; of a new one, a creation.
  REQUIRE(sc.fs->CreateDirIfMissing(dir, sc.io, nullptr).ok());
  REQUIRE(sc.fs->CreateDirIfMissing(dir + "/sub", sc.io, nullptr).ok());
  sc.WriteSynced(dir + "/MANIFEST-000005", Pattern(900, 21));

  SECTION("the directory itself fsynced, its parent not") {
    sc.SyncDir(dir);  // makes its entries durable, not its own name
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE_FALSE(fs::exists(dir));
    REQUIRE(fs::exists(sc.cp));
    REQUIRE(stats.dirs_removed == 1);  // one tree: the sub-directory went with it
    REQUIRE(stats.files_removed == 0);
  }
  SECTION("parent fsynced, the directory not: it survives without the file") {
    sc.SyncDir(sc.cp);
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE(fs::is_directory(dir));
    REQUIRE_FALSE(fs::exists(dir + "/MANIFEST-000005"));
    REQUIRE_FALSE(fs::exists(dir + "/sub"));
    REQUIRE(stats.dirs_removed == 1);
    REQUIRE(stats.files_removed == 1);
  }
  SECTION("both fsynced: all of it survives") {
    sc.SyncDir(dir);
    sc.SyncDir(sc.cp);
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE(ReadFile(dir + "/MANIFEST-000005") == Pattern(900, 21));
    REQUIRE(fs::is_directory(dir + "/sub"));
    REQUIRE(stats.dirs_removed == 0);
  }
}

TEST_CASE("a directory rename no fsync of its parent covered is undone", "[faults][dirs]") {
  Scenario sc;
  sc.Open({}, /*track_checkpoints=*/true);
  const std::string tmp = sc.Cp("op-2.tmp");
  const std::string final_dir = sc.Cp("op-2");
  sc.MakeDir(tmp);
  sc.SyncDir(sc.cp);  // the temporary directory's creation is durable
  sc.WriteSynced(tmp + "/CURRENT", "MANIFEST-000009\n");
  sc.Rename(tmp, final_dir);
  REQUIRE(ReadFile(final_dir + "/CURRENT") == "MANIFEST-000009\n");
  // As RocksDB 7.8.3 does after the rename: a fsync of the renamed directory itself. It makes
  // the directory's entries durable wherever the directory ends up, not its new name.
  sc.SyncDir(final_dir);

  SECTION("uncovered: renamed back, contents and all") {
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE_FALSE(fs::exists(final_dir));
    REQUIRE(ReadFile(tmp + "/CURRENT") == "MANIFEST-000009\n");
    REQUIRE(stats.dirs_restored == 1);
    REQUIRE(stats.files_restored == 0);  // the file moved back with its directory
  }
  SECTION("covered by a later fsync of the parent: stays") {
    sc.SyncDir(sc.cp);
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE_FALSE(fs::exists(tmp));
    REQUIRE(ReadFile(final_dir + "/CURRENT") == "MANIFEST-000009\n");
    REQUIRE(stats.dirs_restored == 0);
    REQUIRE(stats.dirs_removed == 0);
  }
  SECTION("uncovered, its old name taken by a new directory: that one goes") {
    sc.MakeDir(tmp);
    sc.WriteSynced(tmp + "/CURRENT", "MANIFEST-000011\n");
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE_FALSE(fs::exists(final_dir));
    REQUIRE(ReadFile(tmp + "/CURRENT") == "MANIFEST-000009\n");
    REQUIRE(stats.dirs_restored == 1);
    REQUIRE(stats.dirs_removed == 1);
    REQUIRE_FALSE(fs::exists(sc.ledger + "/cut-staging"));
  }
}

TEST_CASE("a fsync through a handle opened before its directory moved covers the moved one",
          "[faults][dirs]") {
  Scenario sc;
  sc.Open({}, /*track_checkpoints=*/true);
  sc.MakeDir(sc.Cp("a"));
  sc.SyncDir(sc.cp);
  std::unique_ptr<rocksdb::FSDirectory> handle;
  REQUIRE(sc.fs->NewDirectory(sc.Cp("a"), sc.io, &handle, nullptr).ok());
  sc.WriteSynced(sc.Cp("a/OPTIONS-000003"), "options");
  sc.Rename(sc.Cp("a"), sc.Cp("b"));
  sc.SyncDir(sc.cp);
  REQUIRE(handle->Fsync(sc.io, nullptr).ok());
  std::vector<LedgerRecord> records;
  REQUIRE(ReadLedger(sc.ledger, &records).ok());
  REQUIRE(records.back().kind == RecordKind::kDirSync);
  REQUIRE(records.back().name == "checkpoints/b");  // the name it has now
  sc.Cut(CutMode::kDrop);
  REQUIRE(ReadFile(sc.Cp("b/OPTIONS-000003")) == "options");
}

TEST_CASE("a hard link into a checkpoint is durable once the checkpoint directory is fsynced",
          "[faults][dirs]") {
  Scenario sc;
  sc.Open({}, /*track_checkpoints=*/true);
  sc.WriteSynced(sc.Path("000007.sst"), Pattern(3000, 8));
  sc.DirSync();
  sc.MakeDir(sc.Cp("op-3"));
  sc.SyncDir(sc.cp);
  REQUIRE(sc.fs->LinkFile(sc.Path("000007.sst"), sc.Cp("op-3/000007.sst"), sc.io, nullptr).ok());
  // A compaction drops the table from the store, durably: the checkpoint's link must hold.
  REQUIRE(sc.fs->DeleteFile(sc.Path("000007.sst"), sc.io, nullptr).ok());
  sc.DirSync();

  SECTION("checkpoint directory not fsynced: the link is lost") {
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE(fs::is_directory(sc.Cp("op-3")));
    REQUIRE_FALSE(fs::exists(sc.Cp("op-3/000007.sst")));
    REQUIRE_FALSE(sc.Has("000007.sst"));
    REQUIRE(stats.files_removed == 1);
  }
  SECTION("fsynced: the checkpoint keeps the table") {
    sc.SyncDir(sc.Cp("op-3"));
    sc.Cut(CutMode::kDrop);
    REQUIRE(ReadFile(sc.Cp("op-3/000007.sst")) == Pattern(3000, 8));
    REQUIRE_FALSE(sc.Has("000007.sst"));
  }
}

TEST_CASE("a directory removal no fsync of its parent covered is undone", "[faults][dirs]") {
  Scenario sc;
  fs::create_directories(sc.Cp("op-4"));  // there before the writer started: durable
  WriteFile(sc.Cp("op-4/CURRENT"), "MANIFEST-000004\n");
  sc.Open({}, /*track_checkpoints=*/true);
  REQUIRE(sc.fs->DeleteFile(sc.Cp("op-4/CURRENT"), sc.io, nullptr).ok());
  REQUIRE(sc.fs->DeleteDir(sc.Cp("op-4"), sc.io, nullptr).ok());
  REQUIRE_FALSE(fs::exists(sc.Cp("op-4")));

  SECTION("uncovered: the directory and its file come back") {
    CutStats stats = sc.Cut(CutMode::kDrop);
    REQUIRE(ReadFile(sc.Cp("op-4/CURRENT")) == "MANIFEST-000004\n");
    REQUIRE(stats.dirs_restored == 1);
    REQUIRE(stats.files_restored == 1);
  }
  SECTION("covered: gone, whatever became of the entries inside it") {
    sc.SyncDir(sc.cp);
    sc.Cut(CutMode::kDrop);
    REQUIRE_FALSE(fs::exists(sc.Cp("op-4")));
  }
}

TEST_CASE("a ledger with a sync record removed drops more", "[faults]") {
  auto run = [](bool tamper, CutStats* stats) {
    Scenario sc;
    sc.Open();
    auto wal = sc.Create("000012.log");
    sc.DirSync();
    sc.Append(wal.get(), std::string(100, 'A'));
    sc.Sync(wal.get());
    sc.Append(wal.get(), std::string(100, 'B'));
    sc.Sync(wal.get());
    sc.Append(wal.get(), std::string(100, 'C'));
    if (tamper) {
      REQUIRE(RemoveLedgerRecord(sc.ledger, LastOrdinalOf(sc.ledger, RecordKind::kSync)).ok());
    }
    *stats = sc.Cut(CutMode::kDrop);
    return sc.Read("000012.log");
  };
  CutStats honest, tampered;
  REQUIRE(run(false, &honest) == std::string(100, 'A') + std::string(100, 'B'));
  REQUIRE(run(true, &tampered) == std::string(100, 'A'));
  REQUIRE(tampered.bytes_dropped > honest.bytes_dropped);
  REQUIRE(tampered.events == honest.events - 1);
}

TEST_CASE("a corrupt or truncated ledger is Corruption naming the file", "[faults]") {
  Scenario sc;
  sc.Open();
  auto wal = sc.Create("000013.log");
  sc.DirSync();
  sc.Append(wal.get(), Pattern(2000, 5));
  sc.Sync(wal.get());
  sc.Append(wal.get(), Pattern(500, 6));
  wal.reset();
  sc.fs.reset();  // a clean writer exit trims the ledger to its end
  const std::string path = LedgerFilePath(sc.ledger);
  const std::string good = ReadFile(path);
  REQUIRE(good.size() > 200);
  const std::string store_before = sc.Read("000013.log");

  auto expect_corruption = [&](const std::string& ledger_bytes, const char* what) {
    WriteFile(path, ledger_bytes);
    CutStats stats;
    Status s = ApplyPowerCut(sc.ledger, sc.db, CutMode::kDrop, 1, &stats);
    INFO(what << ": " << s.message());
    REQUIRE(s.code() == Status::Code::kCorruption);
    REQUIRE(s.message().find(path) != std::string::npos);
    REQUIRE(sc.Read("000013.log") == store_before);  // nothing done on a bad ledger
    LedgerSummary summary;
    REQUIRE(SummarizeLedger(sc.ledger, &summary).code() == Status::Code::kCorruption);
  };
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x20;
  expect_corruption(flipped, "a flipped byte");
  expect_corruption(good.substr(0, good.size() - 24), "cut mid-record");
  expect_corruption(good.substr(0, 40), "cut inside the header");
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  expect_corruption(bad_magic, "bad magic");
  expect_corruption("", "empty");

  WriteFile(path, good);
  REQUIRE(ApplyPowerCut(sc.ledger, sc.db, CutMode::kDrop, 1, nullptr).ok());
  REQUIRE(sc.Read("000013.log") == Pattern(2000, 5));
}

TEST_CASE("a record committed after the last end-offset store still counts", "[faults]") {
  Scenario sc;
  sc.Open();
  auto wal = sc.Create("000014.log");
  sc.Append(wal.get(), "abc");
  sc.Append(wal.get(), "def");  // the last two records: appends, 48 bytes each
  std::vector<LedgerRecord> before;
  REQUIRE(ReadLedger(sc.ledger, &before).ok());
  wal.reset();
  sc.fs.reset();
  // The writer died between committing its last record and storing the end offset: move the
  // end offset back over the last record (48 bytes, no payload) and pad the file with zeros.
  const std::string path = LedgerFilePath(sc.ledger);
  std::string bytes = ReadFile(path);
  uint64_t end;
  std::memcpy(&end, bytes.data() + 16, 8);
  REQUIRE(end == bytes.size());
  end -= 48;
  std::memcpy(bytes.data() + 16, &end, 8);
  WriteFile(path, bytes + std::string(4096, '\0'));
  std::vector<LedgerRecord> after;
  REQUIRE(ReadLedger(sc.ledger, &after).ok());
  REQUIRE(after.size() == before.size());
  REQUIRE(after.back().kind == RecordKind::kAppend);
  // A record the writer died inside (commit word still zero) is not an event.
  end -= 48;
  std::memcpy(bytes.data() + 16, &end, 8);
  std::memset(bytes.data() + end, 0, 8);
  WriteFile(path, bytes);
  REQUIRE(ReadLedger(sc.ledger, &after).ok());
  REQUIRE(after.size() == before.size() - 2);  // nothing past it is read either
}

std::string g_full_message_path;  // where OnFullForTest leaves the handler's message

void OnFullForTest(const std::string& message) {
  std::ofstream(g_full_message_path) << message;
  ::_exit(7);
}

TEST_CASE("a ledger that cannot grow tells its handler where and how much", "[faults]") {
  Scenario sc;
  g_full_message_path = sc.tmp.path() + "/full.txt";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    LedgerOptions options = sc.Options();
    options.max_ledger_bytes = 1 << 20;
    options.on_ledger_full = OnFullForTest;
    Status s;
    auto fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), options, &s);
    std::unique_ptr<rocksdb::FSWritableFile> wal;
    if (!fs || !fs->NewWritableFile(sc.Path("000001.log"), {}, &wal, nullptr).ok()) ::_exit(2);
    for (int i = 0; i < 40000; ++i) (void)wal->Append("x", rocksdb::IOOptions(), nullptr);
    ::_exit(3);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 7);
  const std::string message = ReadFile(g_full_message_path);
  CHECK(message.find(sc.ledger) != std::string::npos);
  CHECK(message.find("bytes needed") != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("a full ledger aborts the writer loudly", "[faults]") {
  Scenario sc;
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(SIGABRT, SIG_DFL);  // Catch2's fatal-signal handler must not report for the child
    ::freopen("/dev/null", "w", stderr);
    LedgerOptions options;
    options.ledger_dir = sc.ledger;
    options.db_dir = sc.db;
    options.max_ledger_bytes = 1 << 20;
    Status s;
    auto fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), options, &s);
    if (!fs) ::_exit(2);
    std::unique_ptr<rocksdb::FSWritableFile> wal;
    if (!fs->NewWritableFile(sc.Path("000001.log"), {}, &wal, nullptr).ok()) ::_exit(2);
    for (int i = 0; i < 40000; ++i) (void)wal->Append("x", rocksdb::IOOptions(), nullptr);
    ::_exit(3);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGABRT);
}

TEST_CASE("files outside the store and the info LOG are passed through untracked", "[faults]") {
  Scenario sc;
  const std::string outside = sc.tmp.path() + "/elsewhere";
  fs::create_directories(outside);
  sc.Open();
  std::unique_ptr<rocksdb::FSWritableFile> file;
  REQUIRE(sc.fs->NewWritableFile(outside + "/x.log", rocksdb::FileOptions(), &file, nullptr).ok());
  REQUIRE(file->Append("unsynced", sc.io, nullptr).ok());
  auto log = sc.Create("LOG");
  sc.Append(log.get(), "info log line\n");
  const uint64_t before = LedgerEventCount();
  REQUIRE(before == 0);
  sc.Cut(CutMode::kDrop);
  REQUIRE(ReadFile(outside + "/x.log") == "unsynced");
  REQUIRE(sc.Read("LOG") == "info log line\n");
}

TEST_CASE("concurrent writers leave a ledger that replays exactly", "[faults]") {
  Scenario sc;
  sc.Open();
  REQUIRE(MarkWritingStarts(sc.fs.get()).ok());  // the summary counts kinds from the marker
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&sc, t] {
      std::unique_ptr<rocksdb::FSWritableFile> file;
      const std::string name = sc.Path("00002" + std::to_string(t) + ".log");
      if (!sc.fs->NewWritableFile(name, rocksdb::FileOptions(), &file, nullptr).ok()) return;
      for (int i = 1; i <= 400; ++i) {
        (void)file->Append(std::string(100, static_cast<char>('a' + t)), sc.io, nullptr);
        if (i % 100 == 0 && i <= 300) (void)file->Sync(sc.io, nullptr);
      }
    });
  }
  for (auto& t : threads) t.join();
  sc.DirSync();
  LedgerSummary summary;
  REQUIRE(SummarizeLedger(sc.ledger, &summary).ok());
  REQUIRE(summary.count(EventKind::kWalAppend) == kThreads * 400);
  REQUIRE(summary.count(EventKind::kWalSync) == kThreads * 3);
  REQUIRE(summary.events == LedgerEventCount());
  sc.Cut(CutMode::kDrop);
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(sc.Read("00002" + std::to_string(t) + ".log") ==
            std::string(30000, static_cast<char>('a' + t)));
  }
}

// Forks a child that runs `body` and must die of SIGKILL; fork without exec is safe only
// while this process has started no RocksDB thread.
void RunChildExpectingSigkill(const std::function<void()>& body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    body();
    ::_exit(3);  // reached the end: the crash point never fired
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("child status " << status);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
}

TEST_CASE("a crash point SIGKILLs right after the nth event; the summary shows where", "[faults]") {
  Scenario sc;
  RunChildExpectingSigkill([&] {
    LedgerOptions options;
    options.ledger_dir = sc.ledger;
    options.db_dir = sc.db;
    options.crash_at = {EventKind::kWalSync, 2};
    Status s;
    auto fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), options, &s);
    if (!fs || !MarkWritingStarts(fs.get()).ok()) ::_exit(2);
    std::unique_ptr<rocksdb::FSWritableFile> wal;
    rocksdb::IOOptions io;
    if (!fs->NewWritableFile(sc.Path("000003.log"), rocksdb::FileOptions(), &wal, nullptr).ok()) {
      ::_exit(2);
    }
    std::unique_ptr<rocksdb::FSDirectory> dir;
    if (!fs->NewDirectory(sc.db, io, &dir, nullptr).ok()) ::_exit(2);
    (void)dir->FsyncWithDirOptions(io, nullptr, rocksdb::DirFsyncOptions());
    for (int i = 0; i < 3; ++i) {
      (void)wal->Append(std::string(10, static_cast<char>('0' + i)), io, nullptr);
      (void)wal->Sync(io, nullptr);
    }
  });
  LedgerSummary summary;
  REQUIRE(SummarizeLedger(sc.ledger, &summary).ok());
  REQUIRE(summary.count(EventKind::kWalSync) == 2);
  REQUIRE(summary.count(EventKind::kWalAppend) == 2);
  REQUIRE(summary.count(EventKind::kDirFsync) == 1);
  REQUIRE(summary.has_last);
  REQUIRE(summary.last.kind == RecordKind::kSync);
  REQUIRE(summary.last.a == 20);
  REQUIRE(DescribeRecord(summary.last).find("sync") != std::string::npos);
  sc.Cut(CutMode::kDrop);
  REQUIRE(sc.Read("000003.log") == std::string(10, '0') + std::string(10, '1'));
}

TEST_CASE("a crash point counts the writing's events only, never the open's", "[faults]") {
  // dir-fsync:1 and event:2 both name the directory fsync after the marker; the three before
  // it (a judging open's) must not count, or the crash would kill the judge.
  for (const CrashPoint point : {CrashPoint{EventKind::kDirFsync, 1}, {EventKind::kAnyEvent, 2}}) {
    Scenario sc;
    RunChildExpectingSigkill([&] {
      Status s;
      auto fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), sc.Options(point), &s);
      rocksdb::IOOptions io;
      std::unique_ptr<rocksdb::FSDirectory> dir;
      std::unique_ptr<rocksdb::FSWritableFile> wal;
      if (!fs || !fs->NewDirectory(sc.db, io, &dir, nullptr).ok() ||
          !fs->NewWritableFile(sc.Path("000003.log"), {}, &wal, nullptr).ok()) {
        ::_exit(2);
      }
      for (int i = 0; i < 3; ++i) (void)dir->FsyncWithDirOptions(io, nullptr, {});
      (void)wal->Append("open", io, nullptr);
      if (!MarkWritingStarts(fs.get()).ok()) ::_exit(2);
      (void)wal->Append("op-1", io, nullptr);
      (void)dir->FsyncWithDirOptions(io, nullptr, {});
      (void)wal->Append("op-2", io, nullptr);
    });
    LedgerSummary summary;
    REQUIRE(SummarizeLedger(sc.ledger, &summary).ok());
    CHECK(summary.count(EventKind::kDirFsync) == 1);
    CHECK(summary.count(EventKind::kWalAppend) == 1);
    CHECK(summary.count(EventKind::kAnyEvent) == 2);
    CHECK(summary.events == 8);  // create, 3 fsyncs, append, marker, append, fsync
    CHECK(summary.last.kind == RecordKind::kDirSync);
    sc.Cut(CutMode::kDrop);  // the marker changes nothing on disk; the ledger still replays
  }
}

TEST_CASE("the writing start is marked once, on a ledger file system only", "[faults]") {
  Scenario sc;
  sc.Open();
  CHECK(MarkWritingStarts(sc.fs.get()).ok());
  CHECK(!MarkWritingStarts(sc.fs.get()).ok());
  CHECK(!MarkWritingStarts(rocksdb::FileSystem::Default().get()).ok());
}

std::string Key(int i) { return "key" + std::to_string(1000 + i); }
std::string Value(int i) { return "value-" + std::to_string(i) + std::string(100, 'v'); }

// Runs `body` in a forked child and returns what it returns ("" = all good), or how the child
// died. RocksDB is opened in the child: the parent must not start RocksDB's threads while
// later tests still fork writers.
std::string InVerifierChild(const std::function<std::string()>& body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    const std::string result = body();
    for (size_t done = 0; done < result.size();) {
      ssize_t n = ::write(fds[1], result.data() + done, result.size() - done);
      if (n <= 0) ::_exit(2);
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string result;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) result.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "verifier child ended with status " + std::to_string(status) + ": " + result;
  }
  return result;
}

// "" when `dir` opens as a store holding exactly the keys [0, n) with their values.
std::string ExpectExactly(const std::string& dir, int n) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status open = rocksdb::DB::Open(rocksdb::Options(), dir, &raw);
  if (!open.ok()) return dir + " does not open: " + open.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  int i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++i) {
    if (i >= n || it->key().ToString() != Key(i) || it->value().ToString() != Value(i)) {
      return dir + ": unexpected key " + it->key().ToString() + " at position " +
             std::to_string(i) + " (expected " + std::to_string(n) + " keys)";
    }
  }
  if (!it->status().ok()) return dir + ": scan failed: " + it->status().ToString();
  if (i != n) return dir + " holds " + std::to_string(i) + " keys, not " + std::to_string(n);
  return "";
}

// Counts file-system events inside `watch` (CreateDir, LinkFile, a file's create, append,
// sync and close, RenameFile, directory fsync) that completed below, and SIGKILLs the
// process right after the nth: a crash at a chosen step of CreateCheckpoint.
struct KillCounter {
  std::string watch;
  int nth = 0;
  std::atomic<int> seen{0};
  bool Watched(const std::string& path) const {
    return path == watch || path.rfind(watch + "/", 0) == 0;
  }
  void Event(const rocksdb::IOStatus& s) {
    if (s.ok() && seen.fetch_add(1) + 1 == nth) {
      ::kill(::getpid(), SIGKILL);
      for (;;) ::pause();
    }
  }
};

class KillFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  KillFile(std::unique_ptr<rocksdb::FSWritableFile> target, std::shared_ptr<KillCounter> counter)
      : FSWritableFileOwnerWrapper(std::move(target)), counter_(std::move(counter)) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    return Counted(target()->Append(data, options, dbg));
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    return Counted(target()->Append(data, options, info, dbg));
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return Counted(target()->Sync(options, dbg));
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Counted(target()->Fsync(options, dbg));
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Counted(target()->Close(options, dbg));
  }

 private:
  rocksdb::IOStatus Counted(rocksdb::IOStatus s) {
    counter_->Event(s);
    return s;
  }
  std::shared_ptr<KillCounter> counter_;
};

class KillDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  KillDirectory(std::unique_ptr<rocksdb::FSDirectory> target, std::shared_ptr<KillCounter> counter)
      : FSDirectoryWrapper(std::move(target)), counter_(std::move(counter)) {}
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = FSDirectoryWrapper::Fsync(options, dbg);
    counter_->Event(s);
    return s;
  }
  rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& options,
                                        rocksdb::IODebugContext* dbg,
                                        const rocksdb::DirFsyncOptions& dir_options) override {
    rocksdb::IOStatus s = FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options);
    counter_->Event(s);
    return s;
  }

 private:
  std::shared_ptr<KillCounter> counter_;
};

class KillFileSystem : public rocksdb::FileSystemWrapper {
 public:
  KillFileSystem(std::shared_ptr<rocksdb::FileSystem> target, std::shared_ptr<KillCounter> counter)
      : FileSystemWrapper(std::move(target)), counter_(std::move(counter)) {}
  const char* Name() const override { return "KillFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (!counter_->Watched(name)) return s;
    counter_->Event(s);
    if (s.ok()) *result = std::make_unique<KillFile>(std::move(*result), counter_);
    return s;
  }
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewDirectory(name, options, result, dbg);
    if (s.ok() && counter_->Watched(name)) {
      *result = std::make_unique<KillDirectory>(std::move(*result), counter_);
    }
    return s;
  }
  rocksdb::IOStatus CreateDir(const std::string& name, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    return Counted(name, target()->CreateDir(name, options, dbg));
  }
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& dst,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    return Counted(dst, target()->LinkFile(src, dst, options, dbg));
  }
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    return Counted(dst, target()->RenameFile(src, dst, options, dbg));
  }

 private:
  rocksdb::IOStatus Counted(const std::string& path, rocksdb::IOStatus s) {
    if (counter_->Watched(path)) counter_->Event(s);
    return s;
  }
  std::shared_ptr<KillCounter> counter_;
};

constexpr int kBeforeCheckpoint = 100;
constexpr int kAfterCheckpoint = 60;

// The writer's checkpoint op, in a forked child: open through the ledger file system (the
// checkpoint root tracked), write synced keys, CreateCheckpoint, then, when `sync_parent`,
// fsync the checkpoint root so the new directory's name is durable. With `kill_at` the child
// dies at that event inside the checkpoint root; without, it writes on and SIGKILLs itself.
// Exit codes: 2 setup failed, 3 the kill point was never reached.
void CheckpointChild(const Scenario& sc, const std::string& checkpoint, bool sync_parent,
                     int kill_at) {
  Status s;
  std::shared_ptr<rocksdb::FileSystem> fs =
      NewLedgerFileSystem(rocksdb::FileSystem::Default(), sc.Options({}, true), &s);
  if (!fs) ::_exit(2);
  if (kill_at > 0) {
    auto counter = std::make_shared<KillCounter>();
    counter->watch = sc.cp;
    counter->nth = kill_at;
    fs = std::make_shared<KillFileSystem>(fs, counter);
  }
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  rocksdb::Options options;
  options.env = env.get();
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, sc.db, &raw).ok()) ::_exit(2);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  for (int i = 0; i < kBeforeCheckpoint; ++i) {
    if (!raw->Put(sync, Key(i), Value(i)).ok()) ::_exit(2);
  }
  rocksdb::Checkpoint* checkpointer = nullptr;
  if (!rocksdb::Checkpoint::Create(raw, &checkpointer).ok()) ::_exit(2);
  if (!checkpointer->CreateCheckpoint(checkpoint).ok()) ::_exit(2);
  if (sync_parent) {
    std::unique_ptr<rocksdb::FSDirectory> dir;
    rocksdb::IOOptions io;
    if (!fs->NewDirectory(sc.cp, io, &dir, nullptr).ok()) ::_exit(2);
    if (!dir->FsyncWithDirOptions(io, nullptr, rocksdb::DirFsyncOptions()).ok()) ::_exit(2);
  }
  if (kill_at > 0) ::_exit(3);
  for (int i = kBeforeCheckpoint; i < kBeforeCheckpoint + kAfterCheckpoint; ++i) {
    if (!raw->Put(sync, Key(i), Value(i)).ok()) ::_exit(2);
  }
  for (int i = kBeforeCheckpoint + kAfterCheckpoint; i < kBeforeCheckpoint + 2 * kAfterCheckpoint;
       ++i) {
    if (!raw->Put(rocksdb::WriteOptions(), Key(i), Value(i)).ok()) ::_exit(2);
  }
  ::kill(::getpid(), SIGKILL);
}

TEST_CASE("a checkpoint made and its root fsynced survives the cut holding exactly its keys",
          "[faults][rocksdb][checkpoint]") {
  Scenario sc;
  const std::string checkpoint = sc.Cp("op-100");
  RunChildExpectingSigkill([&] { CheckpointChild(sc, checkpoint, true, 0); });
  std::vector<LedgerRecord> records;
  REQUIRE(ReadLedger(sc.ledger, &records).ok());
  std::set<RecordKind> in_checkpoint;  // what RocksDB did there, as the ledger saw it
  for (const LedgerRecord& r : records) {
    if (r.name.rfind("checkpoints/", 0) == 0 || r.name2.rfind("checkpoints/", 0) == 0) {
      in_checkpoint.insert(r.kind);
    }
  }
  for (RecordKind kind : {RecordKind::kMkdir, RecordKind::kLink, RecordKind::kCreate,
                          RecordKind::kRenameDir, RecordKind::kDirSync}) {
    INFO(RecordKindName(kind));
    REQUIRE(in_checkpoint.count(kind) == 1);
  }

  CutStats stats = sc.Cut(CutMode::kDrop);
  REQUIRE(stats.bytes_dropped > 0);
  REQUIRE_FALSE(fs::exists(checkpoint + ".tmp"));
  REQUIRE(InVerifierChild([&] { return ExpectExactly(checkpoint, kBeforeCheckpoint); }) == "");
  REQUIRE(InVerifierChild(
              [&] { return ExpectExactly(sc.db, kBeforeCheckpoint + kAfterCheckpoint); }) == "");
}

TEST_CASE("RocksDB 7.8.3's CreateCheckpoint alone leaves no durable checkpoint name",
          "[faults][rocksdb][checkpoint]") {
  // CreateCheckpoint fsyncs the renamed directory, never its parent: on a file system that
  // keeps only what was fsynced, neither the `.tmp` creation nor the rename survives.
  Scenario sc;
  const std::string checkpoint = sc.Cp("op-100");
  RunChildExpectingSigkill([&] { CheckpointChild(sc, checkpoint, false, 0); });
  REQUIRE(fs::is_directory(checkpoint));
  CutStats stats = sc.Cut(CutMode::kDrop);
  REQUIRE_FALSE(fs::exists(checkpoint));
  REQUIRE_FALSE(fs::exists(checkpoint + ".tmp"));
  REQUIRE(stats.dirs_removed == 1);
  REQUIRE(InVerifierChild(
              [&] { return ExpectExactly(sc.db, kBeforeCheckpoint + kAfterCheckpoint); }) == "");
}

TEST_CASE("a writer killed inside its checkpoint op never leaves a checkpoint that fails to open",
          "[faults][rocksdb][checkpoint]") {
  // Every event in the checkpoint root, one crash each: CreateDir of `.tmp`, the links, the
  // MANIFEST and CURRENT writes, the rename, RocksDB's fsync of the directory, the writer's
  // fsync of the root.
  int survived = 0;
  int kill_points = 0;
  for (int nth = 1;; ++nth) {
    Scenario sc;
    const std::string checkpoint = sc.Cp("op-100");
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      CheckpointChild(sc, checkpoint, true, nth);
      ::_exit(4);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO("kill at event " << nth << ", child status " << status);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) break;  // past the last event
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    ++kill_points;
    sc.Cut(CutMode::kDrop);
    for (const auto& entry : fs::directory_iterator(sc.cp)) {
      const std::string name = entry.path().filename().string();
      INFO(name);
      REQUIRE((name == "op-100" || name == "op-100.tmp"));  // `.tmp` the harness ignores
    }
    if (fs::exists(checkpoint)) {
      ++survived;
      REQUIRE(InVerifierChild([&] { return ExpectExactly(checkpoint, kBeforeCheckpoint); }) == "");
    }
  }
  REQUIRE(kill_points >= 10);
  REQUIRE(survived == 1);  // only once the writer's fsync of the root completed
}

// Every file name and byte under `dir`, directories marked: what a cut left, to compare.
std::map<std::string, std::string> TreeOf(const std::string& dir) {
  std::map<std::string, std::string> tree;
  if (!fs::exists(dir)) return tree;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = e.path().lexically_relative(dir).string();
    tree[rel] = e.is_directory() ? "<dir>" : ReadFile(e.path().string());
  }
  return tree;
}

// One mutating call through the ledger file system, named by the kind of record it makes.
struct Step {
  RecordKind kind;
  std::function<void()> call;
};

// A writer's life that makes every kind of mutating call the ledger records, each once or
// more, one call a step: files created, written, synced, truncated (by a handle and by an
// O_TRUNC open), reopened, renamed, linked into a checkpoint whose directory is then renamed,
// deleted; directories made, synced and removed; a file moved in from outside the store.
std::vector<Step> WriterLife(Scenario& sc) {
  auto wal = std::make_shared<std::unique_ptr<rocksdb::FSWritableFile>>();
  auto opts = std::make_shared<std::unique_ptr<rocksdb::FSWritableFile>>();
  rocksdb::IOOptions io;
  auto fsys = [&sc] { return sc.fs.get(); };
  auto ok = [](const rocksdb::IOStatus& s) {
    if (!s.ok()) ::_exit(2);
  };
  auto create = [=, &sc](std::unique_ptr<rocksdb::FSWritableFile>* f, const std::string& p) {
    ok(fsys()->NewWritableFile(p, rocksdb::FileOptions(), f, nullptr));
  };
  auto dir_sync = [=](const std::string& d) {
    std::unique_ptr<rocksdb::FSDirectory> dir;
    ok(fsys()->NewDirectory(d, io, &dir, nullptr));
    ok(dir->FsyncWithDirOptions(io, nullptr, rocksdb::DirFsyncOptions()));
  };
  const std::string tmp_cp = sc.Cp("op-1.tmp"), cp = sc.Cp("op-1"), old = sc.Cp("old");
  const std::string outside = sc.tmp.path() + "/outside.sst";
  using K = RecordKind;
  return {
      {K::kCreate, [=, &sc] { create(wal.get(), sc.Path("000010.log")); }},
      {K::kAppend, [=] { ok((*wal)->Append(Pattern(100, 1), io, nullptr)); }},
      {K::kSync, [=] { ok((*wal)->Sync(io, nullptr)); }},
      {K::kDirSync, [=, &sc] { dir_sync(sc.db); }},
      {K::kAppend, [=] { ok((*wal)->Append(Pattern(50, 2), io, nullptr)); }},
      {K::kTruncate, [=] { ok((*wal)->Truncate(80, io, nullptr)); }},
      {K::kSync, [=] { ok((*wal)->Sync(io, nullptr)); }},
      {K::kClose, [=] { ok((*wal)->Close(io, nullptr)); }},
      {K::kTruncate, [=, &sc] { create(opts.get(), sc.Path("OPTIONS-000001")); }},  // O_TRUNC
      {K::kAppend, [=] { ok((*opts)->Append("new options", io, nullptr)); }},
      {K::kSync, [=] { ok((*opts)->Sync(io, nullptr)); }},
      {K::kClose, [=] { ok((*opts)->Close(io, nullptr)); }},
      {K::kReopen,
       [=, &sc] {
         ok(fsys()->ReopenWritableFile(sc.Path("000010.log"), rocksdb::FileOptions(), wal.get(),
                                       nullptr));
       }},
      {K::kAppend, [=] { ok((*wal)->Append(Pattern(30, 3), io, nullptr)); }},
      {K::kClose, [=] { ok((*wal)->Close(io, nullptr)); }},
      {K::kRename,
       [=, &sc] {
         ok(fsys()->RenameFile(sc.Path("000010.log"), sc.Path("000011.log"), io, nullptr));
       }},
      {K::kMkdir, [=] { ok(fsys()->CreateDir(tmp_cp, io, nullptr)); }},
      {K::kDirSync, [=, &sc] { dir_sync(sc.cp); }},
      {K::kLink,
       [=, &sc] {
         ok(fsys()->LinkFile(sc.Path("000002.sst"), tmp_cp + "/000002.sst", io, nullptr));
       }},
      {K::kDirSync, [=] { dir_sync(tmp_cp); }},
      {K::kRenameDir, [=] { ok(fsys()->RenameFile(tmp_cp, cp, io, nullptr)); }},
      {K::kDirSync, [=] { dir_sync(cp); }},
      {K::kDelete, [=, &sc] { ok(fsys()->DeleteFile(sc.Path("000002.sst"), io, nullptr)); }},
      {K::kMkdir, [=] { ok(fsys()->CreateDirIfMissing(old, io, nullptr)); }},
      {K::kDirSync, [=, &sc] { dir_sync(sc.cp); }},
      {K::kRmdir, [=] { ok(fsys()->DeleteDir(old, io, nullptr)); }},
      {K::kCreate,
       [=, &sc] { ok(fsys()->RenameFile(outside, sc.Path("000020.sst"), io, nullptr)); }},
      {K::kDirSync, [=, &sc] { dir_sync(sc.cp); }},
  };
}

// The writer's life in a forked child, SIGKILLed by the ledger file system at `kill`, or,
// without one, by itself just before step `stop`. Then the drop cut; returns the store and
// the checkpoints as the cut left them, or the cut's error.
std::string LifeCutShort(const CallKill& kill, size_t stop) {
  Scenario sc;
  WriteFile(sc.Path("OPTIONS-000001"), "old options, a longer text");
  WriteFile(sc.Path("000002.sst"), Pattern(3000, 9));
  WriteFile(sc.tmp.path() + "/outside.sst", Pattern(700, 5));
  RunChildExpectingSigkill([&] {
    LedgerOptions options = sc.Options({}, /*track_checkpoints=*/true);
    options.kill_at_call = kill;
    Status s;
    sc.fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), options, &s);
    if (!sc.fs) ::_exit(2);
    std::vector<Step> life = WriterLife(sc);
    for (size_t i = 0; i < life.size(); ++i) {
      if (kill.nth == 0 && i == stop) ::kill(::getpid(), SIGKILL);
      life[i].call();
    }
  });
  Status s = ApplyPowerCut(sc.ledger, sc.db, CutMode::kDrop, 1, nullptr);
  if (!s.ok()) return "cut failed: " + s.message();
  std::string image;
  for (const auto* tree : {&sc.db, &sc.cp}) {
    for (const auto& [name, content] : TreeOf(*tree)) {
      image += name + " = " + std::to_string(std::hash<std::string>()(content)) + "\n";
    }
  }
  return image;
}

TEST_CASE("a kill on either side of any mutating call cuts as a kill just before it",
          "[faults][gap]") {
  // A power cut right after a call no later fsync covered loses the call: the cut must give
  // the very image of a writer that died just before it, whichever side of the gap between
  // the call and its record the SIGKILL landed, and must never fail to find a file.
  Scenario probe;
  const std::vector<Step> life = WriterLife(probe);
  std::map<RecordKind, uint64_t> seen;
  std::set<RecordKind> kinds;
  for (size_t i = 0; i < life.size(); ++i) {
    const RecordKind kind = life[i].kind;
    kinds.insert(kind);
    const std::string reference = LifeCutShort({}, i);
    INFO("step " << i << " (" << RecordKindName(kind) << ")\n" << reference);
    REQUIRE(reference.rfind("cut failed", 0) == std::string::npos);
    const uint64_t nth = ++seen[kind];
    for (bool after : {false, true}) {
      INFO((after ? "killed after the call" : "killed before the call"));
      CHECK(LifeCutShort({kind, nth, after}, 0) == reference);
    }
  }
  CHECK(kinds.size() == 13);  // every kind of record a call makes
}

// Last on purpose: the parent opens RocksDB (starting its threads) only after its fork.
TEST_CASE("a real RocksDB keeps every synced write across a drop cut", "[faults][rocksdb]") {
  Scenario sc;
  constexpr int kSynced = 100;
  constexpr int kUnsynced = 100;
  RunChildExpectingSigkill([&] {
    LedgerOptions options;
    options.ledger_dir = sc.ledger;
    options.db_dir = sc.db;
    Status s;
    auto fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), options, &s);
    if (!fs) ::_exit(2);
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
    rocksdb::Options db_options;
    db_options.env = env.get();
    db_options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    if (!rocksdb::DB::Open(db_options, sc.db, &db).ok()) ::_exit(2);
    if (!MarkWritingStarts(fs.get()).ok()) ::_exit(2);  // the summary counts the puts' events
    rocksdb::WriteOptions sync;
    sync.sync = true;
    for (int i = 0; i < kSynced; ++i) {
      if (!db->Put(sync, Key(i), Value(i)).ok()) ::_exit(2);
    }
    for (int i = kSynced; i < kSynced + kUnsynced; ++i) {
      if (!db->Put(rocksdb::WriteOptions(), Key(i), Value(i)).ok()) ::_exit(2);
    }
    ::kill(::getpid(), SIGKILL);
  });
  LedgerSummary summary;
  REQUIRE(SummarizeLedger(sc.ledger, &summary).ok());
  REQUIRE(summary.count(EventKind::kWalAppend) >= kSynced + kUnsynced);
  REQUIRE(summary.count(EventKind::kWalSync) >= kSynced);
  // The open renamed CURRENT and fsynced the store: recorded, but before the writing start,
  // so no crash point counts them.
  REQUIRE(summary.count(EventKind::kCurrentRename) == 0);
  std::vector<LedgerRecord> records;
  REQUIRE(ReadLedger(sc.ledger, &records).ok());
  size_t open_renames = 0, open_dir_syncs = 0;
  for (const LedgerRecord& r : records) {
    if (r.kind == RecordKind::kWritingStarts) break;
    open_renames += r.kind == RecordKind::kRename && r.name2 == "CURRENT";
    open_dir_syncs += r.kind == RecordKind::kDirSync;
  }
  REQUIRE(open_renames >= 1);
  REQUIRE(open_dir_syncs >= 1);

  CutStats stats;
  Status cut = ApplyPowerCut(sc.ledger, sc.db, CutMode::kDrop, 1, &stats);
  INFO(cut.message());
  REQUIRE(cut.ok());
  REQUIRE(stats.bytes_dropped > 0);

  rocksdb::Options options;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status open = rocksdb::DB::Open(options, sc.db, &raw);
  INFO(open.ToString());
  REQUIRE(open.ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  int present_unsynced = 0;
  for (int i = 0; i < kSynced + kUnsynced; ++i) {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Key(i), &value);
    if (i < kSynced) {
      INFO("synced key " << i << ": " << s.ToString());
      REQUIRE(s.ok());
      REQUIRE(value == Value(i));
    } else {
      present_unsynced += s.ok() ? 1 : 0;
    }
  }
  REQUIRE(present_unsynced == 0);  // drop loses every byte no sync covered
}

// Not run by default (`faults_test "[.bench]"`): the cost the ledger adds per event.
TEST_CASE("ledger overhead per append event", "[.bench]") {
  Scenario sc;
  sc.Open();
  constexpr int kN = 200000;
  const std::string data(100, 'x');
  auto time_appends = [&](rocksdb::FileSystem* fs, const std::string& path) {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    REQUIRE(fs->NewWritableFile(path, rocksdb::FileOptions(), &file, nullptr).ok());
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kN; ++i) (void)file->Append(data, sc.io, nullptr);
    auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start);
    return ns.count() / kN;
  };
  // Interleaved rounds, best of each: the first round pays for page-cache warm-up.
  double raw = 1e18, ledgered = 1e18;
  for (int round = 0; round < 3; ++round) {
    const std::string n = std::to_string(round);
    raw = std::min(raw,
                   time_appends(rocksdb::FileSystem::Default().get(), sc.tmp.path() + "/raw" + n));
    ledgered = std::min(ledgered, time_appends(sc.fs.get(), sc.Path("00000" + n + ".log")));
  }
  std::unique_ptr<LedgerWriter> writer;
  REQUIRE(LedgerWriter::Create(sc.tmp.path() + "/bare.bin", kDefaultMaxLedgerBytes, &writer).ok());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kN; ++i) writer->Append({RecordKind::kAppend, 1, 0, 100u * i, 100}, "");
  const double bare =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      kN;
  std::printf(
      "append 100 B: raw %.0f ns, through ledger fs %.0f ns (+%.0f ns); "
      "LedgerWriter::Append alone %.1f ns\n",
      raw, ledgered, ledgered - raw, bare);
}

}  // namespace

TEST_CASE("a narrower directory fsync finishing late does not take back a wider one") {
  // Two threads fsync the store directory: one began before a file was created and finishes
  // after another fsync that covered the file. The file's name stays durable.
  using powercut::faults::LedgerRecord;
  using powercut::faults::RecordKind;
  auto rec = [](uint64_t ordinal, RecordKind kind, uint32_t file, uint64_t a, uint64_t b,
                std::string name) {
    LedgerRecord r;
    r.ordinal = ordinal;
    r.kind = kind;
    r.file_id = file;
    r.a = a;
    r.b = b;
    r.name = std::move(name);
    return r;
  };
  const std::vector<LedgerRecord> records = {
      rec(0, RecordKind::kCreate, 1, 0, 0, "000001.sst"),
      rec(1, RecordKind::kAppend, 1, 0, 4, ""),
      rec(2, RecordKind::kSync, 1, 4, 0, ""),
      rec(3, RecordKind::kDirSync, 0, 3, 0, ""),  // covers the create
      rec(4, RecordKind::kDirSync, 0, 0, 0, ""),  // began before it, finished last
  };
  powercut::faults::Replay replay;
  powercut::Status s = powercut::faults::ReplayLedger(records, "test-ledger", &replay);
  INFO(s.message());
  REQUIRE(s.ok());
  REQUIRE(replay.names.count("000001.sst") == 1);
  CHECK(replay.names.at("000001.sst") == 1);
  CHECK(replay.inodes.at(1).durable == 4);
}

TEST_CASE("the op in flight names transactions, two-phase ones and family drops apart") {
  using powercut::faults::OpInFlightFeature;
  powercut::Op op;
  op.kind = powercut::OpKind::kPut;
  op.writes.push_back({});
  CHECK(OpInFlightFeature(op) == "write");
  op.kind = powercut::OpKind::kBatch;
  CHECK(OpInFlightFeature(op) == "write");
  op.kind = powercut::OpKind::kTxn;
  CHECK(OpInFlightFeature(op) == "txn");
  op.two_phase = true;
  CHECK(OpInFlightFeature(op) == "txn-2pc");
  op.kind = powercut::OpKind::kRecreateFamily;
  CHECK(OpInFlightFeature(op) == "recreate-family");
  powercut::Op rollback;
  rollback.kind = powercut::OpKind::kTxnRollback;
  CHECK(OpInFlightFeature(rollback) == "txn-rollback");
  rollback.two_phase = true;
  CHECK(OpInFlightFeature(rollback) == "txn-rollback-2pc");
  powercut::Op flush;
  flush.kind = powercut::OpKind::kFlushFamily;
  CHECK(OpInFlightFeature(flush) == "flush-family");
}
