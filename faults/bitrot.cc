#include "faults/bitrot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>

#include "faults/pwrite_all.h"
#include "faults/wal_records.h"
#include "src/rng.h"

namespace powercut::faults {
namespace {

namespace fs = std::filesystem;

// Bytes that may be damaged, [begin, end).
struct Span {
  uint64_t begin;
  uint64_t end;
};

// One unit a damaged byte is named by (a block, a record, a line), and its damageable bytes.
struct Unit {
  uint64_t index = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
  std::string label;  // "data block 3 (bytes 8121..12170)"; the file's name is added later
  std::vector<Span> spans;
  uint64_t Damageable() const {
    uint64_t n = 0;
    for (const Span& s : spans) n += s.end - s.begin;
    return n;
  }
};

// Keeps only the bytes below `limit` (the durable length) and drops empty spans.
void ClipTo(uint64_t limit, Unit* unit) {
  std::vector<Span> kept;
  for (Span s : unit->spans) {
    s.end = std::min(s.end, limit);
    if (s.begin < s.end) kept.push_back(s);
  }
  unit->spans = std::move(kept);
}

std::string Bytes(uint64_t begin, uint64_t end) {
  return "(bytes " + std::to_string(begin) + ".." + std::to_string(end) + ")";
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError("bitrot: " + what + " " + path + ": " + std::strerror(errno));
}

// Reads bytes [offset, offset + length) of `path`, fewer at its end.
Status ReadRange(const std::string& path, uint64_t offset, uint64_t length, std::string* out) {
  out->clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  out->resize(length);
  uint64_t got = 0;
  while (got < length) {
    const ssize_t n =
        ::pread(fd, out->data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Status s = Errno("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    got += static_cast<uint64_t>(n);
  }
  ::close(fd);
  out->resize(got);
  return Status::Ok();
}

// "<prefix><digits><suffix>", giving the number.
bool NumberedName(std::string_view name, std::string_view prefix, std::string_view suffix,
                  uint64_t* number) {
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return false;
  }
  const std::string_view digits =
      name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *number = n;
  return true;
}

uint32_t Fixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return u[0] | (u[1] << 8) | (u[2] << 16) | (static_cast<uint32_t>(u[3]) << 24);
}

uint64_t Fixed64(const char* p) {
  return Fixed32(p) | (static_cast<uint64_t>(Fixed32(p + 4)) << 32);
}

bool Varint(const char** p, const char* end, uint64_t* value) {
  uint64_t v = 0;
  for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
    const auto byte = static_cast<unsigned char>(*(*p)++);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = v;
      return true;
    }
  }
  return false;
}

// ---- SST files -------------------------------------------------------------------------------

// The SST format's facts this file relies on (table/format.h of RocksDB 7.8): every block is
// followed by a 5-byte trailer (compression type, checksum); the footer of format_version >= 1 is
// the file's last 53 bytes: checksum type, the metaindex and index block handles (varints)
// zero-padded to 40 bytes, format_version (fixed32) and the magic number (fixed64); the legacy
// (format_version 0) footer is 48 bytes: the padded handles and a legacy magic number.
constexpr uint64_t kBlockTrailerBytes = 5;
constexpr uint64_t kBlockBasedMagic = 0x88e241b785f4cff7ull;
constexpr uint64_t kLegacyBlockBasedMagic = 0xdb4775248b80fb57ull;
constexpr uint64_t kFooterBytes = 53;
constexpr uint64_t kLegacyFooterBytes = 48;
constexpr uint64_t kFooterHandleBytes = 40;

// A file system that records the reads of the files it opens while `recording` is set: the
// reads SstFileReader::VerifyChecksum makes without readahead are one per block, so they give
// the data blocks' boundaries as RocksDB's own index names them.
class ReadTracingFs : public rocksdb::FileSystemWrapper {
 public:
  explicit ReadTracingFs(const std::shared_ptr<rocksdb::FileSystem>& base)
      : FileSystemWrapper(base) {}
  const char* Name() const override { return "PowercutReadTracingFs"; }

