// Tests of bit rot (faults/bitrot.h) on real RocksDB stores under /tmp: a store is built with
// RocksDB itself (an SST from a flush, a WAL with records after it, a MANIFEST, CURRENT and an
// OPTIONS file), copied, and damaged; each damage is checked against the pristine copy byte for
// byte and against the region it promised, and a damaged SST data block must be reported by
// RocksDB as corruption, never read back as different data.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>

#include "faults/bitrot.h"
#include "faults/wal_records.h"
#include "tests/unit_support.h"

namespace {

namespace fs = std::filesystem;
using powercut::Status;
using namespace powercut::faults;
using unit::Pattern;
using unit::ReadFile;

using unit::TempDir;

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%06d", i);
  return buf;
}

// A value that differs from key to key and compresses only a little.
std::string Value(int i) {
  std::string v(80 + i % 50, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i + 1);
  for (char& c : v) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>('a' + x % 26);
  }
  return v;
}

constexpr int kFlushedKeys = 3000;
constexpr int kWalKeys = 600;

// The options of the test stores: RocksDB's defaults (snappy, format_version 5, XXH3 block
// checksums) with a Bloom filter, so that SSTs have a filter block too.
rocksdb::Options StoreOptions() {
  rocksdb::Options options;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// A store with keys [0, kFlushedKeys) flushed into an SST and keys
// [kFlushedKeys, kFlushedKeys + kWalKeys) only in the WAL, one Put per WAL record.
std::string MakeStore(const std::string& path, bool wal_compression) {
  rocksdb::Options options = StoreOptions();
  options.create_if_missing = true;
  if (wal_compression) options.wal_compression = rocksdb::kZSTD;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(options, path, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (int i = 0; i < kFlushedKeys; ++i) {
    REQUIRE(db->Put(rocksdb::WriteOptions(), Key(i), Value(i)).ok());
  }
  REQUIRE(db->Flush(rocksdb::FlushOptions()).ok());
  for (int i = kFlushedKeys; i < kFlushedKeys + kWalKeys; ++i) {
    REQUIRE(db->Put(rocksdb::WriteOptions(), Key(i), Value(i)).ok());
  }
  REQUIRE(db->Close().ok());
  return path;
}

// The pristine store most tests copy.
const std::string& PristineStore() {
  static TempDir dir;  // kept for the whole test run, removed at exit
  static const std::string db = [] {
    const std::string path = dir.path() + "/db";
    MakeStore(path, false);
    return path;
  }();
  return db;
}

// A fresh copy of the pristine store in `dir`.
std::string CopyStore(const TempDir& dir, const std::string& name = "db",
                      const std::string& from = PristineStore()) {
  const std::string to = dir.path() + "/" + name;
  fs::copy(from, to, fs::copy_options::recursive);
  return to;
}

uint64_t AllDurable(const std::string&) { return std::numeric_limits<uint64_t>::max(); }

RotResult Apply(const std::string& db, RotTarget target, uint64_t seed,
                const std::function<uint64_t(const std::string&)>& durable = AllDurable) {
  RotResult result;
  const Status s = ApplyBitrot(db, target, seed, durable, &result);
  INFO(s.message());
  REQUIRE(s.ok());
  return result;
}

std::shared_ptr<const rocksdb::TableProperties> PropertiesOf(const std::string& path) {
  rocksdb::Options options;
  rocksdb::SstFileReader reader(options);
  REQUIRE(reader.Open(path).ok());
  return reader.GetTableProperties();
}

// The physical record headers and block trailers of a log file: the bytes bit rot never picks
// in a WAL or MANIFEST. An oracle kept apart from faults/bitrot.cc on purpose.
std::vector<std::pair<uint64_t, uint64_t>> LogOverhead(const std::string& bytes) {
  std::vector<std::pair<uint64_t, uint64_t>> overhead;
  uint64_t pos = 0;
  while (pos + 7 <= bytes.size()) {
    const uint64_t left = kWalBlockBytes - pos % kWalBlockBytes;
    if (left < 7) {
      overhead.push_back({pos, pos + left});
      pos += left;
      continue;
    }
    const auto type = static_cast<unsigned char>(bytes[pos + 6]);
    if (type == 0) break;
    const uint64_t header = type >= 5 && type <= 8 ? 11 : 7;  // 9: the compression type
    const uint64_t length = static_cast<unsigned char>(bytes[pos + 4]) |
                            static_cast<uint64_t>(static_cast<unsigned char>(bytes[pos + 5])) << 8;
    overhead.push_back({pos, pos + header});
    pos += header + length;
  }
  return overhead;
}

// Checks that `r` lies where `target` promised, against the pristine file's bytes.
void CheckRegion(RotTarget target, const std::string& db, const RotResult& r,
                 const std::string& original) {
  INFO("region: " << r.region);
  REQUIRE(r.offset < original.size());
  CHECK(r.record_begin <= r.offset);
  CHECK(r.offset < r.record_end);
  CHECK(r.record_end <= original.size());
  CHECK(r.region.find(" of " + r.file) != std::string::npos);
  switch (target) {
    case RotTarget::kSstData: {
      REQUIRE(r.file.ends_with(".sst"));
      const auto props = PropertiesOf(db + "/" + r.file);
      CHECK(r.offset < props->data_size);
      CHECK(r.record_end <= props->data_size);
      CHECK(r.record_index < props->num_data_blocks);
      CHECK(r.region.starts_with("data block " + std::to_string(r.record_index) + " "));
      break;
    }
    case RotTarget::kSstMeta: {
      REQUIRE(r.file.ends_with(".sst"));
      const auto props = PropertiesOf(db + "/" + r.file);
      CHECK(r.offset >= props->data_size);
      CHECK(r.record_begin >= props->data_size);
      const bool named = r.region.starts_with("index block") ||
                         r.region.starts_with("filter block") ||
                         r.region.starts_with("properties block") ||
                         r.region.starts_with("metaindex block") || r.region.starts_with("footer");
      CHECK(named);
      if (r.region.starts_with("footer")) {
        // The footer's last 53 bytes: checksum type, handles, (zero padding), version, magic.
        const uint64_t footer = original.size() - 53;
        CHECK(r.record_begin == footer);
        CHECK(r.offset >= footer);
        // Never the padding: the handles take at most 4 varints, padded to 40 bytes.
        if (r.offset > footer && r.offset < footer + 41) CHECK(original[r.offset] != 0);
      }
      if (r.region.starts_with("filter block")) {
        CHECK(r.record_end - r.record_begin == props->filter_size + 5);
      }
      break;
    }
    case RotTarget::kWalRecord:
    case RotTarget::kManifestRecord: {
      if (target == RotTarget::kWalRecord) {
        CHECK(r.file.ends_with(".log"));
        CHECK(r.region.starts_with("WAL record " + std::to_string(r.record_index) + " "));
      } else {
        std::string current = ReadFile(db + "/CURRENT");
        REQUIRE(!current.empty());
        current.pop_back();
        CHECK(r.file == current);
        CHECK(r.region.starts_with("MANIFEST record " + std::to_string(r.record_index) + " "));
      }
      const std::vector<uint64_t> ends = WalRecordEnds(original);
      REQUIRE(r.record_index < ends.size());
      CHECK(ends[r.record_index] == r.record_end);
      if (r.record_index > 0) CHECK(ends[r.record_index - 1] <= r.record_begin);
      for (const auto& [begin, end] : LogOverhead(original)) {
        CHECK_FALSE((r.offset >= begin && r.offset < end));
      }
      break;
    }
    case RotTarget::kOptions: {
      CHECK(r.file.starts_with("OPTIONS-"));
      for (const auto& e : fs::directory_iterator(db)) {
        const std::string name = e.path().filename().string();
        if (name.starts_with("OPTIONS-") && name.find('.') == std::string::npos) {
          CHECK(name <= r.file);  // the latest (same width numbers sort as text)
        }
      }
      const uint64_t line_begin = original.rfind('\n', r.offset) + 1;  // npos + 1 == 0
      const uint64_t line_end = original.find('\n', r.offset);
      CHECK(r.record_begin == line_begin);
      CHECK(r.record_end == line_end);
      CHECK(original[r.offset] != '\n');
      const std::string line = original.substr(line_begin, line_end - line_begin);
      const size_t first = line.find_first_not_of(" \t");
      REQUIRE(first != std::string::npos);
      CHECK(line[first] != '#');
      break;
    }
    case RotTarget::kCurrent:
      CHECK(r.file == "CURRENT");
      CHECK(r.record_begin == 0);
      CHECK(r.record_end == original.size());
      break;
  }
}

const RotTarget kAllTargets[] = {RotTarget::kSstData,   RotTarget::kSstMeta,
                                 RotTarget::kWalRecord, RotTarget::kManifestRecord,
                                 RotTarget::kOptions,   RotTarget::kCurrent};

}  // namespace

TEST_CASE("bitrot target names parse back; other text is bad input", "[bitrot]") {
  for (RotTarget t : kAllTargets) {
    RotTarget back = RotTarget::kCurrent;
    REQUIRE(ParseRotTarget(RotTargetName(t), &back).ok());
    CHECK(back == t);
  }
  for (const char* bad : {"", "sst", "SST-DATA", "wal", "manifest", "sst-data "}) {
    RotTarget t = RotTarget::kSstData;
    const Status s = ParseRotTarget(bad, &t);
    CHECK(s.code() == Status::Code::kBadInput);
    CHECK(s.message().find(std::string("'") + bad + "'") != std::string::npos);
    for (RotTarget choice : kAllTargets) {
      CHECK(s.message().find(RotTargetName(choice)) != std::string::npos);
    }
  }
}

TEST_CASE("bitrot flips 1-3 bits of one byte in the promised region, the same for the same seed",
          "[bitrot]") {
  for (RotTarget target : kAllTargets) {
    std::set<std::pair<std::string, uint64_t>> places;
    for (uint64_t seed : {1, 2, 3, 7, 42, 20261125}) {
      INFO("target " << RotTargetName(target) << ", seed " << seed);
      TempDir tmp;
      const std::string a = CopyStore(tmp, "a");
      const std::string b = CopyStore(tmp, "b");
      const RotResult ra = Apply(a, target, seed);
      const RotResult rb = Apply(b, target, seed);
      REQUIRE(ra.applied);
      REQUIRE(rb.applied);
      CHECK(ra.file == rb.file);
      CHECK(ra.offset == rb.offset);
      CHECK(ra.mask == rb.mask);
      CHECK(ra.region == rb.region);
      CHECK(ra.record_index == rb.record_index);
      places.insert({ra.file, ra.offset});

      const int bits = __builtin_popcount(ra.mask);
      CHECK(bits >= 1);
      CHECK(bits <= 3);
      const std::string original = ReadFile(PristineStore() + "/" + ra.file);
      const std::string damaged = ReadFile(a + "/" + ra.file);
      REQUIRE(damaged.size() == original.size());
      REQUIRE(ra.offset < original.size());
      CHECK(static_cast<uint8_t>(original[ra.offset]) == ra.before);
      CHECK((static_cast<uint8_t>(original[ra.offset]) ^
             static_cast<uint8_t>(damaged[ra.offset])) == ra.mask);
      std::string repaired = damaged;
      repaired[ra.offset] = original[ra.offset];
      CHECK(repaired == original);  // no other byte changed
      CHECK(ReadFile(b + "/" + rb.file) == damaged);
      CheckRegion(target, PristineStore(), ra, original);
    }
    INFO("target " << RotTargetName(target));
    if (target != RotTarget::kCurrent) CHECK(places.size() > 1);  // the seed matters
  }
}

TEST_CASE("bitrot damages only durable bytes and skips files with none", "[bitrot]") {
  SECTION("a limit on every file keeps the byte below it") {
    for (RotTarget target : {RotTarget::kSstData, RotTarget::kWalRecord, RotTarget::kOptions}) {
      for (uint64_t seed : {5, 6, 8}) {
        INFO("target " << RotTargetName(target) << ", seed " << seed);
        TempDir tmp;
        const std::string db = CopyStore(tmp);
        std::map<std::string, uint64_t> limits;
        for (const auto& e : fs::directory_iterator(db)) {
          limits[e.path().filename().string()] = fs::file_size(e.path()) / 2;
        }
        const RotResult r = Apply(db, target, seed, [&](const std::string& name) {
          return limits.count(name) ? limits.at(name) : 0;
        });
        REQUIRE(r.applied);
        CHECK(r.offset < limits.at(r.file));
      }
    }
  }
  SECTION("nothing durable: nothing applied, not an error") {
    for (RotTarget target : kAllTargets) {
      TempDir tmp;
      const std::string db = CopyStore(tmp);
      const RotResult r = Apply(db, target, 1, [](const std::string&) { return uint64_t{0}; });
      CHECK_FALSE(r.applied);
    }
  }
  SECTION("an empty directory: nothing applied") {
    TempDir tmp;
    for (RotTarget target : kAllTargets) CHECK_FALSE(Apply(tmp.path(), target, 1).applied);
  }
  SECTION("a missing directory is an I/O error") {
    RotResult r;
    CHECK(ApplyBitrot("/nonexistent/powercut-bitrot", RotTarget::kCurrent, 1, AllDurable, &r)
              .code() == Status::Code::kIoError);
  }
}

TEST_CASE("sst-meta reaches the footer, index, filter, properties and metaindex over seeds",
          "[bitrot]") {
  std::set<std::string> kinds;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    TempDir tmp;
    const std::string db = CopyStore(tmp);
    const RotResult r = Apply(db, RotTarget::kSstMeta, seed);
    REQUIRE(r.applied);
    kinds.insert(r.region.substr(0, r.region.find(" (")));
  }
  CHECK(kinds.count("footer") == 1);
  CHECK(kinds.count("index block") == 1);
  CHECK(kinds.count("properties block") == 1);
  CHECK(kinds.count("metaindex block") == 1);
  CHECK(kinds.count("filter block") == 1);
}

