// Reads a whole store into a StoreImage for the verifier, with checksums verified, so a
// corruption RocksDB detects comes back as an error rather than as a wrong value.
#pragma once

#include <vector>

#include <rocksdb/db.h>

#include "src/status.h"
#include "src/verifier.h"

namespace powercut {

// `verify_checksums` false is for tests only: a store that serves damaged bytes anyway.
Status ScanStore(rocksdb::DB* db, StoreImage* image, bool verify_checksums = true);

// Every column family: families[f] is family f's handle (null: the family is missing, its keys
// absent); every key of `foreign` families is foreign.
Status ScanStore(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& families,
                 const std::vector<rocksdb::ColumnFamilyHandle*>& foreign, StoreImage* image,
                 bool verify_checksums = true);

}  // namespace powercut
