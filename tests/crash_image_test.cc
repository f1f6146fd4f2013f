// Crash images are exact: the image Trace::BuildImage makes for a crash after event e of one
// writer's trace equals the store a second, identical writer really left when it was
// SIGKILLed right after e (and, for power cuts, equals today's cut applied to that store).
// Real RocksDB, real processes (fork), real files under /tmp; no mocks.
//
// RocksDB is opened only in forked children (the workload writers, and the reader that dumps
// SSTs): the parent never starts RocksDB's threads, so forking stays safe for every test.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
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
#include <sstream>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>

#include "faults/crash_image.h"
#include "faults/crash_states.h"
#include "faults/ledger.h"
#include "faults/ledger_fs.h"
#include "faults/power_cut.h"
#include "faults/replay.h"
#include "faults/wal_records.h"
#include "tests/unit_support.h"

namespace {

namespace fs = std::filesystem;
using powercut::Status;
using namespace powercut::faults;
using unit::Pattern;
using unit::ReadFile;

using unit::TempDir;

// Copies the trees `from[i]` to `to[i]` (which must not exist), files by content, keeping
// hard links among all of them: a dead writer's keep folder links the store's inodes, and
// the cut (faults/in_doubt.h) tells by them whether its last call was made.
void CopyTrees(const std::vector<std::string>& from, const std::vector<std::string>& to) {
  std::map<std::pair<dev_t, ino_t>, std::string> copied;
  for (size_t i = 0; i < from.size(); ++i) {
    fs::create_directories(to[i]);
    for (const auto& e : fs::recursive_directory_iterator(from[i])) {
      const std::string dst = to[i] + "/" + fs::relative(e.path(), from[i]).string();
      if (e.is_directory()) {
        fs::create_directories(dst);
        continue;
      }
      struct stat st;
      REQUIRE(::lstat(e.path().c_str(), &st) == 0);
      auto [it, fresh] = copied.try_emplace({st.st_dev, st.st_ino}, dst);
      std::error_code ec;
      if (fresh) {
        fs::copy_file(e.path(), dst, ec);
      } else {
        fs::create_hard_link(it->second, dst, ec);
      }
      INFO("copy " << e.path() << " -> " << dst << ": " << ec.message());
      REQUIRE(!ec);
    }
  }
}
void CopyTree(const std::string& from, const std::string& to) { CopyTrees({from}, {to}); }

// Runs `body` in a forked child, which must die of SIGKILL (it never returns normally).
void RunChildExpectingSigkill(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    body();
    ::_exit(3);  // reached the end: the crash point never fired, nor the final kill
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("child status " << status << " (exit code " << WEXITSTATUS(status) << ")");
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
}

// Runs `body` in a forked child and returns what it returned; REQUIREs a clean exit.
std::string InChild(const std::function<std::string()>& body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    const std::string result = body();
    for (size_t done = 0; done < result.size();) {
      const ssize_t n = ::write(fds[1], result.data() + done, result.size() - done);
      if (n <= 0) ::_exit(2);
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string result;
  char buf[65536];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) result.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("child status " << status);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return result;
}

void PutLengthPrefixed(std::string* out, const std::string& s) {
  const uint64_t n = s.size();
  out->append(reinterpret_cast<const char*>(&n), sizeof n);
  out->append(s);
}

bool GetLengthPrefixed(const std::string& in, size_t* pos, std::string* s) {
  uint64_t n = 0;
  if (*pos + sizeof n > in.size()) return false;
  std::memcpy(&n, in.data() + *pos, sizeof n);
  *pos += sizeof n;
  if (*pos + n > in.size()) return false;
  *s = in.substr(*pos, n);
  *pos += n;
  return true;
}

// ---------------------------------------------------------------------------------------
// The workload: deterministic and single-threaded in its foreground, so two runs record the
// same events in the same order.

constexpr int kOps = 240;
constexpr int kSyncEvery = 7;
constexpr int kFlushEvery = 40;
// Small, so the flushes roll the MANIFEST over and CURRENT gets renamed during the writing.
constexpr uint64_t kMaxManifestBytes = 512;

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%06d", i);
  return buf;
}
std::string Value(int i) { return "value-" + std::to_string(i) + "-" + Pattern(300, i % 251); }

rocksdb::Options WorkloadOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.disable_auto_compactions = true;
  options.max_manifest_file_size = kMaxManifestBytes;
  options.write_buffer_size = 64 << 20;  // no automatic flush
  options.stats_dump_period_sec = 0;
  options.stats_persist_period_sec = 0;
  return options;
}

// A store created once (IDENTITY holds a random id): every run starts from a copy of it, so
// IDENTITY and everything else the open reads are the same in every run.
struct BaseStore {
  TempDir tmp;
  std::string db = tmp.path() + "/db";
  BaseStore() {
    const std::string made = InChild([&] {
      rocksdb::DB* raw = nullptr;
      rocksdb::Status s = rocksdb::DB::Open(WorkloadOptions(), db, &raw);
      if (!s.ok()) return "open: " + s.ToString();
      s = raw->Close();
      delete raw;
      return s.ok() ? std::string() : "close: " + s.ToString();
    });
    REQUIRE(made.empty());
    REQUIRE(fs::exists(db + "/IDENTITY"));
  }
};

// One writer run in its own directory: `<dir>/db` (a copy of the base) and `<dir>/ledger`.
struct WriterRun {
  std::string dir, db, ledger;
  std::vector<LedgerRecord> records;
};

