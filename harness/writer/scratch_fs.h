// A file system for judging crash images: the image is a throwaway copy that is removed (or
// rebuilt untouched) once judged, so the durability of what the judging open writes to it
// (a new MANIFEST, a WAL, a recovery flush) does not matter. Sync, Fsync, RangeSync and
// directory fsyncs return OK without reaching the disk; every other call, and every byte,
// goes to the real file system, so RocksDB's recovery runs exactly as it would.
#pragma once

#include <memory>

#include <rocksdb/file_system.h>

namespace powercut::harness {

std::shared_ptr<rocksdb::FileSystem> NewScratchFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base);

}  // namespace powercut::harness
