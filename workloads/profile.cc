#include <fmt/format.h>

#include "src/families.h"
#include "src/key.h"
#include "src/value_codec.h"
#include "workloads/lanes.h"
#include "workloads/spec.h"

namespace powercut::workloads {
namespace {

constexpr OpKind kAllKinds[] = {
    OpKind::kPut,          OpKind::kDelete,         OpKind::kBatch,   OpKind::kDeleteRange,
    OpKind::kMerge,        OpKind::kFlush,          OpKind::kSyncWal, OpKind::kFlushWal,
    OpKind::kCompactRange, OpKind::kCheckpoint,     OpKind::kBackup,  OpKind::kLiveCopy,
    OpKind::kFlushFamily,  OpKind::kRecreateFamily, OpKind::kTxn,     OpKind::kTxnRollback};
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
          {"sync_one_in", sync_one_in},
          {"column_families", column_families},
          {"txn", txn},
          {"threads", threads}};
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
    // Kinds newer than a chain are absent from its weights: it never drew them.
    for (OpKind k : kAllKinds) s.weight(k) = j.at("weights").value(OpKindName(k), 0u);
    s.batch_min_writes = j.at("batch_min_writes").get<uint32_t>();
    s.batch_max_writes = j.at("batch_max_writes").get<uint32_t>();
    s.batch_delete_percent = j.at("batch_delete_percent").get<uint32_t>();
    s.range_max_keys = j.at("range_max_keys").get<uint32_t>();
    s.key_skew = j.at("key_skew").get<double>();
    s.sync_one_in = j.at("sync_one_in").get<uint32_t>();
    s.column_families = j.value("column_families", 1u);
    s.txn = j.value("txn", std::string("none"));
    s.threads = j.value("threads", 1u);
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
  if (column_families < 1 || column_families > kMaxColumnFamilies || column_families > key_count) {
    return Status::BadInput(
        fmt::format("--column-families {} is out of range: use 1 to {} (and no more than the keys)",
                    column_families, kMaxColumnFamilies));
  }
  if (weight(OpKind::kRecreateFamily) > 0 && column_families < 2) {
    return Status::BadInput(
        "op recreate-family needs a column family besides the default: give --column-families 2 "
        "or more");
  }
  if (txn != "none" && txn != "pessimistic" && txn != "optimistic") {
    return Status::BadInput("--txn '" + txn + "' is unknown: use none, pessimistic or optimistic");
  }
  if (threads < 1 || threads > kMaxThreads) {
    return Status::BadInput(
        fmt::format("--threads {} is out of range: use 1 to {}", threads, kMaxThreads));
  }
  if (threads > 1 && key_count < kMinKeysPerThread * threads) {
    return Status::BadInput(fmt::format(
        "--threads {} needs at least {} keys (each thread has key ranges of its own): give "
        "--keys {} or more",
        threads, kMinKeysPerThread * threads, kMinKeysPerThread * threads));
  }
  if (threads > 1 && weight(OpKind::kRecreateFamily) > 0) {
    // A family's drop touches every key of the family, so it cannot run beside other threads'
    // writes on disjoint keys (workloads/lanes.h).
    return Status::BadInput("--threads " + std::to_string(threads) + " with profile '" + profile +
                            "': recreate-family cannot run beside other threads; use a profile "
                            "without it (e.g. threads) or --threads 1");
  }
  if ((weight(OpKind::kTxn) > 0 || weight(OpKind::kTxnRollback) > 0) && txn == "none") {
    return Status::BadInput("profile '" + profile +
                            "' has transactions: give --txn pessimistic or optimistic");
  }
  return Status::Ok();
}

Status WorkloadSpec::FitsStore(const StoreConfig& store) const {
  rocksdb::Options o;
  Status s = store.ToRocksDB(&o, nullptr);
  if (!s.ok()) return s;
  if (column_families > 1 && store.disable_wal &&
      (!o.atomic_flush || weight(OpKind::kFlushFamily) > 0 ||
       weight(OpKind::kRecreateFamily) > 0)) {
    // Without a WAL only flushes are durable, and one family's flush (or drop) then leaves it
    // ahead of the others: the families recover to different points, and one prefix of the op
    // stream cannot judge them.
    return Status::BadInput(fmt::format(
        "--column-families {} with disableWAL=true: each family would recover to its own last "
        "flush; give --option atomic_flush=true and a profile without flush-family and "
        "recreate-family ops (e.g. default), or keep the WAL",
        column_families));
  }
  if (txn == "pessimistic" && o.unordered_write) {
    return Status::BadInput(
        "--txn pessimistic with unordered_write=true: a write-committed TransactionDB refuses to "
        "open; drop the option or use --txn optimistic");
  }
  if (txn == "pessimistic" && o.enable_pipelined_write) {
    return Status::BadInput(
        "--txn pessimistic with enable_pipelined_write=true: RocksDB fails every prepared "
        "transaction; drop the option or use --txn optimistic");
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
  } else if (name == "cf") {
    // Four column families: batches and ranges across them, flushes of one family at a time,
    // families dropped and created again while the others are written.
    set({{OpKind::kPut, 480},
         {OpKind::kDelete, 80},
         {OpKind::kBatch, 250},
         {OpKind::kMerge, 60},
         {OpKind::kDeleteRange, 20},
         {OpKind::kFlush, 8},
         {OpKind::kFlushFamily, 40},
         {OpKind::kRecreateFamily, 4},
         {OpKind::kSyncWal, 10},
         {OpKind::kFlushWal, 8},
         {OpKind::kCompactRange, 2},
         {OpKind::kCheckpoint, 2}});
    s.column_families = 4;
  } else if (name == "txn") {
    // Transactions (pessimistic unless --txn says otherwise): committed ones of puts, deletes
    // and merges, rolled-back ones that must leave no trace, beside plain writes.
    set({{OpKind::kPut, 250},
         {OpKind::kDelete, 40},
         {OpKind::kBatch, 50},
         {OpKind::kTxn, 450},
         {OpKind::kTxnRollback, 150},
         {OpKind::kFlush, 15},
         {OpKind::kSyncWal, 15},
         {OpKind::kFlushWal, 10},
         {OpKind::kCheckpoint, 2}});
    s.txn = "pessimistic";
  } else if (name == "threads") {
    // Four writer threads on private and shared key ranges: every op a RocksDB user issues
    // but a family's drop, so writes, syncs, flushes and checkpoints run at once.
    set({{OpKind::kPut, 520},
         {OpKind::kDelete, 80},
         {OpKind::kBatch, 170},
         {OpKind::kMerge, 130},
         {OpKind::kDeleteRange, 20},
         {OpKind::kFlush, 10},
         {OpKind::kSyncWal, 10},
         {OpKind::kFlushWal, 8},
         {OpKind::kCompactRange, 2},
         {OpKind::kCheckpoint, 1}});
    s.threads = 4;
  } else {
    return Status::BadInput("unknown profile '" + name +
                            "': use default, puts, ranges, batches, backup, cf, txn or threads");
  }
  *spec = s;
  return Status::Ok();
}

}  // namespace powercut::workloads
