// A file system for judging a copy of a store under failing reads (`run --read-error-one-in
// N`, issue 14): one read in N of the store's files, seeded by which read it is, fails with
// an IOError or returns its bytes with one bit flipped, as db_stress's read faults do. A
// refusal to open or an error on read is RocksDB behaving well; serving flipped bytes as good
// is `silent-corruption`. Every other call goes to the real file system.
#pragma once

#include <cstdint>
#include <memory>

#include <rocksdb/file_system.h>

namespace powercut::harness {

struct ReadFaults {
  uint64_t one_in = 0;  // 0: off
  uint64_t seed = 0;
};

// A read's fate is drawn from (seed, file name, offset, length): order and threads do not
// change which reads fail.
std::shared_ptr<rocksdb::FileSystem> NewReadFaultFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base, ReadFaults faults);

// Reads the file system has failed or flipped so far (this process).
uint64_t ReadFaultsInjected();

}  // namespace powercut::harness
