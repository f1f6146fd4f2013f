#include "harness/writer/scratch_fs.h"

namespace powercut::harness {
namespace {

using rocksdb::FileOptions;
using rocksdb::FSDirectory;
using rocksdb::FSWritableFile;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

class ScratchWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  using FSWritableFileOwnerWrapper::FSWritableFileOwnerWrapper;
  IOStatus Sync(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus Fsync(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus RangeSync(uint64_t, uint64_t, const IOOptions&, IODebugContext*) override {
    return IOStatus::OK();
  }
};

class ScratchDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  using FSDirectoryWrapper::FSDirectoryWrapper;
  IOStatus Fsync(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus FsyncWithDirOptions(const IOOptions&, IODebugContext*,
                               const rocksdb::DirFsyncOptions&) override {
    return IOStatus::OK();
  }
};

class ScratchFileSystem : public rocksdb::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  const char* Name() const override { return "PowercutScratchFileSystem"; }

  IOStatus NewWritableFile(const std::string& f, const FileOptions& o,
                           std::unique_ptr<FSWritableFile>* r, IODebugContext* d) override {
    return Wrap(target()->NewWritableFile(f, o, r, d), r);
  }
  IOStatus ReopenWritableFile(const std::string& f, const FileOptions& o,
                              std::unique_ptr<FSWritableFile>* r, IODebugContext* d) override {
    return Wrap(target()->ReopenWritableFile(f, o, r, d), r);
  }
  IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const FileOptions& o,
                             std::unique_ptr<FSWritableFile>* r, IODebugContext* d) override {
    return Wrap(target()->ReuseWritableFile(f, old, o, r, d), r);
  }
  IOStatus NewDirectory(const std::string& name, const IOOptions& io,
                        std::unique_ptr<FSDirectory>* result, IODebugContext* d) override {
    IOStatus s = target()->NewDirectory(name, io, result, d);
    if (s.ok()) *result = std::make_unique<ScratchDirectory>(std::move(*result));
    return s;
  }

 private:
  static IOStatus Wrap(IOStatus s, std::unique_ptr<FSWritableFile>* r) {
    if (s.ok()) *r = std::make_unique<ScratchWritableFile>(std::move(*r));
    return s;
  }
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewScratchFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<ScratchFileSystem>(std::move(base));
}

}  // namespace powercut::harness
