// A file system under the writer that keeps RocksDB's info LOG from taking the process down on
// a full disk. With assertions on (Debian's 7.8.3), the logger's next line after a failed LOG
// write aborts in WritableFileWriter (it asserts that no earlier write failed), so a full disk
// would become an `unrecoverable` verdict on a store that did nothing wrong. The LOG is
// evidence, not store state: here it is written by a logger that drops lines it cannot write.
#pragma once

#include <memory>

#include <rocksdb/file_system.h>

namespace powercut::harness {

std::shared_ptr<rocksdb::FileSystem> NewInfoLogTolerantFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base);

}  // namespace powercut::harness
