// Tests of injected I/O errors (faults/io_error.h) in the ledger file system, and of fsyncgate
// in the power cut and the crash images: the file system is driven through the
// rocksdb::FileSystem API on real files under /tmp, the writer's death is simulated (the cut
// runs while the handles are still open), and files are checked byte for byte.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rocksdb/file_system.h>

#include "faults/crash_image.h"
#include "faults/crash_states.h"
#include "faults/io_error.h"
#include "faults/ledger.h"
#include "faults/ledger_fs.h"
#include "faults/power_cut.h"
#include "faults/replay.h"
#include "tests/unit_support.h"

namespace {

namespace fs = std::filesystem;
using powercut::Status;
using rocksdb::IOStatus;
using namespace powercut::faults;
using unit::Pattern;
using unit::ReadFile;

using unit::TempDir;

// A file's bytes as runs of zeros and of data, e.g. "zeros 0..1000, data 1000..4000": what a
// failed comparison shows instead of kilobytes of binary.
std::string Runs(const std::string& bytes) {
  std::string out;
  for (size_t start = 0; start < bytes.size();) {
    const bool zero = bytes[start] == '\0';
    size_t end = start;
    while (end < bytes.size() && (bytes[end] == '\0') == zero) ++end;
    out += (out.empty() ? "" : ", ") + std::string(zero ? "zeros " : "data ") +
           std::to_string(start) + ".." + std::to_string(end);
    start = end;
  }
  return out.empty() ? "empty" : out;
}

IoErrorPlan Plan(IoSite site, uint64_t nth, IoErrorMode mode = IoErrorMode::kOnce,
                 IoErrorStatus status = IoErrorStatus::kFatal) {
  IoErrorPlan plan;
  plan.site = site;
  plan.nth = nth;
  plan.status = status;
  plan.mode = mode;
  return plan;
}

std::vector<IoSite> AllSites() {
  std::vector<IoSite> sites;
  for (int i = 0; i < kIoSiteCount; ++i) sites.push_back(static_cast<IoSite>(i));
  return sites;
}

uint64_t LastOrdinal(const std::vector<LedgerRecord>& records, RecordKind kind) {
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->kind == kind) return it->ordinal;
  }
  FAIL("no record of kind " << RecordKindName(kind));
  return 0;
}

// A store and a ledger directory, with the ledger file system over the store.
struct Scenario {
  TempDir tmp;
  std::string db = tmp.path() + "/db";
  std::string ledger = tmp.path() + "/ledger";
  std::shared_ptr<rocksdb::FileSystem> fs;
  rocksdb::IOOptions io;

  Scenario() { fs::create_directories(db); }

  void Open(const IoErrorPlan& plan) {
    LedgerOptions options;
    options.ledger_dir = ledger;
    options.db_dir = db;
    options.io_error = plan;
    Status s;
    fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), options, &s);
    INFO(s.message());
    REQUIRE(s.ok());
    REQUIRE(fs != nullptr);
  }
  void Mark() { REQUIRE(MarkWritingStarts(fs.get()).ok()); }
  std::string Path(const std::string& name) const { return db + "/" + name; }
  bool Has(const std::string& name) const { return fs::exists(Path(name)); }
  std::string Read(const std::string& name) const { return ReadFile(Path(name)); }
  std::unique_ptr<rocksdb::FSWritableFile> Create(const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    REQUIRE(fs->NewWritableFile(Path(name), rocksdb::FileOptions(), &file, nullptr).ok());
    return file;
  }
  std::unique_ptr<rocksdb::FSDirectory> Dir(const std::string& path) {
    std::unique_ptr<rocksdb::FSDirectory> dir;
    REQUIRE(fs->NewDirectory(path, io, &dir, nullptr).ok());
    return dir;
  }
  void Append(rocksdb::FSWritableFile* file, const std::string& data) {
    REQUIRE(file->Append(data, io, nullptr).ok());
  }
  void Sync(rocksdb::FSWritableFile* file) { REQUIRE(file->Sync(io, nullptr).ok()); }
  void DirSync() { REQUIRE(Dir(db)->FsyncWithDirOptions(io, nullptr, {}).ok()); }
  std::vector<LedgerRecord> Records() const {
    std::vector<LedgerRecord> records;
    Status s = ReadLedger(ledger, &records);
    INFO(s.message());
    REQUIRE(s.ok());
    return records;
  }
  std::vector<LedgerRecord> IoErrors() const {
    std::vector<LedgerRecord> errors;
    for (const LedgerRecord& r : Records()) {
      if (r.kind == RecordKind::kIoError) errors.push_back(r);
    }
    return errors;
  }
  uint64_t Count(RecordKind kind) const {
    uint64_t n = 0;
    for (const LedgerRecord& r : Records()) n += r.kind == kind ? 1 : 0;
    return n;
  }
  CutStats Cut(CutMode mode, uint64_t seed = 1) {
    CutStats stats;
    Status s = ApplyPowerCut(ledger, db, mode, seed, &stats);
    INFO(s.message());
    REQUIRE(s.ok());
    return stats;
  }
};

