// Executes one op of the op stream on the store: the RocksDB calls an op kind stands for
// (src/op.h), each key in the column family that holds it (src/families.h), transactions
// through the store's transaction DB.
#pragma once

#include <cstdint>
#include <string>

#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include "harness/writer/store.h"
#include "src/families.h"
#include "src/op.h"

namespace powercut::harness {

struct ExecuteContext {
  uint64_t seed = 0;  // the chain's: values are derived from (seed, key, op)
  double compression_ratio = 0.5;
  FamilyLayout layout{1, 1};
  rocksdb::WriteOptions write_options;  // the store config's; an op's own sync is added
  std::string chain_dir;                // checkpoints and backups go under it
};

// The op's RocksDB calls; OK means the op is acked. Nothing is retried here.
rocksdb::Status Execute(Store& store, const Op& op, const ExecuteContext& context);

}  // namespace powercut::harness