// The writer's life in a forked child: open through the ledger file system, mark the
// writing start, run the ops with their boundaries, and SIGKILL itself at the end (or at
// `crash_at`, the ledger file system does).
void RunWriter(const BaseStore& base, const std::string& dir, CrashPoint crash_at, WriterRun* run) {
  run->dir = dir;
  run->db = dir + "/db";
  run->ledger = dir + "/ledger";
  fs::create_directories(dir);
  CopyTree(base.db, run->db);
  fs::remove(run->db + "/LOCK");
  RunChildExpectingSigkill([&] {
    LedgerOptions lo;
    lo.ledger_dir = run->ledger;
    lo.db_dir = run->db;
    lo.crash_at = crash_at;
    Status s;
    auto fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), lo, &s);
    if (!fs) ::_exit(2);
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
    rocksdb::Options options = WorkloadOptions();
    options.env = env.get();
    rocksdb::DB* db = nullptr;
    if (!rocksdb::DB::Open(options, run->db, &db).ok()) ::_exit(4);
    // No background purge may race the foreground: the events stay in one order.
    if (!db->DisableFileDeletions().ok()) ::_exit(5);
    if (!MarkWritingStarts(fs.get()).ok()) ::_exit(6);
    for (int i = 1; i <= kOps; ++i) {
      if (!RecordOpBoundary(fs.get(), RecordKind::kIssued, i).ok()) ::_exit(7);
      rocksdb::WriteOptions wo;
      wo.sync = i % kSyncEvery == 0;
      if (!db->Put(wo, Key(i), Value(i)).ok()) ::_exit(8);
      if (i % kFlushEvery == 0) {
        rocksdb::FlushOptions fo;
        fo.wait = true;
        if (!db->Flush(fo).ok()) ::_exit(9);
      }
      if (!RecordOpBoundary(fs.get(), RecordKind::kAcked, i).ok()) ::_exit(10);
    }
    ::kill(::getpid(), SIGKILL);  // no close: the store as a crash leaves it
  });
  Status s = ReadLedger(run->ledger, &run->records);
  INFO(s.message());
  REQUIRE(s.ok());
}

// The ordinal of the nth record of crash-point kind `kind`, counted as crash points count
// (faults/ledger.h WritingEvents); ~0 when the ledger holds fewer.
uint64_t OrdinalOfNth(const std::vector<LedgerRecord>& records, EventKind kind, uint64_t nth) {
  uint64_t ordinal = ~uint64_t{0};
  NthWritingEvent(WritingEvents(records), kind, nth, &ordinal);
  return ordinal;
}

// "" when the records are the same events (kind, file, arguments, names, saved bytes).
std::string SameRecords(const std::vector<LedgerRecord>& a, const std::vector<LedgerRecord>& b,
                        size_t count) {
  if (a.size() < count || b.size() < count) return "fewer records than " + std::to_string(count);
  for (size_t i = 0; i < count; ++i) {
    const LedgerRecord &x = a[i], &y = b[i];
    if (x.ordinal != y.ordinal || x.kind != y.kind || x.file_id != y.file_id ||
        x.aux_id != y.aux_id || x.flags != y.flags || x.a != y.a || x.b != y.b ||
        x.name != y.name || x.name2 != y.name2 || x.data != y.data) {
      return "record " + std::to_string(i) + " differs: " + DescribeRecord(x) + " vs " +
             DescribeRecord(y);
    }
  }
  return "";
}

// ---------------------------------------------------------------------------------------
// Comparing two stores.

bool Untracked(const std::string& name) {
  return name == "LOCK" || name == "LOG" || name.rfind("LOG.old.", 0) == 0;
}

// Every regular file under `dir` the ledger tracks, by its path relative to `dir`.
std::set<std::string> ListStore(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), dir).string();
    if (!Untracked(e.path().filename().string())) names.insert(rel);
  }
  return names;
}

// Each SST's size and key/value contents as rocksdb::SstFileReader reads them (checksums
// verified), or "unreadable: ..." when it does not open. Read in a child: no RocksDB in here.
std::map<std::string, std::string> DumpSsts(const std::vector<std::string>& paths) {
  const std::string out = InChild([&] {
    std::string result;
    for (const std::string& path : paths) {
      rocksdb::SstFileReader reader(rocksdb::Options{});
      rocksdb::Status s = reader.Open(path);
      if (s.ok()) s = reader.VerifyChecksum();
      std::string dump;
      if (s.ok()) {
        std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
        uint64_t n = 0;
        for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
          PutLengthPrefixed(&dump, it->key().ToString());
          PutLengthPrefixed(&dump, it->value().ToString());
        }
        s = it->status();
        dump = "entries " + std::to_string(n) + "\n" + dump;
      }
      PutLengthPrefixed(&result, path);
      PutLengthPrefixed(&result, s.ok() ? dump : "unreadable: " + s.ToString());
    }
    return result;
  });
  std::map<std::string, std::string> dumps;
  size_t pos = 0;
  std::string path, dump;
  while (GetLengthPrefixed(out, &pos, &path) && GetLengthPrefixed(out, &pos, &dump)) {
    dumps[path] = dump;
  }
  REQUIRE(dumps.size() == std::set<std::string>(paths.begin(), paths.end()).size());
  return dumps;
}

bool Readable(const std::string& dump) { return dump.rfind("unreadable", 0) != 0; }

// --- MANIFEST bytes that differ between two runs of the same workload ---
// RocksDB 7.8.3 stores, with every new file in a VersionEdit, its unique id (derived from the
// per-session random db_session_id) and two wall-clock times (oldest ancestor time, file
// creation time, in seconds). Each physical record's CRC covers them. The mask below marks
// exactly those bytes: everything else in a MANIFEST must match byte for byte.