// One call of a site at a time, on files made up front (before the writing starts) where the
// site needs an open file; `made` says whether the disk (or, for syncs and closes, the
// ledger's record of a completed call) shows the call made.
class SiteCalls {
 public:
  explicit SiteCalls(Scenario* sc)
      : sc_(sc),
        wal_(sc->Create("000010.log")),
        sst_(sc->Create("000011.sst")),
        manifest_(sc->Create("MANIFEST-000012")),
        dir_(sc->Dir(sc->db)) {}

  IOStatus Call(IoSite site, bool* made) {
    const std::string n = std::to_string(next_++);
    rocksdb::IOOptions& io = sc_->io;
    switch (site) {
      case IoSite::kWalAppend:
        return Appended(wal_.get(), "000010.log", made);
      case IoSite::kSstWrite:
        return Appended(sst_.get(), "000011.sst", made);
      case IoSite::kManifestWrite:
        return Appended(manifest_.get(), "MANIFEST-000012", made);
      case IoSite::kWalSync:
        return Recorded(
            RecordKind::kSync, [&] { return wal_->Sync(io, nullptr); }, made);
      case IoSite::kSstSync:
        return Recorded(
            RecordKind::kSync, [&] { return sst_->Fsync(io, nullptr); }, made);
      case IoSite::kManifestSync:
        return Recorded(
            RecordKind::kSync, [&] { return manifest_->Sync(io, nullptr); }, made);
      case IoSite::kDirFsync:  // both entry points, as RocksDB 7.8 uses the second
        return Recorded(
            RecordKind::kDirSync,
            [&] {
              return next_ % 2 ? dir_->Fsync(io, nullptr)
                               : dir_->FsyncWithDirOptions(io, nullptr, {});
            },
            made);
      case IoSite::kClose: {
        auto file = sc_->Create("close-" + n);
        return Recorded(
            RecordKind::kClose, [&] { return file->Close(io, nullptr); }, made);
      }
      case IoSite::kFileCreate: {
        std::unique_ptr<rocksdb::FSWritableFile> file;
        IOStatus s = sc_->fs->NewWritableFile(sc_->Path("create-" + n), {}, &file, nullptr);
        *made = sc_->Has("create-" + n);
        return s;
      }
      case IoSite::kRename: {
        sc_->Create("from-" + n);
        IOStatus s = sc_->fs->RenameFile(sc_->Path("from-" + n), sc_->Path("to-" + n), io, nullptr);
        *made = sc_->Has("to-" + n) && !sc_->Has("from-" + n);
        return s;
      }
      case IoSite::kDelete: {
        sc_->Create("gone-" + n);
        IOStatus s = sc_->fs->DeleteFile(sc_->Path("gone-" + n), io, nullptr);
        *made = !sc_->Has("gone-" + n);
        return s;
      }
    }
    FAIL("unknown site");
    return IOStatus::OK();
  }

 private:
  IOStatus Appended(rocksdb::FSWritableFile* file, const std::string& name, bool* made) {
    const uint64_t before_bytes = sc_->Read(name).size();
    IOStatus s = file->Append("0123456789", sc_->io, nullptr);
    *made = sc_->Read(name).size() == before_bytes + 10;
    return s;
  }
  IOStatus Recorded(RecordKind kind, const std::function<IOStatus()>& call, bool* made) {
    const uint64_t before = sc_->Count(kind);
    IOStatus s = call();
    *made = sc_->Count(kind) == before + 1;
    return s;
  }