TEST_CASE("a flipped bit in an SST data block is reported as corruption, never as other data",
          "[bitrot]") {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    TempDir tmp;
    const std::string path = CopyStore(tmp);
    const RotResult r = Apply(path, RotTarget::kSstData, seed);
    REQUIRE(r.applied);
    INFO("damaged " << r.region << " at " << r.offset << " mask " << int(r.mask));

    rocksdb::Options options = StoreOptions();
    options.paranoid_checks = true;
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status open = rocksdb::DB::Open(options, path, &raw);
    if (!open.ok()) {  // refusing to open is detection too; data blocks are read lazily though
      CHECK(open.IsCorruption());
      continue;
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;

    // A full scan: every key it yields before failing is right; it must fail.
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    int i = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++i) {
      REQUIRE(it->key().ToString() == Key(i));
      REQUIRE(it->value().ToString() == Value(i));
    }
    CHECK(it->status().IsCorruption());
    CHECK(i < kFlushedKeys);

    // Point reads: each is either right or Corruption, and some are Corruption.
    int corrupt = 0;
    for (int k = 0; k < kFlushedKeys + kWalKeys; ++k) {
      std::string value;
      const rocksdb::Status s = db->Get(ro, Key(k), &value);
      if (s.IsCorruption()) {
        ++corrupt;
        CHECK(k < kFlushedKeys);
      } else {
        REQUIRE(s.ok());
        REQUIRE(value == Value(k));
      }
    }
    CHECK(corrupt > 0);
    CHECK(db->VerifyChecksum().IsCorruption());
  }
}

TEST_CASE("a WAL written with wal_compression has its records damaged too", "[bitrot]") {
  TempDir src;
  const std::string pristine = MakeStore(src.path() + "/db", true);
  for (uint64_t seed : {1, 2, 3}) {
    INFO("seed " << seed);
    TempDir tmp;
    const std::string db = CopyStore(tmp, "db", pristine);
    const RotResult r = Apply(db, RotTarget::kWalRecord, seed);
    REQUIRE(r.applied);
    INFO("region " << r.region);
    const std::string original = ReadFile(pristine + "/" + r.file);
    REQUIRE(static_cast<unsigned char>(original[6]) == 9);  // starts with the compression type
    const std::string damaged = ReadFile(db + "/" + r.file);
    CHECK((static_cast<uint8_t>(original[r.offset]) ^ static_cast<uint8_t>(damaged[r.offset])) ==
          r.mask);
    CHECK(r.record_begin <= r.offset);
    CHECK(r.offset < r.record_end);
    for (const auto& [begin, end] : LogOverhead(original)) {
      CHECK_FALSE((r.offset >= begin && r.offset < end));
    }
  }
}