  rocksdb::IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                        rocksdb::IODebugContext* dbg) override;

  void Record(uint64_t offset, uint64_t length) {
    std::lock_guard<std::mutex> lock(mu_);
    if (recording_) reads_.push_back({offset, offset + length});
  }
  void StartRecording() {
    std::lock_guard<std::mutex> lock(mu_);
    recording_ = true;
  }
  std::vector<Span> reads() {
    std::lock_guard<std::mutex> lock(mu_);
    return reads_;
  }

 private:
  std::mutex mu_;
  bool recording_ = false;
  std::vector<Span> reads_;
};

class TracedFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  TracedFile(std::unique_ptr<rocksdb::FSRandomAccessFile>&& base, ReadTracingFs* fs)
      : FSRandomAccessFileOwnerWrapper(std::move(base)), fs_(fs) {}

  rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                         rocksdb::Slice* result, char* scratch,
                         rocksdb::IODebugContext* dbg) const override {
    rocksdb::IOStatus s = target()->Read(offset, n, options, result, scratch, dbg);
    if (s.ok()) fs_->Record(offset, result->size());
    return s;
  }
  rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                              const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->MultiRead(reqs, num_reqs, options, dbg);
    for (size_t i = 0; s.ok() && i < num_reqs; ++i) {
      if (reqs[i].status.ok()) fs_->Record(reqs[i].offset, reqs[i].result.size());
    }
    return s;
  }

 private:
  ReadTracingFs* fs_;
};

rocksdb::IOStatus ReadTracingFs::NewRandomAccessFile(
    const std::string& f, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSRandomAccessFile>* r, rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSRandomAccessFile> base;
  rocksdb::IOStatus s = target()->NewRandomAccessFile(f, options, &base, dbg);
  if (s.ok()) *r = std::make_unique<TracedFile>(std::move(base), this);
  return s;
}

// What RocksDB's reader says of one SST: its size, where its data blocks end, and the blocks.
struct SstLayout {
  uint64_t file_size = 0;
  uint64_t data_size = 0;
  uint64_t index_partitions = 0;  // 0: one index block
  std::vector<Span> data_blocks;  // empty: the blocks could not be told apart
};