  Scenario* sc_;
  std::unique_ptr<rocksdb::FSWritableFile> wal_, sst_, manifest_;
  std::unique_ptr<rocksdb::FSDirectory> dir_;
  int next_ = 0;
};

// Sites whose call has an intent record before it (faults/ledger.h, "Intents").
bool FailsAnIntent(IoSite site) {
  return site == IoSite::kWalAppend || site == IoSite::kSstWrite ||
         site == IoSite::kManifestWrite || site == IoSite::kFileCreate || site == IoSite::kRename ||
         site == IoSite::kDelete;
}

TEST_CASE("I/O error plans parse back, and a bad one names the bad part and the choices",
          "[io-error]") {
  for (IoSite site : AllSites()) {
    IoSite parsed_site;
    REQUIRE(ParseIoSite(IoSiteName(site), &parsed_site).ok());
    REQUIRE(parsed_site == site);
    CHECK(MaxNthCall(site) >= 1);
    for (int st = 0; st < kIoErrorStatusCount; ++st) {
      for (IoErrorMode mode : {IoErrorMode::kOnce, IoErrorMode::kSticky}) {
        const IoErrorPlan plan = Plan(site, 7 + st, mode, static_cast<IoErrorStatus>(st));
        IoErrorPlan parsed;
        const std::string text = FormatIoErrorPlan(plan);
        INFO(text);
        REQUIRE(ParseIoErrorPlan(text, &parsed).ok());
        CHECK(parsed.site == plan.site);
        CHECK(parsed.nth == plan.nth);
        CHECK(parsed.status == plan.status);
        CHECK(parsed.mode == plan.mode);
      }
    }
  }
  IoErrorPlan plan;
  REQUIRE(ParseIoErrorPlan("wal-sync:3:fatal:once", &plan).ok());
  CHECK(FormatIoErrorPlan(plan) == "wal-sync:3:fatal:once");
  CHECK(IsFileSyncSite(IoSite::kWalSync));
  CHECK(IsFileSyncSite(IoSite::kSstSync));
  CHECK(IsFileSyncSite(IoSite::kManifestSync));
  CHECK(!IsFileSyncSite(IoSite::kDirFsync));
  CHECK(!IsFileSyncSite(IoSite::kWalAppend));

  struct Bad {
    const char* text;
    std::vector<std::string> named;  // what the message must mention
  };
  for (const Bad& bad : std::vector<Bad>{
           {"wal-sink:1:fatal:once", {"'wal-sink'", "wal-append", "close"}},
           {"wal-sync:0:fatal:once", {"'0'", "from 1"}},
           {"wal-sync:x:fatal:once", {"'x'"}},
           {"wal-sync:-1:fatal:once", {"'-1'"}},
           {"wal-sync:99999999999999999999:fatal:once", {"'99999999999999999999'"}},
           {"wal-sync:1:doom:once", {"'doom'", "retryable", "fatal", "nospace"}},
           {"wal-sync:1:fatal:twice", {"'twice'", "once", "sticky"}},
           {"wal-sync:1:fatal", {"SITE:N:STATUS:MODE"}},
           {"wal-sync:1:fatal:once:more", {"SITE:N:STATUS:MODE"}},
           {"", {"SITE:N:STATUS:MODE"}},
       }) {
    IoErrorPlan untouched = Plan(IoSite::kClose, 5);
    Status s = ParseIoErrorPlan(bad.text, &untouched);
    INFO(bad.text << " -> " << s.message());
    REQUIRE(s.code() == Status::Code::kBadInput);
    CHECK(s.message().find('\n') == std::string::npos);
    for (const std::string& part : bad.named) CHECK(s.message().find(part) != std::string::npos);
    CHECK(untouched.nth == 5);  // a bad plan leaves the old one
  }
}

