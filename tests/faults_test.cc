// Tests of the ledger-keeping file system and the power cut, on real files under /tmp: the
// ledger file system is driven through the rocksdb::FileSystem API as RocksDB drives it, the
// writer's death is either simulated (the cut runs while the handles are still open) or real
// (a forked child SIGKILLs itself), and the cut is checked byte for byte.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include "faults/ledger.h"
#include "faults/ledger_fs.h"
#include "faults/power_cut.h"

namespace {

namespace fs = std::filesystem;
using powercut::Status;
using namespace powercut::faults;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/powercut-faults-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  REQUIRE(out.good());
}

// Bytes that differ from offset to offset, so a misplaced byte shows.
std::string Pattern(size_t n, uint8_t salt) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + salt) % 251 + 1);
  return s;
}

// A store directory and a ledger directory, with the ledger file system over them.
struct Scenario {
  TempDir tmp;
  std::string db = tmp.path() + "/db";
  std::string ledger = tmp.path() + "/ledger";
  std::shared_ptr<rocksdb::FileSystem> fs;
  rocksdb::IOOptions io;

  Scenario() { fs::create_directories(db); }

  void Open(CrashPoint crash_at = {}) {
    LedgerOptions options;
    options.ledger_dir = ledger;
    options.db_dir = db;
    options.crash_at = crash_at;
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
  void DirSync() {
    std::unique_ptr<rocksdb::FSDirectory> dir;
    REQUIRE(fs->NewDirectory(db, io, &dir, nullptr).ok());
    REQUIRE(dir->FsyncWithDirOptions(io, nullptr, rocksdb::DirFsyncOptions()).ok());
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

TEST_CASE("a file created over an existing name gets its old content back uncovered", "[faults]") {
  Scenario sc;
  WriteFile(sc.Path("OPTIONS-000003"), "old options");
  sc.Open();
  auto file = sc.Create("OPTIONS-000003");  // O_TRUNC semantics: a fresh file under the name
  sc.Append(file.get(), "new options");
  sc.Sync(file.get());
  sc.Close(file.get());
  SECTION("uncovered") {
    sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("OPTIONS-000003") == "old options");
  }
  SECTION("covered") {
    sc.DirSync();
    sc.Cut(CutMode::kDrop);
    REQUIRE(sc.Read("OPTIONS-000003") == "new options");
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
    if (!fs) ::_exit(2);
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

std::string Key(int i) { return "key" + std::to_string(1000 + i); }
std::string Value(int i) { return "value-" + std::to_string(i) + std::string(100, 'v'); }

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
  REQUIRE(summary.count(EventKind::kCurrentRename) >= 1);
  REQUIRE(summary.count(EventKind::kDirFsync) >= 1);

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
