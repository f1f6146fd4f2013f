#include <fmt/format.h>

#include "src/key.h"
#include "src/value_codec.h"
#include "workloads/spec.h"

namespace powercut::workloads {
namespace {

constexpr OpKind kAllKinds[] = {OpKind::kPut,         OpKind::kDelete,   OpKind::kBatch,
                                OpKind::kDeleteRange, OpKind::kMerge,    OpKind::kFlush,
                                OpKind::kSyncWal,     OpKind::kFlushWal, OpKind::kCompactRange,
                                OpKind::kCheckpoint,  OpKind::kBackup,   OpKind::kLiveCopy};
static_assert(std::size(kAllKinds) == kOpKindCount);

}  // namespace

nlohmann::json WorkloadSpec::ToJson() const {
  nlohmann::json w = nlohmann::json::object();
  for (OpKind k : kAllKinds) w[OpKindName(k)] = weight(k);
  return {{"profile", profile},
          {"key_count", key_count},
          {"value_min_bytes", value_min_bytes},
          {"value_max_bytes", value_max_bytes},
          {"value_compression_ratio", value_compression_ratio},
          {"weights", w},
          {"batch_min_writes", batch_min_writes},
          {"batch_max_writes", batch_max_writes},
          {"batch_delete_percent", batch_delete_percent},
          {"range_max_keys", range_max_keys},
          {"key_skew", key_skew},
          {"sync_one_in", sync_one_in}};
}

Status WorkloadSpec::FromJson(const nlohmann::json& j, WorkloadSpec* spec) {
  try {
    WorkloadSpec s;
    s.profile = j.at("profile").get<std::string>();
    s.key_count = j.at("key_count").get<uint32_t>();
    s.value_min_bytes = j.at("value_min_bytes").get<uint32_t>();
    s.value_max_bytes = j.at("value_max_bytes").get<uint32_t>();
    // Absent in chains made before the knob: those values compressed 2:1.
    s.value_compression_ratio = j.value("value_compression_ratio", kDefaultCompressionRatio);
    for (OpKind k : kAllKinds) s.weight(k) = j.at("weights").at(OpKindName(k)).get<uint32_t>();
    s.batch_min_writes = j.at("batch_min_writes").get<uint32_t>();
    s.batch_max_writes = j.at("batch_max_writes").get<uint32_t>();
    s.batch_delete_percent = j.at("batch_delete_percent").get<uint32_t>();
    s.range_max_keys = j.at("range_max_keys").get<uint32_t>();
    s.key_skew = j.at("key_skew").get<double>();
    s.sync_one_in = j.at("sync_one_in").get<uint32_t>();
    Status st = s.Validate();
    if (!st.ok()) return st;
    *spec = s;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed workload spec: ") + e.what());
  }
  return Status::Ok();
}

Status WorkloadSpec::Validate() const {
  if (key_count < 1 || key_count > kMaxKeyCount) {
    return Status::BadInput(
        fmt::format("key count {} is out of range: use 1 to {}", key_count, kMaxKeyCount));
  }
  if (value_min_bytes < kValueHeaderBytes || value_max_bytes > kMaxValueBytes ||
      value_min_bytes > value_max_bytes) {
    return Status::BadInput(fmt::format("value sizes {}..{} are out of range: use {} to {} bytes",
                                        value_min_bytes, value_max_bytes, kValueHeaderBytes,
                                        kMaxValueBytes));
  }
  if (!(value_compression_ratio >= 0 && value_compression_ratio <= 1)) {
    return Status::BadInput(fmt::format("value compression ratio {} is out of range: use 0 to 1",
                                        value_compression_ratio));
  }
  uint64_t total = 0;
  for (uint32_t w : weights) total += w;
  if (total == 0 || total > 1'000'000'000) {
    return Status::BadInput(
        "the op mix weighs nothing (or too much): give op kinds weights 0..1e9");
  }
  if (batch_min_writes < 1 || batch_min_writes > batch_max_writes || batch_max_writes > 10'000) {
    return Status::BadInput("batch sizes are out of range: use 1 <= min <= max <= 10000");
  }
  if (range_max_keys < 1 || range_max_keys > 100'000) {
    return Status::BadInput("range_max_keys is out of range: use 1 to 100000");
  }
  if (batch_delete_percent > 100 || key_skew < 0 || key_skew > 8) {
    return Status::BadInput("batch delete percent must be 0..100 and key skew 0..8");
  }
  return Status::Ok();
}

Status ProfileSpec(const std::string& name, WorkloadSpec* spec) {
  WorkloadSpec s;
  s.profile = name;
  // Weights in thousandths of the mix.
  auto set = [&](std::initializer_list<std::pair<OpKind, uint32_t>> mix) {
    s.weights.fill(0);
    for (auto [kind, w] : mix) s.weight(kind) = w;
  };
  if (name == "default") {
    // Every op a RocksDB user issues, in a realistic mix; hot keys rewritten often.
    set({{OpKind::kPut, 520},
         {OpKind::kDelete, 80},
         {OpKind::kBatch, 150},
         {OpKind::kMerge, 150},
         {OpKind::kDeleteRange, 20},
         {OpKind::kFlush, 10},
         {OpKind::kSyncWal, 8},
         {OpKind::kFlushWal, 8},
         {OpKind::kCompactRange, 2},
         {OpKind::kCheckpoint, 1}});
  } else if (name == "puts") {
    set({{OpKind::kPut, 1000}});  // for speed
    s.sync_one_in = 1000;
  } else if (name == "ranges") {
    set({{OpKind::kPut, 300},
         {OpKind::kMerge, 350},
         {OpKind::kDeleteRange, 300},
         {OpKind::kFlush, 20},
         {OpKind::kSyncWal, 10},
         {OpKind::kCompactRange, 20}});
    s.range_max_keys = 256;
  } else if (name == "batches") {
    set({{OpKind::kPut, 50},
         {OpKind::kDelete, 50},
         {OpKind::kBatch, 880},
         {OpKind::kFlush, 10},
         {OpKind::kSyncWal, 10}});
    s.batch_min_writes = 8;
    s.batch_max_writes = 128;
    s.sync_one_in = 50;
  } else if (name == "backup") {
    // Backups taken while writes go on, each restored and judged at the next open.
    set({{OpKind::kPut, 600},
         {OpKind::kDelete, 100},
         {OpKind::kBatch, 200},
         {OpKind::kFlush, 20},
         {OpKind::kSyncWal, 20},
         {OpKind::kCheckpoint, 8},
         {OpKind::kBackup, 8},
         {OpKind::kLiveCopy, 8}});
  } else {
    return Status::BadInput("unknown profile '" + name +
                            "': use default, puts, ranges, batches or backup");
  }
  *spec = s;
  return Status::Ok();
}

}  // namespace powercut::workloads