TEST_CASE("each site fails at its nth call of the writing, never at the judging open's",
          "[io-error]") {
  for (IoSite site : AllSites()) {
    INFO(IoSiteName(site));
    Scenario sc;
    sc.Open(Plan(site, 2));
    SiteCalls calls(&sc);
    bool made = false;
    for (int i = 0; i < 3; ++i) {  // the judging open's calls: before the marker, never counted
      REQUIRE(calls.Call(site, &made).ok());
      REQUIRE(made);
    }
    sc.Mark();
    REQUIRE(calls.Call(site, &made).ok());
    REQUIRE(made);
    const IOStatus failed = calls.Call(site, &made);
    INFO(failed.ToString());
    REQUIRE(!failed.ok());
    CHECK(failed.IsIOError());
    CHECK(!made);  // the call was not made: no bytes, no name change, no sync or close record
    CHECK(failed.ToString().find(std::string("powercut injected I/O error (") + IoSiteName(site) +
                                 ", fatal) on " + sc.db) != std::string::npos);
    REQUIRE(calls.Call(site, &made).ok());  // once: the next call is made again
    REQUIRE(made);

    const std::vector<LedgerRecord> records = sc.Records();
    const std::vector<LedgerRecord> errors = sc.IoErrors();
    REQUIRE(errors.size() == 1);
    const LedgerRecord& e = errors.front();
    CHECK(e.a == static_cast<uint64_t>(site));
    CHECK((e.file_id == 0) == (site == IoSite::kDirFsync));
    CHECK(e.b == 0);  // nothing was appended to the synced files: length 0 when it began
    CHECK(e.ordinal > LastOrdinal(records, RecordKind::kWritingStarts));
    if (FailsAnIntent(site)) {  // the intent before it is voided, as a real failure's is
      REQUIRE(e.ordinal + 1 < records.size());
      CHECK(IsIntent(records[e.ordinal - 1].kind));
      CHECK(records[e.ordinal + 1].kind == RecordKind::kFailed);
      CHECK(records[e.ordinal + 1].a == e.ordinal - 1);
    }
    LedgerSummary summary;
    REQUIRE(SummarizeLedger(sc.ledger, &summary).ok());
    CHECK(summary.io_errors == 1);
    CHECK(summary.first_io_error.ordinal == e.ordinal);
    CHECK(summary.first_io_error.kind == RecordKind::kIoError);
    sc.Cut(CutMode::kDrop);  // the ledger still replays
  }
}

TEST_CASE("an injected error is retryable, fatal or no space, as the plan says", "[io-error]") {
  for (int st = 0; st < kIoErrorStatusCount; ++st) {
    const auto status = static_cast<IoErrorStatus>(st);
    INFO(IoErrorStatusName(status));
    Scenario sc;
    sc.Open(Plan(IoSite::kWalAppend, 1, IoErrorMode::kOnce, status));
    auto wal = sc.Create("000003.log");
    sc.Mark();
    const IOStatus s = wal->Append("x", sc.io, nullptr);
    REQUIRE(!s.ok());
    CHECK(s.IsIOError());
    CHECK(s.GetRetryable() == (status == IoErrorStatus::kRetryable));
    CHECK(s.IsNoSpace() == (status == IoErrorStatus::kNoSpace));
    CHECK(s.ToString().find(sc.Path("000003.log")) != std::string::npos);
    CHECK(s.ToString().find(IoErrorStatusName(status)) != std::string::npos);
    const std::string text = s.ToString();
    const IOStatus direct = InjectedIoStatus(status, IoSite::kWalAppend, "/x");
    CHECK(direct.ToString() == text.substr(0, text.rfind(" on ")) + " on /x");
  }
}

TEST_CASE("once fails one call; sticky fails every later call of the site on that file only",
          "[io-error]") {
  for (IoErrorMode mode : {IoErrorMode::kOnce, IoErrorMode::kSticky}) {
    INFO(IoErrorModeName(mode));
    Scenario sc;
    sc.Open(Plan(IoSite::kWalSync, 2, mode));
    auto a = sc.Create("000004.log");
    auto b = sc.Create("000005.log");
    sc.Mark();
    std::vector<bool> ok;
    for (rocksdb::FSWritableFile* f : {a.get(), a.get(), b.get(), a.get(), b.get(), a.get()}) {
      ok.push_back(f->Sync(sc.io, nullptr).ok());
    }
    const bool sticky = mode == IoErrorMode::kSticky;
    CHECK(ok == std::vector<bool>{true, false, true, !sticky, true, !sticky});
    const std::vector<LedgerRecord> errors = sc.IoErrors();
    REQUIRE(errors.size() == (sticky ? 3u : 1u));
    for (const LedgerRecord& e : errors) CHECK(e.file_id == errors.front().file_id);
    CHECK(sc.Count(RecordKind::kSync) == (sticky ? 3u : 5u));
    LedgerSummary summary;
    REQUIRE(SummarizeLedger(sc.ledger, &summary).ok());
    CHECK(summary.io_errors == errors.size());
    CHECK(summary.first_io_error.ordinal == errors.front().ordinal);
  }
}