// Opens `path` with rocksdb::SstFileReader. False when RocksDB cannot open it as a table (not
// an SST, or damaged already): then its regions are unknown and it is not a candidate.
bool ReadSstLayout(const std::string& path, bool want_blocks, SstLayout* layout) {
  auto tracing = std::make_shared<ReadTracingFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(tracing);
  rocksdb::Options options;
  options.env = env.get();
  rocksdb::BlockBasedTableOptions table;
  table.max_auto_readahead_size = 0;  // one read per block in VerifyChecksum
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::SstFileReader reader(options);
  if (!reader.Open(path).ok()) return false;
  const auto props = reader.GetTableProperties();
  std::error_code ec;
  layout->file_size = fs::file_size(path, ec);
  if (ec || props == nullptr || props->data_size > layout->file_size) return false;
  layout->data_size = props->data_size;
  layout->index_partitions = props->index_partitions;
  if (!want_blocks) return true;

  tracing->StartRecording();
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.readahead_size = 0;
  ro.fill_cache = false;
  const bool verified = reader.VerifyChecksum(ro).ok();
  std::vector<Span> blocks;
  for (const Span& r : tracing->reads()) {
    if (r.begin < layout->data_size) blocks.push_back(r);
  }
  std::sort(blocks.begin(), blocks.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  // Trust the reads only when they tile the data region exactly, one per data block.
  bool tiled = verified && blocks.size() == props->num_data_blocks;
  uint64_t at = 0;
  for (const Span& b : blocks) {
    tiled = tiled && b.begin == at && b.end > b.begin;
    at = b.end;
  }
  tiled = tiled && at == layout->data_size;
  if (tiled) layout->data_blocks = std::move(blocks);
  return true;
}

std::vector<Unit> SstDataUnits(const SstLayout& layout) {
  std::vector<Unit> units;
  if (layout.data_blocks.empty()) {
    if (layout.data_size > 0) {
      Unit u{0, 0, layout.data_size, "data blocks " + Bytes(0, layout.data_size), {}};
      u.spans.push_back({0, layout.data_size});
      units.push_back(std::move(u));
    }
    return units;
  }
  for (size_t i = 0; i < layout.data_blocks.size(); ++i) {
    const Span& b = layout.data_blocks[i];
    Unit u{i, b.begin, b.end, "data block " + std::to_string(i) + " " + Bytes(b.begin, b.end), {}};
    u.spans.push_back(b);
    units.push_back(std::move(u));
  }
  return units;
}

// Name of a meta block by its metaindex key.
std::string MetaBlockName(const std::string& key) {
  if (key == "rocksdb.properties") return "properties block";
  if (key == "rocksdb.range_del") return "range deletion block";
  if (key == "rocksdb.compression_dict") return "compression dictionary block";
  if (key.starts_with("partitionedfilter.")) return "filter block (top level)";
  if (key.starts_with("fullfilter.") || key.starts_with("filter.")) return "filter block";
  if (key.starts_with("rocksdb.hashindex.")) return "hash index block";
  return "meta block '" + key + "'";
}

// The (key, block handle) entries of an uncompressed block whose entries carry their value
// length (the metaindex block). Empty when the bytes do not parse.
std::vector<std::pair<std::string, Span>> MetaIndexEntries(std::string_view block) {
  std::vector<std::pair<std::string, Span>> entries;
  if (block.size() < 4) return {};
  const uint64_t restarts = Fixed32(block.data() + block.size() - 4) & 0x7fffffffu;
  if ((restarts + 1) * 4 > block.size()) return {};
  const char* p = block.data();
  const char* end = block.data() + block.size() - (restarts + 1) * 4;
  std::string key;
  while (p < end) {
    uint64_t shared = 0, non_shared = 0, value_length = 0;
    if (!Varint(&p, end, &shared) || !Varint(&p, end, &non_shared) ||
        !Varint(&p, end, &value_length) || shared > key.size() ||
        non_shared + value_length > static_cast<uint64_t>(end - p)) {
      return {};
    }
    key.resize(shared);
    key.append(p, non_shared);
    p += non_shared;
    const char* v = p;
    const char* v_end = p + value_length;
    p = v_end;
    uint64_t offset = 0, size = 0;
    if (!Varint(&v, v_end, &offset) || !Varint(&v, v_end, &size)) return {};
    entries.push_back({key, {offset, offset + size + kBlockTrailerBytes}});
  }
  return entries;
}

// The meta region [data_size, file_size) cut into named units: each meta block with its
// trailer, the index and metaindex blocks, the footer (its used bytes only), and whatever lies
// between them (index or filter partitions) as one more unit each.
Status SstMetaUnits(const std::string& path, const SstLayout& layout, std::vector<Unit>* units) {
  const uint64_t lo = layout.data_size;
  const uint64_t hi = layout.file_size;
  if (lo >= hi) return Status::Ok();
  std::string meta;
  Status s = ReadRange(path, lo, hi - lo, &meta);
  if (!s.ok()) return s;
  if (meta.size() != hi - lo) return Status::IoError("bitrot: short read of " + path);
  auto at = [&](uint64_t offset) { return meta.data() + (offset - lo); };

  uint64_t footer_begin = hi;
  uint64_t handles_end = 0;
  Unit footer;
  if (hi - lo >= kFooterBytes && Fixed64(at(hi - 8)) == kBlockBasedMagic) {
    footer_begin = hi - kFooterBytes;
    const char* p = at(footer_begin + 1);
    const char* p_end = p + kFooterHandleBytes;
    uint64_t v = 0;
    for (int i = 0; i < 4 && Varint(&p, p_end, &v); ++i) {
    }
    handles_end = footer_begin + 1 + static_cast<uint64_t>(p - at(footer_begin + 1));
    // Checksum type and handles; format_version and magic. The zero padding is never read.
    footer.spans = {{footer_begin, handles_end}, {footer_begin + 1 + kFooterHandleBytes, hi}};
  } else if (hi - lo >= kLegacyFooterBytes && Fixed64(at(hi - 8)) == kLegacyBlockBasedMagic) {
    footer_begin = hi - kLegacyFooterBytes;
    const char* p = at(footer_begin);
    const char* p_end = p + kFooterHandleBytes;
    uint64_t v = 0;
    for (int i = 0; i < 4 && Varint(&p, p_end, &v); ++i) {
    }
    handles_end = footer_begin + static_cast<uint64_t>(p - at(footer_begin));
    footer.spans = {{footer_begin, handles_end}, {footer_begin + kFooterHandleBytes, hi}};
  } else {
    // Not a footer this file knows: the region is damaged whole, unnamed.
    Unit u{0, lo, hi, "meta blocks and footer " + Bytes(lo, hi), {{lo, hi}}};
    units->push_back(std::move(u));
    return Status::Ok();
  }
  footer.begin = footer_begin;
  footer.end = hi;
  footer.label = "footer " + Bytes(footer_begin, hi);

  // The handles in the footer: metaindex, then index.
  std::vector<Unit> blocks;
  {
    const bool legacy = footer_begin == hi - kLegacyFooterBytes;
    const char* p = at(footer_begin + (legacy ? 0 : 1));
    const char* p_end = at(handles_end);
    uint64_t mi_off = 0, mi_size = 0, ix_off = 0, ix_size = 0;
    if (Varint(&p, p_end, &mi_off) && Varint(&p, p_end, &mi_size) && Varint(&p, p_end, &ix_off) &&
        Varint(&p, p_end, &ix_size)) {
      blocks.push_back({0,
                        ix_off,
                        ix_off + ix_size + kBlockTrailerBytes,
                        layout.index_partitions > 0 ? "index block (top level)" : "index block",
                        {}});
      blocks.push_back({0, mi_off, mi_off + mi_size + kBlockTrailerBytes, "metaindex block", {}});
      const uint64_t mi_end = mi_off + mi_size;
      if (mi_off >= lo && mi_end + kBlockTrailerBytes <= footer_begin && *at(mi_end) == 0) {
        for (const auto& [key, span] : MetaIndexEntries(std::string_view(at(mi_off), mi_size))) {
          blocks.push_back({0, span.begin, span.end, MetaBlockName(key), {}});
        }
      }
    }
  }
  // Keep the blocks that lie in the meta region, in file order, without overlaps.
  std::sort(blocks.begin(), blocks.end(),
            [](const Unit& a, const Unit& b) { return a.begin < b.begin; });
  std::vector<Unit> kept;
  uint64_t cursor = lo;
  for (Unit& b : blocks) {
    if (b.begin < cursor || b.end > footer_begin || b.begin >= b.end) continue;
    if (b.begin > cursor) {  // bytes no handle names: partitions of the index or filter
      kept.push_back({0, cursor, b.begin, "index or filter partitions", {}});
    }
    cursor = b.end;
    kept.push_back(std::move(b));
  }
  if (cursor < footer_begin) {
    kept.push_back({0, cursor, footer_begin, "unnamed meta bytes", {}});
  }
  for (Unit& u : kept) {
    u.label += " " + Bytes(u.begin, u.end);
    u.spans = {{u.begin, u.end}};
    units->push_back(std::move(u));
  }
  units->push_back(std::move(footer));
  return Status::Ok();
}

// ---- log files (WAL, MANIFEST) ---------------------------------------------------------------

constexpr uint64_t kLogHeaderBytes = 7;
constexpr uint64_t kRecyclableLogHeaderBytes = 11;
constexpr unsigned char kFullType = 1;
constexpr unsigned char kSetCompressionType = 9;  // first record of a compressed WAL

// The logical records of the log whose durable bytes are `data`, each with its payload bytes
// (every fragment's, headers and block trailers left out). Records of a recycled log that
// carry another log's number are stale bytes RocksDB stops at: the walk ends there too. A WAL
// written with wal_compression starts with a record naming the compression type, which
// faults/wal_records does not know; it is read as a full record here, record 0.
std::vector<Unit> LogUnits(std::string_view data, uint64_t log_number, const char* what) {
  std::string patched;
  const bool compressed =
      data.size() >= kLogHeaderBytes && static_cast<unsigned char>(data[6]) == kSetCompressionType;
  if (compressed) {
    patched.assign(data);
    patched[6] = static_cast<char>(kFullType);
    data = patched;
  }
  std::vector<Unit> units;
  uint64_t pos = 0;
  for (const uint64_t end : WalRecordEnds(data)) {
    Unit u;
    u.index = units.size();
    bool stale = false;
    while (pos < end) {
      const uint64_t left_in_block = kWalBlockBytes - pos % kWalBlockBytes;
      if (left_in_block < kLogHeaderBytes) {  // the block's trailer
        pos += left_in_block;
        continue;
      }
      if (u.spans.empty()) u.begin = pos;
      const auto type = static_cast<unsigned char>(data[pos + 6]);
      const uint64_t length =
          static_cast<unsigned char>(data[pos + 4]) |
          (static_cast<uint64_t>(static_cast<unsigned char>(data[pos + 5])) << 8);
      const bool recyclable = type >= 5 && type <= 8;
      const uint64_t header = recyclable ? kRecyclableLogHeaderBytes : kLogHeaderBytes;
      if (recyclable && Fixed32(data.data() + pos + 7) != static_cast<uint32_t>(log_number)) {
        stale = true;
      }
      u.spans.push_back({pos + header, pos + header + length});
      pos += header + length;
    }
    if (stale) break;
    u.end = end;
    u.label = std::string(what) + " record " + std::to_string(u.index) +
              (compressed && u.index == 0 ? " (the compression type) " : " ") + Bytes(u.begin, end);
    units.push_back(std::move(u));
  }
  return units;
}

// ---- text files (OPTIONS, CURRENT) -----------------------------------------------------------

// The option lines of an OPTIONS file: every line but blank ones and comments, without its
// newline.
std::vector<Unit> OptionsUnits(std::string_view data) {
  std::vector<Unit> units;
  uint64_t begin = 0;
  uint64_t line = 0;
  while (begin < data.size()) {
    uint64_t end = data.find('\n', begin);
    if (end == std::string_view::npos) end = data.size();
    const std::string_view text = data.substr(begin, end - begin);
    const size_t first = text.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && text[first] != '#') {
      Unit u{line, begin, end, "line " + std::to_string(line + 1) + " " + Bytes(begin, end), {}};
      u.spans.push_back({begin, end});
      units.push_back(std::move(u));
    }
    begin = end + 1;
    ++line;
  }
  return units;
}

