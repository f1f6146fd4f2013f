#include "src/store_config.h"

#include <rocksdb/convenience.h>
#include <rocksdb/utilities/options_util.h>

#include "src/merge_operator.h"

namespace powercut {
namespace {

Status ParseBool(const std::string& name, const std::string& value, bool* out) {
  if (value == "true" || value == "1") return *out = true, Status::Ok();
  if (value == "false" || value == "0") return *out = false, Status::Ok();
  return Status::BadInput("bad value '" + value + "' for option " + name + ": use true or false");
}

rocksdb::Options BaseOptions() {
  rocksdb::Options o;
  o.create_if_missing = true;
  // Debian's build logs at DEBUG level by default; a durability run needs INFO at most.
  o.info_log_level = rocksdb::InfoLogLevel::INFO_LEVEL;
  o.keep_log_file_num = 4;
  return o;
}

// Applies one option; `unknown` tells whether RocksDB did not know the name at all.
Status ApplyOne(const std::string& name, const std::string& value, rocksdb::Options* options) {
  rocksdb::ConfigOptions config;
  config.ignore_unknown_options = false;
  config.input_strings_escaped = false;
  rocksdb::DBOptions db_out;
  rocksdb::Status s = rocksdb::GetDBOptionsFromMap(config, *options, {{name, value}}, &db_out);
  if (s.ok()) {
    *options = rocksdb::Options(db_out, *options);
    return Status::Ok();
  }
  const bool db_unknown = s.ToString().find("Could not find option") != std::string::npos ||
                          s.ToString().find("Unrecognized option") != std::string::npos;
  rocksdb::ColumnFamilyOptions cf_out;
  rocksdb::Status c =
      rocksdb::GetColumnFamilyOptionsFromMap(config, *options, {{name, value}}, &cf_out);
  if (c.ok()) {
    *options = rocksdb::Options(*options, cf_out);
    return Status::Ok();
  }
  const bool cf_unknown = c.ToString().find("Could not find option") != std::string::npos ||
                          c.ToString().find("Unrecognized option") != std::string::npos;
  if (db_unknown && cf_unknown) {
    return Status::BadInput(
        "unknown RocksDB option '" + name +
        "': use a DBOptions or ColumnFamilyOptions field name, or sync / disableWAL");
  }
  const rocksdb::Status& why = db_unknown ? c : s;
  return Status::BadInput("bad value '" + value + "' for RocksDB option " + name + " (" +
                          why.getState() + "): give a value of the option's type");
}

}  // namespace

Status StoreConfig::Add(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::BadInput("option '" + assignment +
                            "' is not NAME=VALUE: write it as e.g. sync=true");
  }
  const std::string name = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  if (name == "sync") return ParseBool(name, value, &sync);
  if (name == "disableWAL") return ParseBool(name, value, &disable_wal);
  rocksdb::Options probe = BaseOptions();
  for (const auto& [n, v] : options) ApplyOne(n, v, &probe);
  Status s = ApplyOne(name, value, &probe);
  if (!s.ok()) return s;
  options.emplace_back(name, value);
  return Status::Ok();
}

Status StoreConfig::ToRocksDB(rocksdb::Options* out, rocksdb::WriteOptions* write_options) const {
  rocksdb::Options o = BaseOptions();
  for (const auto& [name, value] : options) {
    Status s = ApplyOne(name, value, &o);
    if (!s.ok()) return s;
  }
  o.merge_operator = NewMergeOperator();
  *out = o;
  if (write_options != nullptr) {
    *write_options = rocksdb::WriteOptions();
    write_options->sync = sync;
    write_options->disableWAL = disable_wal;
  }
  return Status::Ok();
}

bool StoreConfig::manual_wal_flush() const {
  rocksdb::Options o;
  return ToRocksDB(&o, nullptr).ok() && o.manual_wal_flush;
}

nlohmann::json StoreConfig::ToJson() const {
  nlohmann::json opts = nlohmann::json::array();
  for (const auto& [name, value] : options) opts.push_back({name, value});
  return {{"options", opts}, {"sync", sync}, {"disableWAL", disable_wal}};
}

Status StoreConfig::FromJson(const nlohmann::json& j, StoreConfig* config) {
  try {
    StoreConfig c;
    for (const auto& pair : j.at("options")) {
      c.options.emplace_back(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
    }
    c.sync = j.at("sync").get<bool>();
    c.disable_wal = j.at("disableWAL").get<bool>();
    *config = c;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed store config: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace powercut
