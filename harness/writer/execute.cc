#include "harness/writer/execute.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/utilities/transaction.h>
#include <rocksdb/write_batch.h>

#include "harness/protocol/writer_args.h"
#include "harness/writer/backup.h"
#include "src/key.h"
#include "src/value_codec.h"

namespace powercut::harness {
namespace {

// TESTS ONLY: planted writer faults, read once (Execute runs for every op).
const bool kTearAtomic = std::getenv("POWERCUT_TEST_TEAR_ATOMIC") != nullptr;
const bool kCommitRollbacks = std::getenv("POWERCUT_TEST_COMMIT_ROLLBACKS") != nullptr;
const bool kDiePrepared = std::getenv("POWERCUT_TEST_DIE_PREPARED") != nullptr;

// RocksDB 7.8.3's CreateCheckpoint fsyncs the checkpoint directory but never its parent, so
// the checkpoint's own name is not durable when it returns: a power cut then loses the whole
// checkpoint. An application must fsync the parent itself, and the writer does, before it
// acks the op (see README, "The power cut").
rocksdb::Status CreateCheckpoint(rocksdb::DB* db, const std::string& dir) {
  rocksdb::FileSystem* fs = db->GetEnv()->GetFileSystem().get();
  // An earlier cycle may have died creating this very checkpoint: it was never acked.
  rocksdb::Status s = RemoveTree(fs, dir);
  if (s.ok()) s = RemoveTree(fs, dir + ".tmp");
  if (!s.ok()) return s;
  rocksdb::Checkpoint* raw = nullptr;
  s = rocksdb::Checkpoint::Create(db, &raw);
  if (!s.ok()) return s;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  s = checkpoint->CreateCheckpoint(dir);
  return s.ok() ? SyncParentDir(fs, dir) : s;
}

class Executor {
 public:
  Executor(Store& store, const Op& op, const ExecuteContext& c) : store_(store), op_(op), c_(c) {
    wo_ = c.write_options;
    // RocksDB refuses a sync write without a WAL; with the WAL off only a flush is durable.
    wo_.sync = (wo_.sync || op.sync) && !wo_.disableWAL;
  }

  rocksdb::Status Run() {
    rocksdb::DB* db = store_.db();
    switch (op_.kind) {
      case OpKind::kPut: {
        const Write& w = op_.writes.front();
        return db->Put(wo_, FamilyOf(w.key_id), KeyFor(w.key_id), Value(w));
      }
      case OpKind::kDelete: {
        const uint32_t k = op_.writes.front().key_id;
        return db->Delete(wo_, FamilyOf(k), KeyFor(k));
      }
      case OpKind::kMerge: {
        const Write& w = op_.writes.front();
        return db->Merge(wo_, FamilyOf(w.key_id), KeyFor(w.key_id), Operand(w));
      }
      case OpKind::kBatch:
      case OpKind::kDeleteRange:
        return WriteBatch();
      case OpKind::kFlush:
        return db->Flush(rocksdb::FlushOptions(), store_.families());
      case OpKind::kFlushFamily:
        return db->Flush(rocksdb::FlushOptions(), store_.family(op_.family));
      case OpKind::kSyncWal:
        return db->SyncWAL();
      case OpKind::kFlushWal:
        return db->FlushWAL(op_.sync);
      case OpKind::kCompactRange:
        return CompactEveryFamily();
      case OpKind::kRecreateFamily:
        return RecreateFamily();
      case OpKind::kCheckpoint:
        return CreateCheckpoint(db, CheckpointDir(c_.chain_dir, op_.index));
      case OpKind::kBackup:
        return CreateBackup(db, CheckpointDir(c_.chain_dir, op_.index), wo_.disableWAL);
      case OpKind::kLiveCopy:
        return CreateLiveCopy(db, CheckpointDir(c_.chain_dir, op_.index));
      case OpKind::kTxn:
        return Transaction(op_.writes, /*commit=*/true);
      case OpKind::kTxnRollback:
        return Transaction(op_.rolled_back, /*commit=*/false);
    }
    return rocksdb::Status::NotSupported("unknown op kind");
  }

 private:
  rocksdb::ColumnFamilyHandle* FamilyOf(uint32_t key_id) const {
    return store_.family(c_.layout.Of(key_id));
  }
  std::string Value(const Write& w) const {
    return EncodeValue(c_.seed, w.key_id, op_.index, w.value_bytes, c_.compression_ratio);
  }
  std::string Operand(const Write& w) const {
    return EncodeMergeOperand(c_.seed, w.key_id, op_.index, w.value_bytes, c_.compression_ratio);
  }