bool GetVarint(const std::string& s, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift <= 63 && *pos < s.size(); shift += 7) {
    const uint8_t b = static_cast<uint8_t>(s[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Skips a length-prefixed slice; its value's bounds in [*start, *end).
bool SkipSlice(const std::string& s, size_t* pos, size_t* start = nullptr, size_t* end = nullptr) {
  uint64_t n = 0;
  if (!GetVarint(s, pos, &n) || *pos + n > s.size()) return false;
  if (start) *start = *pos;
  *pos += n;
  if (end) *end = *pos;
  return true;
}

// Marks, in the logical record `edit` (a VersionEdit), the bytes of the per-run fields; stops
// where the record ends early (a torn tail) or holds a tag this parser does not know.
void MaskVersionEdit(const std::string& edit, std::vector<bool>* masked) {
  size_t pos = 0;
  uint64_t tag = 0, v = 0;
  auto mark = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) (*masked)[i] = true;
  };
  while (pos < edit.size() && GetVarint(edit, &pos, &tag)) {
    bool ok = true;
    switch (tag) {
      case 1:    // comparator
      case 201:  // column family add
        ok = SkipSlice(edit, &pos);
        break;
      case 2:    // log number
      case 3:    // next file number
      case 4:    // last sequence
      case 9:    // prev log number
      case 10:   // min log number to keep
      case 200:  // column family
      case 203:  // max column family
      case 300:  // in atomic group
        ok = GetVarint(edit, &pos, &v);
        break;
      case 5:  // compact cursor
        ok = GetVarint(edit, &pos, &v) && SkipSlice(edit, &pos);
        break;
      case 6:  // deleted file
        ok = GetVarint(edit, &pos, &v) && GetVarint(edit, &pos, &v);
        break;
      case 202:  // column family drop
        break;
      case 103: {  // new file 4: level, number, size, smallest, largest, seqnos, custom fields
        ok = GetVarint(edit, &pos, &v) && GetVarint(edit, &pos, &v) && GetVarint(edit, &pos, &v) &&
             SkipSlice(edit, &pos) && SkipSlice(edit, &pos) && GetVarint(edit, &pos, &v) &&
             GetVarint(edit, &pos, &v);
        while (ok) {
          uint64_t custom = 0;
          ok = GetVarint(edit, &pos, &custom);
          if (!ok || custom == 1) break;  // kTerminate
          size_t start = 0, end = 0;
          ok = SkipSlice(edit, &pos, &start, &end);
          // kOldestAncesterTime, kFileCreationTime, kUniqueId
          if (ok && (custom == 5 || custom == 6 || custom == 12)) mark(start, end);
        }
        break;
      }
      default:
        if (tag & (1u << 13)) {  // forward-compatible records (db id, WAL additions, ...)
          ok = SkipSlice(edit, &pos);
        } else {
          ok = false;
        }
    }
    if (!ok) return;
  }
}

// The per-run bytes of the MANIFEST `file`: every physical record's CRC, and the per-run
// fields of every VersionEdit (complete, or torn at the end of the file).
std::vector<bool> ManifestMask(const std::string& file) {
  std::vector<bool> mask(file.size(), false);
  std::string logical;
  std::vector<size_t> where;  // the file offset of each byte of `logical`
  auto finish = [&] {
    std::vector<bool> in_edit(logical.size(), false);
    MaskVersionEdit(logical, &in_edit);
    for (size_t i = 0; i < logical.size(); ++i) {
      if (in_edit[i]) mask[where[i]] = true;
    }
    logical.clear();
    where.clear();
  };
  size_t pos = 0;
  while (pos + 7 <= file.size()) {
    const size_t left = kWalBlockBytes - pos % kWalBlockBytes;
    if (left < 7) {
      pos += left;
      continue;
    }
    const unsigned type = static_cast<unsigned char>(file[pos + 6]);
    const size_t length = static_cast<unsigned char>(file[pos + 4]) |
                          (static_cast<size_t>(static_cast<unsigned char>(file[pos + 5])) << 8);
    if (type < 1 || type > 4) break;
    for (size_t i = pos; i < pos + 4; ++i) mask[i] = true;
    if (type == 1 || type == 2) logical.clear(), where.clear();
    const size_t end = std::min(file.size(), pos + 7 + length);
    for (size_t i = pos + 7; i < end; ++i) {
      logical.push_back(file[i]);
      where.push_back(i);
    }
    if (type == 1 || type == 4) finish();
    pos = pos + 7 + length;
  }
  finish();  // a torn last record: as far as it goes
  return mask;
}

struct Coverage {
  uint64_t files = 0, ssts = 0, ssts_read = 0, wals = 0, wal_bytes = 0, manifests = 0,
           masked_bytes = 0;
};

// The two trees the compared stores were cut from (for power cuts): the per-run bytes of a
// MANIFEST are found in them (a cut may leave too little of a record to parse).
struct Layout {
  std::string a, b;
};

// "" when stores `a` and `b` hold the same files, byte for byte but for the per-run bytes of
// RocksDB (see ManifestMask; SSTs by size and key/value contents).
std::string CompareStores(const std::string& a, const std::string& b, const Layout* layout,
                          Coverage* cov) {
  const std::set<std::string> names_a = ListStore(a), names_b = ListStore(b);
  if (names_a != names_b) {
    std::string only_a, only_b;
    for (const auto& n : names_a) {
      if (!names_b.count(n)) only_a += " " + n;
    }
    for (const auto& n : names_b) {
      if (!names_a.count(n)) only_b += " " + n;
    }
    return "file names differ; only in " + a + ":" + only_a + "; only in " + b + ":" + only_b;
  }
  std::vector<std::string> ssts;
  for (const auto& n : names_a) {
    if (ClassifyName(n) == FileClass::kSst) {
      ssts.push_back(a + "/" + n);
      ssts.push_back(b + "/" + n);
    }
  }
  const std::map<std::string, std::string> dumps =
      ssts.empty() ? std::map<std::string, std::string>{} : DumpSsts(ssts);
  std::string diff;
  for (const auto& n : names_a) {
    const std::string x = ReadFile(a + "/" + n), y = ReadFile(b + "/" + n);
    cov->files++;
    if (x.size() != y.size()) {
      diff += n + ": sizes " + std::to_string(x.size()) + " vs " + std::to_string(y.size()) + "\n";
      continue;
    }
    std::vector<bool> mask(x.size(), false);
    switch (ClassifyName(n)) {
      case FileClass::kSst: {
        cov->ssts++;
        const std::string& da = dumps.at(a + "/" + n);
        const std::string& db = dumps.at(b + "/" + n);
        if (Readable(da) || Readable(db)) {
          cov->ssts_read += Readable(da) && Readable(db);
          if (da != db) diff += n + ": SST contents differ (" + da.substr(0, 60) + ")\n";
          continue;
        }
        // Neither opens (empty: the crash came before its bytes were written): byte for byte.
        // (A power cut that tears an SST inside its properties block would need those bytes
        // masked; none of the crash points here leaves an unsynced non-empty SST.)
        break;
      }
      case FileClass::kManifest: {
        cov->manifests++;
        for (const std::string& m : layout != nullptr
                                        ? std::vector<std::string>{ReadFile(layout->a + "/" + n),
                                                                   ReadFile(layout->b + "/" + n)}
                                        : std::vector<std::string>{x, y}) {
          const std::vector<bool> mm = ManifestMask(m);
          for (size_t i = 0; i < std::min(mm.size(), mask.size()); ++i) mask[i] = mask[i] || mm[i];
        }
        break;
      }
      case FileClass::kWal:
        cov->wals++;
        cov->wal_bytes += x.size();
        break;
      case FileClass::kOther:
        break;
    }
    size_t first_diff = x.size();
    for (size_t i = 0; i < x.size(); ++i) {
      if (mask[i]) {
        cov->masked_bytes++;
      } else if (x[i] != y[i] && first_diff == x.size()) {
        first_diff = i;
      }
    }
    if (first_diff != x.size()) {
      diff += n + ": bytes differ from offset " + std::to_string(first_diff) + " (size " +
              std::to_string(x.size()) + ")\n";
    }
  }
  return diff;
}

std::string Describe(const Coverage& c) {
  return "files " + std::to_string(c.files) + ", ssts " + std::to_string(c.ssts) + " (" +
         std::to_string(c.ssts_read) + " read), wals " + std::to_string(c.wals) + " (" +
         std::to_string(c.wal_bytes) + " bytes), manifests " + std::to_string(c.manifests) +
         ", masked bytes " + std::to_string(c.masked_bytes);
}

void Add(Coverage* total, const Coverage& c) {
  total->files += c.files;
  total->ssts += c.ssts;
  total->ssts_read += c.ssts_read;
  total->wals += c.wals;
  total->wal_bytes += c.wal_bytes;
  total->manifests += c.manifests;
  total->masked_bytes += c.masked_bytes;
}

// Builds the image of `state` from `trace` in `out` (the store: the ledger's base).
ImageStats Build(const Trace& trace, const CrashState& state, const std::string& out,
                 bool link_ssts = true) {
  Replay at;
  Status s = trace.ReplayAt(state.event, &at);
  INFO(s.message());
  REQUIRE(s.ok());
  ImageStats stats;
  s = trace.BuildImage(state, at, out, &stats, link_ssts);
  INFO(CrashStateName(state) << ": " << s.message());
  REQUIRE(s.ok());
  return stats;
}

// The fates today's cut gives each inode with unsynced data in the replay at the event.
std::map<uint32_t, FileFate> FatesFor(const Replay& at, CutMode mode, uint64_t seed) {
  std::map<uint32_t, FileFate> fates;
  if (mode == CutMode::kDrop) return fates;
  for (const auto& [id, inode] : at.inodes) {
    const UnsyncedSpan span = UnsyncedSpanOf(inode, inode.size);
    if (!span.empty()) fates[id] = FateFor(mode, seed, id, span);
  }
  return fates;
}

// Today's cut applied to a copy of a dead writer's store (and of its ledger: the cut may take
// files out of the keep folder): `<dir>/db`.
CutStats CutCopy(const std::string& db, const std::string& ledger, const std::string& dir,
                 CutMode mode, uint64_t seed) {
  fs::create_directories(dir);
  CopyTrees({db, ledger}, {dir + "/db", dir + "/ledger"});
  CutStats stats;
  Status s = ApplyPowerCut(dir + "/ledger", dir + "/db", mode, seed, &stats);
  INFO(s.message());
  REQUIRE(s.ok());
  return stats;
}

struct CutCase {
  CutMode mode;
  uint64_t seed;
};
const std::vector<CutCase> kCuts = {{CutMode::kDrop, 1},    {CutMode::kTorn, 1},
                                    {CutMode::kTorn, 2},    {CutMode::kTorn, 3},
                                    {CutMode::kReorder, 1}, {CutMode::kReorder, 2}};

// ---------------------------------------------------------------------------------------
// Trace B (the workload run to its end) and the runs killed at crash points, shared by the
// tests below and made once.

struct Kill {
  EventKind kind;
  uint64_t nth;
  uint64_t event;  // its ordinal in trace B
  WriterRun run;
};

struct Shared {
  BaseStore base;
  TempDir tmp;
  WriterRun b;
  Trace trace;
  LedgerSummary summary;

  Shared() {
    RunWriter(base, tmp.path() + "/b", {}, &b);
    Status s = Trace::Load(b.ledger, b.db, &trace);
    INFO(s.message());
    REQUIRE(s.ok());
    REQUIRE(SummarizeLedger(b.ledger, &summary).ok());
  }

  // The runs killed at crash points: for each kind, its first, middle and last in trace B.
  const std::vector<Kill>& Kills() {
    if (!kills.empty()) return kills;
    std::vector<Kill> made;
    for (int kind = 1; kind < kEventKindCount; ++kind) {
      const EventKind ek = static_cast<EventKind>(kind);
      const uint64_t count = summary.count(ek);
      INFO(EventKindName(ek));
      REQUIRE(count > 0);  // the workload reaches every kind of crash point
      for (uint64_t nth : std::set<uint64_t>{1, (count + 1) / 2, count}) {
        Kill kill{ek, nth, OrdinalOfNth(b.records, ek, nth), {}};
        REQUIRE(kill.event < b.records.size());
        RunWriter(base, tmp.path() + "/k" + std::to_string(made.size()), {ek, nth}, &kill.run);
        made.push_back(std::move(kill));
      }
    }
    kills = std::move(made);
    return kills;
  }

 private:
  std::vector<Kill> kills;
};

Shared& TheShared() {
  static Shared shared;
  return shared;
}

std::string Name(const Kill& k) {
  return std::string(EventKindName(k.kind)) + ":" + std::to_string(k.nth) + " (event #" +
         std::to_string(k.event) + ")";
}

}  // namespace