// ---- choosing --------------------------------------------------------------------------------

struct Candidate {
  std::string name;
  uint64_t limit = 0;  // durable bytes that are on disk
};

// The regular files directly in `dir`, sorted by name, with the bytes of each that are durable
// and on disk; files with none are left out.
Status ListCandidates(const std::string& dir,
                      const std::function<uint64_t(const std::string&)>& durable_bytes,
                      std::vector<Candidate>* out) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return Status::IoError("bitrot: cannot list " + dir + ": " + ec.message());
  for (const fs::directory_entry& e : it) {
    std::error_code fe;
    if (!e.is_regular_file(fe)) continue;
    const uint64_t size = e.file_size(fe);
    if (fe) continue;
    const std::string name = e.path().filename().string();
    const uint64_t limit = std::min(size, durable_bytes(name));
    if (limit > 0) out->push_back({name, limit});
  }
  std::sort(out->begin(), out->end(),
            [](const Candidate& a, const Candidate& b) { return a.name < b.name; });
  return Status::Ok();
}

// The files of `target`'s kind, in the order they are tried: a seeded order for SSTs and WALs,
// the one file recovery reads for the others.
std::vector<Candidate> FilesFor(RotTarget target, const std::string& db_dir,
                                const std::vector<Candidate>& all, Rng* rng) {
  std::vector<Candidate> files;
  uint64_t number = 0;
  switch (target) {
    case RotTarget::kSstData:
    case RotTarget::kSstMeta:
      for (const Candidate& c : all) {
        if (NumberedName(c.name, "", ".sst", &number)) files.push_back(c);
      }
      break;
    case RotTarget::kWalRecord:
      for (const Candidate& c : all) {
        if (NumberedName(c.name, "", ".log", &number)) files.push_back(c);
      }
      break;
    case RotTarget::kManifestRecord: {
      // The MANIFEST CURRENT names; a stale one is never read.
      std::string current;
      for (const Candidate& c : all) {
        if (c.name == "CURRENT" && ReadRange(db_dir + "/CURRENT", 0, c.limit, &current).ok()) {
          while (!current.empty() && (current.back() == '\n' || current.back() == '\r')) {
            current.pop_back();
          }
        }
      }
      for (const Candidate& c : all) {
        if (c.name == current && NumberedName(c.name, "MANIFEST-", "", &number)) {
          files.push_back(c);
        }
      }
      break;
    }
    case RotTarget::kOptions: {
      uint64_t latest = 0;
      for (const Candidate& c : all) {
        if (NumberedName(c.name, "OPTIONS-", "", &number) && (files.empty() || number > latest)) {
          latest = number;
          files = {c};
        }
      }
      break;
    }
    case RotTarget::kCurrent:
      for (const Candidate& c : all) {
        if (c.name == "CURRENT") files.push_back(c);
      }
      break;
  }
  for (size_t i = files.size(); i > 1; --i) std::swap(files[i - 1], files[rng->Uniform(i)]);
  return files;
}