  // A batch's writes, or a delete-range split at the family boundaries it crosses: one
  // WriteBatch, all or nothing across the families.
  rocksdb::Status WriteBatch() {
    rocksdb::WriteBatch batch;
    for (const Write& w : Torn(op_.writes)) {
      rocksdb::Status s;
      if (w.kind == Write::Kind::kPut) {
        s = batch.Put(FamilyOf(w.key_id), KeyFor(w.key_id), Value(w));
      } else if (w.kind == Write::Kind::kDelete) {
        s = batch.Delete(FamilyOf(w.key_id), KeyFor(w.key_id));
      } else if (w.kind == Write::Kind::kDeleteRange) {
        for (uint32_t begin = w.key_id; s.ok() && begin < w.end_key_id;) {
          const uint32_t f = c_.layout.Of(begin);
          const uint32_t end = std::min(w.end_key_id, c_.layout.End(f));
          s = batch.DeleteRange(store_.family(f), KeyFor(begin), KeyFor(end));
          begin = end;
        }
      } else {
        s = rocksdb::Status::NotSupported("a merge in a write batch");
      }
      if (!s.ok()) return s;
    }
    return store_.db()->Write(wo_, &batch);
  }

  // CompactRange(nullptr, nullptr) flushes the family's memtable first; every family is
  // compacted, so every acked write is then in a synced SST (src/contract.cc).
  rocksdb::Status CompactEveryFamily() {
    for (rocksdb::ColumnFamilyHandle* h : store_.families()) {
      rocksdb::Status s =
          store_.db()->CompactRange(rocksdb::CompactRangeOptions(), h, nullptr, nullptr);
      if (!s.ok()) return s;
    }
    return rocksdb::Status::OK();
  }

  // RocksDB 7.8.3 writes a drop to the MANIFEST (synced) without syncing the WAL
  // (DBImpl::DropColumnFamilyImpl), and nothing it documents orders the drop after the unsynced
  // writes before it. So the writer does what a careful application does, syncs the WAL
  // first, and the contract counts the op as a sync (src/contract.cc).
  rocksdb::Status RecreateFamily() {
    if (!wo_.disableWAL) {
      rocksdb::Status s = store_.db()->FlushWAL(/*sync=*/true);
      if (!s.ok()) return s;
    }
    return store_.Recreate(op_.family);
  }

  // One transaction: its writes, a Prepare first when it is two-phase (a pessimistic one
  // only, with the WAL on: an optimistic one cannot prepare), then Commit or Rollback.
  rocksdb::Status Transaction(const std::vector<Write>& writes, bool commit) {
    std::unique_ptr<rocksdb::Transaction> txn;
    if (store_.pessimistic() != nullptr) {
      txn.reset(store_.pessimistic()->BeginTransaction(wo_));
    } else if (store_.optimistic() != nullptr) {
      txn.reset(store_.optimistic()->BeginTransaction(wo_));
    } else {
      return rocksdb::Status::InvalidArgument("a transaction op on a store opened without --txn");
    }
    for (const Write& w : commit ? Torn(writes) : writes) {
      rocksdb::Status s;
      if (w.kind == Write::Kind::kPut) {
        s = txn->Put(FamilyOf(w.key_id), KeyFor(w.key_id), Value(w));
      } else if (w.kind == Write::Kind::kDelete) {
        s = txn->Delete(FamilyOf(w.key_id), KeyFor(w.key_id));
      } else if (w.kind == Write::Kind::kMerge) {
        s = txn->Merge(FamilyOf(w.key_id), KeyFor(w.key_id), Operand(w));
      }
      if (!s.ok()) return s;
    }
    if (op_.two_phase && store_.pessimistic() != nullptr && !wo_.disableWAL) {
      rocksdb::Status s = txn->SetName("op-" + std::to_string(op_.index));
      if (s.ok()) s = txn->Prepare();
      if (!s.ok()) return s;
      // TESTS ONLY: the writer dies between Prepare and Commit, so the next open recovers a
      // prepared transaction.
      if (kDiePrepared) ::kill(::getpid(), SIGKILL);
    }
    // TESTS ONLY: a rolled-back transaction that leaves its writes behind.
    if (!commit && kCommitRollbacks) return txn->Commit();
    return commit ? txn->Commit() : txn->Rollback();
  }

  // TESTS ONLY (POWERCUT_TEST_TEAR_ATOMIC): an atomic op applied in part, acked whole. With
  // several families only the writes to its first write's family are kept (a torn cross-family
  // batch), otherwise the first half.
  std::vector<Write> Torn(const std::vector<Write>& writes) const {
    if (writes.size() < 2 || !op_.Atomic() || !kTearAtomic) return writes;
    if (c_.layout.count() == 1) return {writes.begin(), writes.begin() + writes.size() / 2};
    std::vector<Write> kept;
    const uint32_t family = c_.layout.Of(writes.front().key_id);
    for (const Write& w : writes)
      if (c_.layout.Of(w.key_id) == family) kept.push_back(w);
    return kept;
  }

  Store& store_;
  const Op& op_;
  const ExecuteContext& c_;
  rocksdb::WriteOptions wo_;
};

}  // namespace

rocksdb::Status Execute(Store& store, const Op& op, const ExecuteContext& context) {
  return Executor(store, op, context).Run();
}

}  // namespace powercut::harness