TEST_CASE("two runs of the workload record the same events and leave the same store",
          "[crash-image]") {
  Shared& sh = TheShared();
  TempDir tmp;
  WriterRun again;
  RunWriter(sh.base, tmp.path() + "/again", {}, &again);
  INFO(SameRecords(sh.b.records, again.records, sh.b.records.size()));
  REQUIRE(again.records.size() == sh.b.records.size());
  REQUIRE(SameRecords(sh.b.records, again.records, sh.b.records.size()).empty());
  Coverage cov;
  const std::string diff = CompareStores(sh.b.db, again.db, nullptr, &cov);
  INFO(diff << Describe(cov));
  CHECK(diff.empty());
  CHECK(cov.ssts_read >= 6);
  CHECK(cov.masked_bytes > 0);  // the per-run bytes are there, and masked
}

TEST_CASE("a process-crash image equals the store a writer killed at that event left",
          "[crash-image]") {
  Shared& sh = TheShared();
  TempDir tmp;
  Coverage total;
  uint64_t linked = 0;
  std::set<EventKind> kinds;
  for (const Kill& k : sh.Kills()) {
    INFO(Name(k));
    const std::string image = tmp.path() + "/" + std::to_string(&k - sh.Kills().data());
    // The killed writer recorded trace B's events up to and including e, and died there.
    REQUIRE(k.run.records.size() == k.event + 1);
    REQUIRE(SameRecords(k.run.records, sh.b.records, k.event + 1).empty());
    // Every other image copies its SSTs, as one that must outlive the store does.
    const bool link = (&k - sh.Kills().data()) % 2 == 0;
    const ImageStats stats = Build(sh.trace, {k.event, CrashKind::kProcess, {}}, image, link);
    if (!link) CHECK(stats.files_linked == 0);
    linked += stats.files_linked;
    Coverage cov;
    const std::string diff = CompareStores(image, k.run.db, nullptr, &cov);
    INFO(diff << Describe(cov));
    CHECK(diff.empty());
    CHECK(cov.files > 0);
    CHECK(cov.wals > 0);
    Add(&total, cov);
    kinds.insert(k.kind);
  }
  INFO(Describe(total));
  CHECK(kinds.size() == kEventKindCount - 1);
  CHECK(total.ssts_read > 0);
  CHECK(total.manifests > 0);
  CHECK(total.wal_bytes > 0);
  CHECK(linked > 0);  // complete SSTs are hard-linked
}