// The units of `file` for `target`, clipped to its durable bytes, those with none dropped.
Status UnitsOf(RotTarget target, const std::string& db_dir, const Candidate& file,
               std::vector<Unit>* units) {
  const std::string path = db_dir + "/" + file.name;
  std::vector<Unit> all;
  if (target == RotTarget::kSstData || target == RotTarget::kSstMeta) {
    SstLayout layout;
    if (!ReadSstLayout(path, target == RotTarget::kSstData, &layout)) return Status::Ok();
    if (target == RotTarget::kSstData) {
      all = SstDataUnits(layout);
    } else {
      Status s = SstMetaUnits(path, layout, &all);
      if (!s.ok()) return s;
    }
  } else {
    std::string data;
    Status s = ReadRange(path, 0, file.limit, &data);
    if (!s.ok()) return s;
    uint64_t number = 0;
    if (target == RotTarget::kWalRecord) {
      NumberedName(file.name, "", ".log", &number);
      all = LogUnits(data, number, "WAL");
    } else if (target == RotTarget::kManifestRecord) {
      NumberedName(file.name, "MANIFEST-", "", &number);
      all = LogUnits(data, number, "MANIFEST");
    } else if (target == RotTarget::kOptions) {
      all = OptionsUnits(data);
    } else {
      all.push_back(
          {0, 0, data.size(), "bytes 0.." + std::to_string(data.size()), {{0, data.size()}}});
    }
  }
  for (Unit& u : all) {
    ClipTo(file.limit, &u);
    if (u.Damageable() > 0) units->push_back(std::move(u));
  }
  return Status::Ok();
}