TEST_CASE("a sticky directory fsync or create sticks to the name", "[io-error]") {
  SECTION("dir-fsync: every handle of the directory, not another directory") {
    Scenario sc;
    sc.Open(Plan(IoSite::kDirFsync, 1, IoErrorMode::kSticky));
    REQUIRE(sc.fs->CreateDir(sc.db + "/sub", sc.io, nullptr).ok());
    auto first = sc.Dir(sc.db);
    auto second = sc.Dir(sc.db);
    auto sub = sc.Dir(sc.db + "/sub");
    sc.Mark();
    CHECK(!first->FsyncWithDirOptions(sc.io, nullptr, {}).ok());
    CHECK(sub->FsyncWithDirOptions(sc.io, nullptr, {}).ok());
    CHECK(!second->Fsync(sc.io, nullptr).ok());
    const std::vector<LedgerRecord> errors = sc.IoErrors();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].name.empty());  // the store is the base: its name is ""
    CHECK(DescribeRecord(errors[0]).find("io-error dir-fsync '.'") != std::string::npos);
    sc.Cut(CutMode::kDrop);
  }
  SECTION("file-create: the same name again, not another name") {
    Scenario sc;
    sc.Open(Plan(IoSite::kFileCreate, 1, IoErrorMode::kSticky, IoErrorStatus::kNoSpace));
    sc.Mark();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    CHECK(sc.fs->NewWritableFile(sc.Path("000007.sst"), {}, &file, nullptr).IsNoSpace());
    CHECK(sc.fs->NewWritableFile(sc.Path("000008.sst"), {}, &file, nullptr).ok());
    CHECK(sc.fs->ReopenWritableFile(sc.Path("000007.sst"), {}, &file, nullptr).IsNoSpace());
    CHECK(!sc.Has("000007.sst"));
    const std::vector<LedgerRecord> errors = sc.IoErrors();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].name == "000007.sst");
    CHECK(errors[1].name == "000007.sst");
    CHECK(errors[0].file_id != errors[1].file_id);  // each try reserved its own id
    sc.Cut(CutMode::kDrop);
  }
}

TEST_CASE("a failed append leaves no bytes; its intent is voided; the record says what failed",
          "[io-error]") {
  Scenario sc;
  sc.Open(Plan(IoSite::kWalAppend, 2));
  auto wal = sc.Create("000001.log");
  sc.DirSync();
  sc.Mark();
  sc.Append(wal.get(), "aaaa");
  CHECK(!wal->Append("bbbb", sc.io, nullptr).ok());
  sc.Append(wal.get(), "cccc");
  CHECK(sc.Read("000001.log") == "aaaacccc");
  sc.Sync(wal.get());

  const std::vector<LedgerRecord> records = sc.Records();
  const std::vector<LedgerRecord> errors = sc.IoErrors();
  REQUIRE(errors.size() == 1);
  const uint64_t at = errors[0].ordinal;
  const LedgerRecord& intent = records[at - 1];
  CHECK(intent.kind == RecordKind::kAppend);
  CHECK(intent.a == 4);
  CHECK(intent.b == 4);
  CHECK(records[at + 1].kind == RecordKind::kFailed);
  CHECK(records[at + 1].a == intent.ordinal);
  CHECK(records[at + 2].kind == RecordKind::kAppend);
  CHECK(records[at + 2].a == 4);  // the next append lands where the failed one would have
  CHECK(DescribeRecord(errors[0]) == "#" + std::to_string(at) + " io-error wal-append file " +
                                         std::to_string(intent.file_id) + " (000001.log)");
  sc.Cut(CutMode::kDrop);
  CHECK(sc.Read("000001.log") == "aaaacccc");
}

// The fsyncgate sequence on one WAL whose name is durable: A appended, a sync (failed when
// `fail_first_sync`), B appended, a sync that succeeds. The writer "dies" with it open.
struct Fsyncgate {
  Scenario sc;
  const std::string a = Pattern(5000, 1);
  const std::string b = Pattern(5000, 2);
  std::unique_ptr<rocksdb::FSWritableFile> wal;