TEST_CASE("a power-cut image equals today's cut of a writer that really died at that event",
          "[crash-image]") {
  Shared& sh = TheShared();
  TempDir tmp;
  Coverage total;
  uint64_t dropped = 0, truncated = 0, states = 0;
  for (const Kill& k : sh.Kills()) {
    const std::string dir = tmp.path() + "/" + std::to_string(&k - sh.Kills().data());
    const std::string process = dir + "-process";
    Build(sh.trace, {k.event, CrashKind::kProcess, {}}, process);
    Replay at;
    REQUIRE(sh.trace.ReplayAt(k.event, &at).ok());
    for (const CutCase& c : kCuts) {
      const std::string tag = dir + "-" + CutModeName(c.mode) + "-" + std::to_string(c.seed);
      const CrashState state{k.event, CrashKind::kPowerCut, FatesFor(at, c.mode, c.seed)};
      INFO(Name(k) << " " << CutModeName(c.mode) << " seed " << c.seed << ": "
                   << CrashStateName(state));
      const std::string image = tag + "-image";
      Build(sh.trace, state, image);
      const CutStats cut = CutCopy(k.run.db, k.run.ledger, tag, c.mode, c.seed);
      dropped += cut.bytes_dropped;
      truncated += cut.files_truncated + cut.files_removed + cut.files_restored;
      const Layout layout{process, k.run.db};
      Coverage cov;
      const std::string diff = CompareStores(image, tag + "/db", &layout, &cov);
      INFO(diff << Describe(cov));
      CHECK(diff.empty());
      CHECK(cov.files > 0);
      Add(&total, cov);
      states++;
    }
  }
  INFO(Describe(total));
  CHECK(states == sh.Kills().size() * kCuts.size());
  CHECK(total.wals > 0);
  CHECK(total.ssts_read > 0);
  CHECK(total.manifests > 0);
  CHECK(dropped > 0);    // the cuts really lost bytes
  CHECK(truncated > 0);  // and changed files
}

// ---------------------------------------------------------------------------------------
// Saves: bytes overwritten or truncated after an event come back from the ledger's saves.

namespace {

// A writer that drives the ledger file system directly: synced bytes, then truncated by a
// reopen with O_TRUNC and rewritten, overwritten in place through a random-RW file (synced
// and not), truncated through a handle, with a create, a rename and a delete around them.
void RunSaveScript(const std::string& dir, CrashPoint crash_at, WriterRun* run) {
  run->dir = dir;
  run->db = dir + "/db";
  run->ledger = dir + "/ledger";
  fs::create_directories(run->db);
  RunChildExpectingSigkill([&] {
    LedgerOptions lo;
    lo.ledger_dir = run->ledger;
    lo.db_dir = run->db;
    lo.crash_at = crash_at;
    Status st;
    auto fs = NewLedgerFileSystem(rocksdb::FileSystem::Default(), lo, &st);
    if (!fs || !MarkWritingStarts(fs.get()).ok()) ::_exit(2);
    rocksdb::IOOptions io;
    auto must = [](const rocksdb::IOStatus& s) {
      if (s.ok()) return;
      std::fprintf(stderr, "save script: %s\n", s.ToString().c_str());
      ::_exit(4);
    };
    const std::string data = run->db + "/data";
    std::unique_ptr<rocksdb::FSWritableFile> f, g, f2;
    std::unique_ptr<rocksdb::FSDirectory> d;
    must(fs->NewDirectory(run->db, io, &d, nullptr));
    must(fs->NewWritableFile(data, {}, &f, nullptr));
    must(f->Append(Pattern(8000, 1), io, nullptr));
    must(f->Sync(io, nullptr));
    must(f->Append(Pattern(3000, 2), io, nullptr));  // unsynced
    must(d->FsyncWithDirOptions(io, nullptr, {}));
    must(fs->NewWritableFile(run->db + "/other", {}, &g, nullptr));
    must(g->Append(Pattern(5000, 5), io, nullptr));
    must(g->Sync(io, nullptr));
    must(g->Close(io, nullptr));
    must(fs->RenameFile(run->db + "/other", run->db + "/renamed", io, nullptr));
    // The same name opened for writing again: O_TRUNC cuts the inode (its 11000 bytes saved).
    must(fs->NewWritableFile(data, {}, &f2, nullptr));
    must(f2->Append(Pattern(5000, 3), io, nullptr));
    must(f2->Sync(io, nullptr));
    std::unique_ptr<rocksdb::FSRandomRWFile> rw;
    must(fs->NewRandomRWFile(data, {}, &rw, nullptr));
    must(rw->Write(1000, Pattern(500, 4), io, nullptr));
    must(rw->Sync(io, nullptr));
    must(rw->Write(3000, Pattern(700, 6), io, nullptr));   // overwrites synced bytes, unsynced
    must(rw->Write(4800, Pattern(1000, 7), io, nullptr));  // and past the end
    must(f2->Truncate(4000, io, nullptr));                 // unsynced truncation
    must(d->FsyncWithDirOptions(io, nullptr, {}));
    must(fs->DeleteFile(run->db + "/renamed", io, nullptr));
    ::kill(::getpid(), SIGKILL);
  });
  Status s = ReadLedger(run->ledger, &run->records);
  INFO(s.message());
  REQUIRE(s.ok());
}

uint32_t IdOf(const std::vector<LedgerRecord>& records, const std::string& name) {
  for (const LedgerRecord& r : records) {
    if (r.kind == RecordKind::kCreate && r.name == name) return r.file_id;
  }
  FAIL("no create of " << name);
  return 0;
}

uint64_t FirstOrdinal(const std::vector<LedgerRecord>& records, RecordKind kind, uint32_t id,
                      uint64_t after = 0) {
  for (const LedgerRecord& r : records) {
    if (r.kind == kind && r.file_id == id && r.ordinal >= after) return r.ordinal;
  }
  FAIL("no " << RecordKindName(kind) << " of file " << id);
  return 0;
}

}  // namespace