Status FlipInPlace(const std::string& path, uint64_t offset, uint8_t mask, uint8_t* before) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  // A file with another name (a hard link into a chain or its evidence) is not ours to damage.
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_nlink != 1) {
    ::close(fd);
    return Status::BadInput("bitrot: " + path +
                            " is not a private copy (it has other hard links); damage a copy");
  }
  unsigned char byte = 0;
  ssize_t n;
  do {
    n = ::pread(fd, &byte, 1, static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    if (n == 0) errno = EIO;
    const Status s = Errno("cannot read the byte at " + std::to_string(offset) + " of", path);
    ::close(fd);
    return s;
  }
  *before = byte;
  const char flipped = static_cast<char>(byte ^ mask);
  if (!PWriteAll(fd, &flipped, 1, offset) || ::fsync(fd) != 0) {
    const Status s = Errno("cannot write the byte at " + std::to_string(offset) + " of", path);
    ::close(fd);
    return s;
  }
  if (::close(fd) != 0) return Errno("cannot close", path);
  return Status::Ok();
}

}  // namespace

const char* RotTargetName(RotTarget target) {
  switch (target) {
    case RotTarget::kSstData:
      return "sst-data";
    case RotTarget::kSstMeta:
      return "sst-meta";
    case RotTarget::kWalRecord:
      return "wal-record";
    case RotTarget::kManifestRecord:
      return "manifest-record";
    case RotTarget::kOptions:
      return "options";
    case RotTarget::kCurrent:
      return "current";
  }
  return "?";
}