  explicit Fsyncgate(bool fail_first_sync) {
    sc.Open(fail_first_sync ? Plan(IoSite::kWalSync, 1) : IoErrorPlan());
    wal = sc.Create("000001.log");
    sc.DirSync();
    sc.Mark();
    sc.Append(wal.get(), a);
    REQUIRE(wal->Sync(sc.io, nullptr).ok() == !fail_first_sync);
    sc.Append(wal.get(), b);
    sc.Sync(wal.get());
  }
  std::string Zeros(size_t n) const { return std::string(n, '\0'); }
};

TEST_CASE("fsyncgate: bytes a failed sync left are zeros after a cut, a later sync is no help",
          "[io-error][fsyncgate]") {
  SECTION("the failed sync dooms A; B, synced later, survives") {
    Fsyncgate g(true);
    const std::vector<LedgerRecord> errors = g.sc.IoErrors();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].b == 5000);  // the length when the failed sync began
    CHECK(DescribeRecord(errors[0]).find("io-error wal-sync file ") != std::string::npos);
    CHECK(DescribeRecord(errors[0]).find("(000001.log) length 5000") != std::string::npos);
    CHECK(g.sc.Count(RecordKind::kSync) == 1);  // the failed sync wrote no sync record
    // A process crash: the page cache still holds A, so the file on disk does.
    CHECK(g.sc.Read("000001.log") == g.a + g.b);
    for (CutMode mode : {CutMode::kDrop, CutMode::kTorn, CutMode::kReorder}) {
      INFO(CutModeName(mode));
      Fsyncgate again(true);
      const CutStats stats = again.sc.Cut(mode, 7);
      CHECK(again.sc.Read("000001.log") == again.Zeros(5000) + again.b);
      CHECK(stats.bytes_dropped == 5000);
      CHECK(stats.files_truncated == 1);
    }
  }
  SECTION("control: without the failed sync A survives too") {
    Fsyncgate g(false);
    CHECK(g.sc.IoErrors().empty());
    const CutStats stats = g.sc.Cut(CutMode::kDrop);
    CHECK(g.sc.Read("000001.log") == g.a + g.b);
    CHECK(stats.bytes_dropped == 0);
  }
  SECTION("the replay keeps the doomed range across the later sync") {
    Fsyncgate g(true);
    Replay replay;
    REQUIRE(ReplayLedger(g.sc.Records(), LedgerFilePath(g.sc.ledger), &replay).ok());
    const ReplayedInode& inode = replay.inodes.at(g.sc.IoErrors()[0].file_id);
    CHECK(inode.durable == 10000);
    CHECK(inode.doomed == std::map<uint64_t, uint64_t>{{0, 5000}});
    const UnsyncedSpan span = UnsyncedSpanOf(inode, 10000);
    CHECK(!span.empty());  // nothing unsynced, yet the cut changes the file
    CHECK(span.first >= span.last);
    CHECK(span.doomed_bytes == 5000);
  }
}

TEST_CASE("fsyncgate: a truncation drops the doomed bytes past it; rewritten bytes are synced",
          "[io-error][fsyncgate]") {
  Scenario sc;
  sc.Open(Plan(IoSite::kWalSync, 1));
  auto wal = sc.Create("000001.log");
  sc.DirSync();
  sc.Mark();
  sc.Append(wal.get(), Pattern(5000, 1));
  REQUIRE(!wal->Sync(sc.io, nullptr).ok());
  REQUIRE(wal->Truncate(1000, sc.io, nullptr).ok());
  // Reopened to append: the posix file appends at its own offset, which Truncate leaves.
  REQUIRE(wal->Close(sc.io, nullptr).ok());
  REQUIRE(sc.fs->ReopenWritableFile(sc.Path("000001.log"), {}, &wal, nullptr).ok());
  const std::string c = Pattern(3000, 3);
  sc.Append(wal.get(), c);  // lands at 1000, over bytes the failed sync doomed: written anew
  sc.Sync(wal.get());
  sc.Cut(CutMode::kDrop);
  INFO(Runs(sc.Read("000001.log")));
  CHECK(sc.Read("000001.log") == std::string(1000, '\0') + c);
}