TEST_CASE("saves give an earlier image the bytes later writes overwrote or truncated",
          "[crash-image][saves]") {
  TempDir tmp;
  WriterRun b;
  RunSaveScript(tmp.path() + "/b", {}, &b);
  Trace trace;
  Status s = Trace::Load(b.ledger, b.db, &trace);
  INFO(s.message());
  REQUIRE(s.ok());
  const uint32_t data = IdOf(b.records, "data");
  const uint32_t other = IdOf(b.records, "other");
  const std::string p1 = Pattern(8000, 1), p2 = Pattern(3000, 2), p3 = Pattern(5000, 3);
  const std::string p5 = Pattern(5000, 5);

  // Before the O_TRUNC reopen: the synced bytes and the unsynced ones, though the file now
  // holds other bytes entirely.
  const uint64_t first_save = FirstOrdinal(b.records, RecordKind::kSave, data);
  const uint64_t before = first_save - 1;
  REQUIRE(b.records[before].kind == RecordKind::kRename);
  {
    const std::string img = tmp.path() + "/before-process";
    Build(trace, {before, CrashKind::kProcess, {}}, img);
    CHECK(ReadFile(img + "/data") == p1 + p2);
    CHECK(ReadFile(img + "/renamed") == p5);
    CHECK(!fs::exists(img + "/other"));
    std::string bytes;
    REQUIRE(trace.ReadAt(data, before, 0, 11000, &bytes).ok());
    CHECK(bytes == p1 + p2);
    // A power cut there: the synced prefix only; the create and the rename no directory
    // fsync covered are undone. Keeping the unsynced tail gives it back.
    const std::string drop = tmp.path() + "/before-drop";
    Build(trace, {before, CrashKind::kPowerCut, {}}, drop);
    CHECK(ReadFile(drop + "/data") == p1);
    CHECK(!fs::exists(drop + "/other"));
    CHECK(!fs::exists(drop + "/renamed"));
    const std::string keep = tmp.path() + "/before-keep";
    Build(trace, {before, CrashKind::kPowerCut, {{data, {FileFate::Kind::kKeep, 0, 0}}}}, keep);
    CHECK(ReadFile(keep + "/data") == p1 + p2);
    const std::string torn = tmp.path() + "/before-torn";
    Build(trace, {before, CrashKind::kPowerCut, {{data, {FileFate::Kind::kKeepTo, 9000, 0}}}},
          torn);
    CHECK(ReadFile(torn + "/data") == p1 + p2.substr(0, 1000));
  }
  // At the save itself: the truncation has not happened yet.
  {
    const std::string img = tmp.path() + "/at-save";
    Build(trace, {first_save, CrashKind::kProcess, {}}, img);
    CHECK(ReadFile(img + "/data") == p1 + p2);
  }
  // After the rewrite was synced: the new bytes, durable; the old ones gone for good.
  const uint64_t rewritten = FirstOrdinal(b.records, RecordKind::kSync, data, first_save);
  {
    const std::string img = tmp.path() + "/rewritten-process";
    Build(trace, {rewritten, CrashKind::kProcess, {}}, img);
    CHECK(ReadFile(img + "/data") == p3);
    const std::string drop = tmp.path() + "/rewritten-drop";
    Build(trace, {rewritten, CrashKind::kPowerCut, {}}, drop);
    CHECK(ReadFile(drop + "/data") == p3);
  }
  // Right after the unsynced truncation: the process image holds what the writer saw; the
  // drop cut the durable bytes (the synced overwrite in, the unsynced one out, the
  // truncation undone).
  const uint64_t truncated = FirstOrdinal(b.records, RecordKind::kTruncate, data, rewritten);
  {
    std::string seen = p3;
    seen.replace(1000, 500, Pattern(500, 4));
    std::string durable = seen;
    seen.replace(3000, 700, Pattern(700, 6));
    seen = seen.substr(0, 4000);
    const std::string img = tmp.path() + "/truncated-process";
    Build(trace, {truncated, CrashKind::kProcess, {}}, img);
    CHECK(ReadFile(img + "/data") == seen);
    const std::string drop = tmp.path() + "/truncated-drop";
    Build(trace, {truncated, CrashKind::kPowerCut, {}}, drop);
    CHECK(ReadFile(drop + "/data") == durable);
  }
  CHECK(other != data);

  // And every event of the script, against a writer really killed right after it.
  LedgerSummary summary;
  REQUIRE(SummarizeLedger(b.ledger, &summary).ok());
  const uint64_t events = summary.count(EventKind::kAnyEvent);
  REQUIRE(events > 20);
  uint64_t compared = 0, differing_cuts = 0;
  for (uint64_t k = 1; k <= events; ++k) {
    const uint64_t e = OrdinalOfNth(b.records, EventKind::kAnyEvent, k);
    INFO("event:" << k << " = " << DescribeRecord(b.records[e]));
    const std::string dir = tmp.path() + "/k" + std::to_string(k);
    WriterRun kill;
    RunSaveScript(dir, {EventKind::kAnyEvent, k}, &kill);
    REQUIRE(kill.records.size() == e + 1);
    REQUIRE(SameRecords(kill.records, b.records, e + 1).empty());
    Build(trace, {e, CrashKind::kProcess, {}}, dir + "/process");
    Coverage cov;
    std::string diff = CompareStores(dir + "/process", kill.db, nullptr, &cov);
    INFO(diff);
    CHECK(diff.empty());
    Replay at;
    REQUIRE(trace.ReplayAt(e, &at).ok());
    for (const CutCase& c : kCuts) {
      const std::string tag = dir + "/" + CutModeName(c.mode) + "-" + std::to_string(c.seed);
      const CrashState state{e, CrashKind::kPowerCut, FatesFor(at, c.mode, c.seed)};
      INFO(CrashStateName(state));
      Build(trace, state, tag + "-image");
      CutCopy(kill.db, kill.ledger, tag, c.mode, c.seed);
      diff = CompareStores(tag + "-image", tag + "/db", nullptr, &cov);
      INFO(diff);
      CHECK(diff.empty());
      Coverage ignored;
      differing_cuts += !CompareStores(tag + "/db", kill.db, nullptr, &ignored).empty();
    }
    compared += cov.files;
  }
  CHECK(compared > 0);
  CHECK(differing_cuts > 0);  // the cuts compared really changed the store
}

