// The op model: one numbered operation of a workload. Ops are values, generated as a pure
// function of (seed, spec, index) by workloads/, executed by the writer, and replayed by the
// oracle. An op's writes are applied as one atomic step: a batch never half-applies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace powercut {

enum class OpKind {
  kPut,           // one key
  kDelete,        // one key
  kBatch,         // several puts/deletes in one WriteBatch, all or nothing
  kDeleteRange,   // [begin, end) of the key space
  kMerge,         // one merge operand onto one key (src/merge_operator.h)
  kFlush,         // memtable to SST, waited for; no state change
  kSyncWal,       // no state change; makes every earlier acked write durable
  kFlushWal,      // FlushWAL(sync = op.sync); no state change
  kCompactRange,  // no state change
  kCheckpoint,    // Checkpoint::CreateCheckpoint; no state change, checked on its own
  kBackup,        // BackupEngine::CreateNewBackup; no state change, restored and checked on its own
  kLiveCopy,     // GetLiveFiles(flush) and a copy of the files; no state change, checked on its own
  kFlushFamily,  // Flush of column family op.family alone, waited for; no state change
  kRecreateFamily,  // DropColumnFamily then CreateColumnFamily of op.family (never the default):
                    // every key of the family is gone
  kTxn,             // a transaction of puts, deletes and merges, committed: all or nothing
  kTxnRollback,     // a transaction of op.rolled_back's writes, rolled back: it leaves no trace
};
inline constexpr int kOpKindCount = 16;

const char* OpKindName(OpKind kind);

// One key-level effect of an op.
struct Write {
  enum class Kind { kPut, kDelete, kDeleteRange, kMerge };
  Kind kind = Kind::kPut;
  uint32_t key_id = 0;
  uint32_t end_key_id = 0;   // exclusive end, kDeleteRange only
  uint32_t value_bytes = 0;  // kPut and kMerge
};

struct Op {
  uint64_t index = 0;  // 1-based; 0 is "before any op"
  OpKind kind = OpKind::kPut;
  bool sync = false;          // WriteOptions::sync for writes; FlushWAL(sync) for kFlushWal
  std::vector<Write> writes;  // empty for ops that change no key
  uint32_t family = 0;        // kFlushFamily, kRecreateFamily: the column family (src/families.h)
  // kTxnRollback: the writes the transaction made before it was rolled back. They are never
  // an effect of the op; the verifier holds any trace of them against the store.
  std::vector<Write> rolled_back;
  bool two_phase = false;  // kTxn, kTxnRollback: Prepare before Commit or Rollback (2PC)

  bool ChangesState() const { return !writes.empty(); }
  // Whether the op's writes are one atomic step that a recovery may not split.
  bool Atomic() const { return kind == OpKind::kBatch || kind == OpKind::kTxn; }
};

inline const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kPut:
      return "put";
    case OpKind::kDelete:
      return "delete";
    case OpKind::kBatch:
      return "batch";
    case OpKind::kDeleteRange:
      return "delete-range";
    case OpKind::kFlush:
      return "flush";
    case OpKind::kSyncWal:
      return "sync-wal";
    case OpKind::kFlushWal:
      return "flush-wal";
    case OpKind::kCompactRange:
      return "compact-range";
    case OpKind::kMerge:
      return "merge";
    case OpKind::kCheckpoint:
      return "checkpoint";
    case OpKind::kBackup:
      return "backup";
    case OpKind::kLiveCopy:
      return "live-copy";
    case OpKind::kFlushFamily:
      return "flush-family";
    case OpKind::kRecreateFamily:
      return "recreate-family";
    case OpKind::kTxn:
      return "txn";
    case OpKind::kTxnRollback:
      return "txn-rollback";
  }
  return "?";
}

// Where ops come from: the verifier and the oracle only need op i on demand.
class OpSource {
 public:
  virtual ~OpSource() = default;
  virtual Op Get(uint64_t index) const = 0;
};

}  // namespace powercut
