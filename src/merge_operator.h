// powercut's merge operator, registered by every process that opens a chain's store (see
// StoreConfig::ToRocksDB). It is associative — count, xor and "last" all compose — so RocksDB
// may fold operands in any grouping, during reads, flushes or compactions, and the result
// still says exactly which merges it holds (src/value_codec.h, merge result).
#pragma once

#include <memory>

#include <rocksdb/merge_operator.h>

namespace powercut {

std::shared_ptr<rocksdb::MergeOperator> NewMergeOperator();

}  // namespace powercut