// ---------------------------------------------------------------------------------------

TEST_CASE("crash state names parse back; bad names are BadInput", "[crash-image][names]") {
  const std::vector<CrashState> states = {
      {0, CrashKind::kProcess, {}},
      {17, CrashKind::kProcess, {}},
      {~uint64_t{0}, CrashKind::kProcess, {}},
      {5, CrashKind::kPowerCut, {}},
      {1234,
       CrashKind::kPowerCut,
       {{3, {FileFate::Kind::kKeep, 0, 0}},
        {5, {FileFate::Kind::kKeepTo, 4096, 0}},
        {7, {FileFate::Kind::kPages, 0, 99}},
        {9, {FileFate::Kind::kLose, 0, 0}},
        {UINT32_MAX, {FileFate::Kind::kPages, 0, ~uint64_t{0}}}}},
  };
  for (const CrashState& state : states) {
    const std::string name = CrashStateName(state);
    INFO(name);
    CrashState parsed{999, CrashKind::kPowerCut, {{1, {FileFate::Kind::kKeep, 0, 0}}}};
    Status s = ParseCrashState(name, &parsed);
    INFO(s.message());
    REQUIRE(s.ok());
    CHECK(parsed == state);
    CHECK(CrashStateName(parsed) == name);
  }
  CHECK(CrashStateName(states[1]) == "process-crash@17");
  CHECK(CrashStateName(states[3]) == "power-cut@5");
  CHECK(CrashStateName(states[4]).rfind("power-cut@1234:3=keep,5=to-4096,7=pages-99,9=lose,", 0) ==
        0);

  for (const std::string bad : {"",
                                "process-crash",
                                "process-crash@",
                                "process-crash@x",
                                "process-crash@1 ",
                                " process-crash@1",
                                "process-crash@-1",
                                "process-crash@1:3=keep",
                                "crash@1",
                                "power-cut@",
                                "power-cut@1:",
                                "power-cut@1:3",
                                "power-cut@1:3=",
                                "power-cut@1:=keep",
                                "power-cut@1:3=keeps",
                                "power-cut@1:3=to-",
                                "power-cut@1:3=to-x",
                                "power-cut@1:3=pages-",
                                "power-cut@1:a=keep",
                                "power-cut@1:3=keep,",
                                "power-cut@1:3=keep,,5=keep",
                                "power-cut@1:4294967296=keep",
                                "power-cut@18446744073709551616",
                                "power-cut@1:3=to-99999999999999999999",
                                "power-cut@1@2",
                                "Power-cut@1"}) {
    INFO("'" << bad << "'");
    CrashState parsed{42, CrashKind::kProcess, {}};
    Status s = ParseCrashState(bad, &parsed);
    CHECK(s.code() == Status::Code::kBadInput);
    CHECK(s.message().find(bad) != std::string::npos);
    CHECK(parsed == CrashState{42, CrashKind::kProcess, {}});  // untouched
  }
}

// ---------------------------------------------------------------------------------------

namespace {

// A WAL written by RocksDB, one Put per write batch: the WAL's path and its size after each
// Put (each one reaches the file before Put returns).
struct WalRun {
  std::string path;
  std::vector<uint64_t> sizes;
};

WalRun WriteWal(const std::string& db, const std::vector<size_t>& value_sizes) {
  const std::string out = InChild([&] {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = 64 << 20;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, db, &raw);
    if (!s.ok()) return "open: " + s.ToString();
    std::unique_ptr<rocksdb::LogFile> wal;
    s = raw->GetCurrentWalFile(&wal);
    if (!s.ok()) return "wal: " + s.ToString();
    std::string result = db + wal->PathName() + "\n";
    for (size_t i = 0; i < value_sizes.size(); ++i) {
      s = raw->Put(rocksdb::WriteOptions(), Key(static_cast<int>(i)),
                   Pattern(value_sizes[i], static_cast<uint8_t>(i)));
      if (!s.ok()) return "put: " + s.ToString();
      struct stat st;
      if (::stat((db + wal->PathName()).c_str(), &st) != 0) return std::string("stat failed");
      result += std::to_string(st.st_size) + "\n";
    }
    return result;  // exits without closing: the WAL as the last Put left it
  });
  WalRun run;
  std::istringstream in(out);
  std::getline(in, run.path);
  INFO(out.substr(0, 200));
  REQUIRE(run.path.size() > db.size());
  for (std::string line; std::getline(in, line);) run.sizes.push_back(std::stoull(line));
  REQUIRE(run.sizes.size() == value_sizes.size());
  return run;
}

void CheckWalRecordEnds(const WalRun& run, const std::string& bytes) {
  const std::vector<uint64_t> ends = WalRecordEnds(bytes);
  CHECK(ends.size() == run.sizes.size());  // one logical record per write batch
  for (size_t i = 0; i < ends.size(); ++i) {
    INFO("record " << i);
    CHECK(ends[i] <= bytes.size());
    CHECK(ends[i] > 0);
    if (i > 0) CHECK(ends[i] > ends[i - 1]);
  }
  CHECK(ends == run.sizes);  // exactly where each Put left the file
}

}  // namespace