TEST_CASE("fsyncgate: an unsynced truncation restores the doomed bytes as zeros",
          "[io-error][fsyncgate]") {
  Fsyncgate g(true);  // A doomed, B durable
  // An open with O_TRUNC saves the durable bytes it cuts (read back from the page cache,
  // A included); no sync follows, so the cut puts back what the disk holds: zeros, then B.
  auto again = g.sc.Create("000001.log");
  g.sc.Append(again.get(), "new");
  g.sc.Cut(CutMode::kDrop);
  INFO(Runs(g.sc.Read("000001.log")));
  CHECK(g.sc.Read("000001.log") == g.Zeros(5000) + g.b);
}

// The image of `state` of the trace in `g`, read back: the WAL's bytes.
std::string ImageWal(const Trace& trace, const CrashState& state, const std::string& out) {
  Replay at;
  REQUIRE(trace.ReplayAt(state.event, &at).ok());
  ImageStats stats;
  Status s = trace.BuildImage(state, at, out, &stats, /*link_ssts=*/false);
  INFO(CrashStateName(state) << ": " << s.message());
  REQUIRE(s.ok());
  return ReadFile(out + "/000001.log");
}

TEST_CASE("fsyncgate in crash images: a power cut zeroes A, a process crash keeps it",
          "[io-error][fsyncgate][crash-image]") {
  Fsyncgate g(true);
  Trace trace;
  REQUIRE(Trace::Load(g.sc.ledger, g.sc.db, &trace).ok());
  const std::vector<LedgerRecord>& records = trace.records();
  const uint64_t last_sync = LastOrdinal(records, RecordKind::kSync);
  const uint64_t failed_sync = LastOrdinal(records, RecordKind::kIoError);
  const uint32_t id = records[failed_sync].file_id;
  const std::string out = g.sc.tmp.path() + "/images";

  const CrashState power{last_sync, CrashKind::kPowerCut, {}};
  CHECK(ImageWal(trace, power, out + "/power") == g.Zeros(5000) + g.b);
  const CrashState kept{last_sync, CrashKind::kPowerCut, {{id, FileFate{FileFate::Kind::kKeep}}}};
  CHECK(ImageWal(trace, kept, out + "/kept") == g.Zeros(5000) + g.b);
  const CrashState process{last_sync, CrashKind::kProcess, {}};
  CHECK(ImageWal(trace, process, out + "/process") == g.a + g.b);
  // Right after the failed sync: the drop loses A whole; a fate that keeps it keeps zeros.
  const CrashState early{failed_sync, CrashKind::kPowerCut, {}};
  CHECK(ImageWal(trace, early, out + "/early").empty());
  const CrashState early_kept{
      failed_sync, CrashKind::kPowerCut, {{id, FileFate{FileFate::Kind::kKeep}}}};
  CHECK(ImageWal(trace, early_kept, out + "/early-kept") == g.Zeros(5000));

  // The keys tell the zeroed image from the process crash's, and the fates that all give
  // zeros apart from none.
  Replay at;
  REQUIRE(trace.ReplayAt(last_sync, &at).ok());
  CHECK(trace.ContentKey(power, at) != trace.ContentKey(process, at));
  CHECK(trace.ContentKey(power, at) == trace.ContentKey(kept, at));
  Replay early_at;
  REQUIRE(trace.ReplayAt(failed_sync, &early_at).ok());
  CHECK(trace.ContentKey(early, early_at) != trace.ContentKey(early_kept, early_at));

  // Exploration always visits the state right after an injected error.
  const std::vector<uint64_t> points = CrashPointsOf(trace, ExploreLimits());
  CHECK(std::find(points.begin(), points.end(), failed_sync) != points.end());

  // The control trace: nothing doomed, so a power cut after the last sync is the process
  // crash's image and key.
  Fsyncgate control(false);
  Trace control_trace;
  REQUIRE(Trace::Load(control.sc.ledger, control.sc.db, &control_trace).ok());
  const uint64_t control_sync = LastOrdinal(control_trace.records(), RecordKind::kSync);
  Replay control_at;
  REQUIRE(control_trace.ReplayAt(control_sync, &control_at).ok());
  const CrashState control_power{control_sync, CrashKind::kPowerCut, {}};
  const CrashState control_process{control_sync, CrashKind::kProcess, {}};
  CHECK(control_trace.ContentKey(control_power, control_at) ==
        control_trace.ContentKey(control_process, control_at));
  CHECK(ImageWal(control_trace, control_power, out + "/control") == control.a + control.b);
}

}  // namespace
