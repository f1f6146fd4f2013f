#include "harness/writer/read_fault_fs.h"

#include <atomic>
#include <cstring>

#include "src/rng.h"

namespace powercut::harness {
namespace {

using rocksdb::FileOptions;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

std::atomic<uint64_t> g_injected{0};

// The seeded fate of a read: drawn from (seed, file, offset, length), so the same read of the
// same store fails the same way whichever thread makes it and in whatever order: a judge and
// its replay see the same faults.
class Fates {
 public:
  explicit Fates(ReadFaults f) : f_(f) {}
  // OK, or the injected error; on OK may flip one bit of `result` (copied into scratch).
  IOStatus Apply(const IOStatus& s, const std::string& file, uint64_t offset, Slice* result,
                 char* scratch) const {
    if (!s.ok() || f_.one_in == 0 || result->size() == 0) return s;
    Rng rng(f_.seed, "read-fault:" + file, offset * 0x9E3779B97F4A7C15ull ^ result->size());
    if (rng.Uniform(f_.one_in) != 0) return s;
    g_injected.fetch_add(1, std::memory_order_relaxed);
    if (rng.Uniform(2) == 0) return IOStatus::IOError("powercut injected read error");
    // The bytes may live in RocksDB's buffer or in the file's mmap: flip a copy in scratch.
    if (scratch == nullptr) return IOStatus::IOError("powercut injected read error");
    if (result->data() != scratch) std::memmove(scratch, result->data(), result->size());
    const uint64_t at = rng.Uniform(result->size());
    scratch[at] = static_cast<char>(scratch[at] ^ (1u << rng.Uniform(8)));
    *result = Slice(scratch, result->size());
    return s;
  }

 private:
  const ReadFaults f_;
};

// The file's name without its directory: the store is judged from a copy at another path.
std::string Leaf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class FaultySequentialFile : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  FaultySequentialFile(std::unique_ptr<rocksdb::FSSequentialFile> t, std::shared_ptr<Fates> f,
                       std::string name)
      : FSSequentialFileOwnerWrapper(std::move(t)), fates_(std::move(f)), name_(std::move(name)) {}
  IOStatus Read(size_t n, const IOOptions& o, Slice* result, char* scratch,
                IODebugContext* d) override {
    IOStatus s = target()->Read(n, o, result, scratch, d);
    const uint64_t at = position_;
    if (s.ok()) position_ += result->size();
    return fates_->Apply(s, name_, at, result, scratch);
  }
  IOStatus Skip(uint64_t n) override {
    position_ += n;
    return target()->Skip(n);
  }

 private:
  std::shared_ptr<Fates> fates_;
  const std::string name_;
  uint64_t position_ = 0;
};

class FaultyRandomAccessFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultyRandomAccessFile(std::unique_ptr<rocksdb::FSRandomAccessFile> t, std::shared_ptr<Fates> f,
                         std::string name)
      : FSRandomAccessFileOwnerWrapper(std::move(t)),
        fates_(std::move(f)),
        name_(std::move(name)) {}
  IOStatus Read(uint64_t offset, size_t n, const IOOptions& o, Slice* result, char* scratch,
                IODebugContext* d) const override {
    return fates_->Apply(target()->Read(offset, n, o, result, scratch, d), name_, offset, result,
                         scratch);
  }
  // One read at a time, so each may fail as Read does.
  IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs, const IOOptions& o,
                     IODebugContext* d) override {
    for (size_t i = 0; i < num_reqs; ++i) {
      reqs[i].status = Read(reqs[i].offset, reqs[i].len, o, &reqs[i].result, reqs[i].scratch, d);
    }
    return IOStatus::OK();
  }

 private:
  std::shared_ptr<Fates> fates_;
  const std::string name_;
};

class ReadFaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  ReadFaultFileSystem(std::shared_ptr<rocksdb::FileSystem> base, ReadFaults f)
      : FileSystemWrapper(std::move(base)), fates_(std::make_shared<Fates>(f)) {}
  const char* Name() const override { return "PowercutReadFaultFileSystem"; }

  IOStatus NewSequentialFile(const std::string& f, const FileOptions& o,
                             std::unique_ptr<rocksdb::FSSequentialFile>* r,
                             IODebugContext* d) override {
    IOStatus s = target()->NewSequentialFile(f, o, r, d);
    if (s.ok()) *r = std::make_unique<FaultySequentialFile>(std::move(*r), fates_, Leaf(f));
    return s;
  }
  IOStatus NewRandomAccessFile(const std::string& f, const FileOptions& o,
                               std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                               IODebugContext* d) override {
    IOStatus s = target()->NewRandomAccessFile(f, o, r, d);
    if (s.ok()) *r = std::make_unique<FaultyRandomAccessFile>(std::move(*r), fates_, Leaf(f));
    return s;
  }

 private:
  std::shared_ptr<Fates> fates_;
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewReadFaultFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base, ReadFaults faults) {
  return std::make_shared<ReadFaultFileSystem>(std::move(base), faults);
}

uint64_t ReadFaultsInjected() { return g_injected.load(); }

}  // namespace powercut::harness