TEST_CASE("WAL record ends are where each write batch ends, within a block and across blocks",
          "[crash-image][wal]") {
  TempDir tmp;
  SECTION("a WAL inside one 32 KiB block") {
    const WalRun run = WriteWal(tmp.path() + "/small", std::vector<size_t>(40, 300));
    const std::string bytes = ReadFile(run.path);
    REQUIRE(bytes.size() == run.sizes.back());
    REQUIRE(bytes.size() < kWalBlockBytes);
    CheckWalRecordEnds(run, bytes);
    // A prefix cut inside a record ends at the record before it.
    const std::vector<uint64_t> cut = WalRecordEnds(bytes.substr(0, run.sizes[10] + 5));
    CHECK(cut == std::vector<uint64_t>(run.sizes.begin(), run.sizes.begin() + 11));
  }
  SECTION("a WAL of several blocks: fragmented records and a block trailer") {
    // 32732 bytes of value make the first record end 3 bytes before the block's end (7-byte
    // header, 12-byte batch header, type, key and value lengths, 9-byte key), so the next
    // record starts after a zero trailer; values over 32 KiB are cut into fragments.
    const std::vector<size_t> sizes = {32732, 100, 40000, 5, 70000, 33000, 1, 100000, 20};
    const WalRun run = WriteWal(tmp.path() + "/large", sizes);
    const std::string bytes = ReadFile(run.path);
    REQUIRE(bytes.size() == run.sizes.back());
    REQUIRE(bytes.size() > 4 * kWalBlockBytes);
    REQUIRE(run.sizes[0] == kWalBlockBytes - 3);  // the trailer case really arises
    CheckWalRecordEnds(run, bytes);
    // Preallocated zeros after the last record end the scan.
    CHECK(WalRecordEnds(bytes + std::string(5000, '\0')) == run.sizes);
  }
}

// ---------------------------------------------------------------------------------------

TEST_CASE("the crash-state plan of a real trace is deterministic, bounded and distinct",
          "[crash-image][plan]") {
  Shared& sh = TheShared();
  auto plan = [&](const ExploreLimits& limits, PlanCounts* counts) {
    std::vector<PlannedState> states;
    Status s = PlanCrashStates(sh.trace, limits, &states, counts);
    INFO(s.message());
    REQUIRE(s.ok());
    return states;
  };
  auto same = [](const std::vector<PlannedState>& a, const std::vector<PlannedState>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!(a[i].state == b[i].state) || a[i].key != b[i].key ||
          a[i].duplicates.size() != b[i].duplicates.size()) {
        return false;
      }
      for (size_t j = 0; j < a[i].duplicates.size(); ++j) {
        if (!(a[i].duplicates[j] == b[i].duplicates[j])) return false;
      }
    }
    return true;
  };

  ExploreLimits limits;
  limits.seed = 7;
  limits.max_states = 60;
  PlanCounts c1, c2;
  const auto first = plan(limits, &c1);
  const auto again = plan(limits, &c2);
  CHECK(same(first, again));
  CHECK(c1.points == c2.points);
  CHECK(c1.candidates == c2.candidates);
  CHECK(c1.distinct == c2.distinct);
  CHECK(first.size() == limits.max_states);
  CHECK(c1.distinct <= c1.candidates);
  CHECK(c1.points > 0);

  limits.max_states = 0;
  PlanCounts all_counts;
  const auto all = plan(limits, &all_counts);
  CHECK(all.size() == all_counts.distinct);
  CHECK(all_counts.distinct <= all_counts.candidates);
  CHECK(all_counts.points == c1.points);
  std::set<std::string> keys;
  std::set<CrashKind> kinds;
  uint64_t variants = 0, duplicates = 0;
  for (const PlannedState& p : all) {
    keys.insert(p.key);
    kinds.insert(p.state.kind);
    variants += !p.state.fates.empty();
    duplicates += p.duplicates.size();
    CHECK(p.state.event > sh.trace.writing_start());
    CHECK(p.state.event < sh.trace.records().size());
  }
  CHECK(keys.size() == all.size());  // no image planned twice
  CHECK(kinds == std::set<CrashKind>{CrashKind::kProcess, CrashKind::kPowerCut});
  CHECK(variants > 0);
  CHECK(all.size() + duplicates == all_counts.candidates);
  // A limited plan takes its states from the same distinct set.
  std::set<std::string> limited;
  for (const PlannedState& p : first) limited.insert(p.key);
  CHECK(limited.size() == first.size());
  for (const std::string& k : limited) CHECK(keys.count(k) == 1);

  // Each key is the state's content key, and another seed plans other variants.
  for (const PlannedState& p : first) {
    Replay at;
    REQUIRE(sh.trace.ReplayAt(p.state.event, &at).ok());
    CHECK(sh.trace.ContentKey(p.state, at) == p.key);
  }
  limits.seed = 8;
  limits.max_states = 60;
  PlanCounts c3;
  CHECK(!same(first, plan(limits, &c3)));

  // Equal keys, equal images: a state planned once for others whose images are the same
  // bytes (one trace, so byte for byte: no per-run bytes to mask), of each kind.
  TempDir tmp;
  std::map<CrashKind, uint64_t> checked;
  for (const PlannedState& p : all) {
    for (const CrashState& d : p.duplicates) {
      if (checked[d.kind] >= 4) continue;
      const std::string dir =
          tmp.path() + "/" + std::to_string(checked[d.kind]++) + CrashKindName(d.kind);
      Build(sh.trace, p.state, dir + "-owner");
      Build(sh.trace, d, dir + "-duplicate");
      Coverage cov;
      const std::string diff = CompareStores(dir + "-owner", dir + "-duplicate", nullptr, &cov);
      INFO(CrashStateName(p.state) << " and " << CrashStateName(d) << ": " << diff);
      CHECK(diff.empty());
      Replay at;
      REQUIRE(sh.trace.ReplayAt(d.event, &at).ok());
      CHECK(sh.trace.ContentKey(d, at) == p.key);
    }
  }
  CHECK(checked[CrashKind::kProcess] > 0);
  CHECK(checked[CrashKind::kPowerCut] > 0);
}
