// StoreConfig: the RocksDB options a chain runs with, as the user named them. Every
// `--option NAME=VALUE` is checked with RocksDB's own options parser, so a name RocksDB does
// not know is bad input, and the same text gives the same options in every process.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <rocksdb/options.h>
#include <nlohmann/json.hpp>

#include "src/status.h"

namespace powercut {

struct StoreConfig {
  // DBOptions / ColumnFamilyOptions fields by RocksDB name, in the order given.
  std::vector<std::pair<std::string, std::string>> options;
  bool sync = false;         // WriteOptions::sync for every write
  bool disable_wal = false;  // WriteOptions::disableWAL for every write

  // Adds one NAME=VALUE; BadInput naming the option and the fix.
  Status Add(const std::string& assignment);

  // Options as powercut opens every store: RocksDB defaults, create_if_missing, a quiet
  // info LOG, then the user's options over them.
  Status ToRocksDB(rocksdb::Options* options, rocksdb::WriteOptions* write_options) const;

  bool manual_wal_flush() const;  // from the options, as RocksDB parsed them

  nlohmann::json ToJson() const;
  static Status FromJson(const nlohmann::json& j, StoreConfig* config);
};

}  // namespace powercut