Status ParseRotTarget(const std::string& text, RotTarget* target) {
  for (RotTarget t : {RotTarget::kSstData, RotTarget::kSstMeta, RotTarget::kWalRecord,
                      RotTarget::kManifestRecord, RotTarget::kOptions, RotTarget::kCurrent}) {
    if (text == RotTargetName(t)) {
      *target = t;
      return Status::Ok();
    }
  }
  return Status::BadInput("unknown bitrot target '" + text +
                          "': use sst-data, sst-meta, wal-record, manifest-record, options or "
                          "current");
}

Status ApplyBitrot(const std::string& db_dir, RotTarget target, uint64_t seed,
                   const std::function<uint64_t(const std::string& rel_name)>& durable_bytes,
                   RotResult* result) {
  *result = RotResult();
  std::vector<Candidate> all;
  Status s = ListCandidates(db_dir, durable_bytes, &all);
  if (!s.ok()) return s;

  const auto stream = static_cast<uint64_t>(target);
  Rng file_rng(seed, "bitrot.file", stream);
  Rng unit_rng(seed, "bitrot.unit", stream);
  Rng byte_rng(seed, "bitrot.byte", stream);
  Rng bit_rng(seed, "bitrot.bits", stream);

  for (const Candidate& file : FilesFor(target, db_dir, all, &file_rng)) {
    std::vector<Unit> units;
    s = UnitsOf(target, db_dir, file, &units);
    if (!s.ok()) return s;
    if (units.empty()) continue;

    const Unit& unit = units[unit_rng.Uniform(units.size())];
    uint64_t pick = byte_rng.Uniform(unit.Damageable());
    uint64_t offset = 0;
    for (const Span& span : unit.spans) {
      if (pick < span.end - span.begin) {
        offset = span.begin + pick;
        break;
      }
      pick -= span.end - span.begin;
    }
    const uint64_t bits = bit_rng.Between(1, 3);
    uint8_t mask = 0;
    while (static_cast<uint64_t>(__builtin_popcount(mask)) < bits) {
      mask = static_cast<uint8_t>(mask | (1u << bit_rng.Uniform(8)));
    }

    uint8_t before = 0;
    s = FlipInPlace(db_dir + "/" + file.name, offset, mask, &before);
    if (!s.ok()) return s;
    result->applied = true;
    result->file = file.name;
    result->offset = offset;
    result->mask = mask;
    result->before = before;
    result->region = unit.label + " of " + file.name;
    result->record_index = unit.index;
    result->record_begin = unit.begin;
    result->record_end = unit.end;
    return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace powercut::faults
