// The store as the writer opens it: a DB, or a TransactionDB or OptimisticTransactionDB over
// one (WorkloadSpec::txn), with a handle for each of the chain's column families
// (src/families.h). Every open of a chain's store, checkpoint, live copy or restored backup
// goes through here, so they all see the same families and the same transaction log format.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/optimistic_transaction_db.h>
#include <rocksdb/utilities/transaction_db.h>

namespace powercut::harness {

struct StoreShape {
  uint32_t families = 1;
  std::string txn = "none";  // none, pessimistic, optimistic
};

class Store {
 public:
  // Read-write. A family of the chain's that is missing is created: a crash between a drop
  // and the create that follows it leaves one missing, and its keys are then gone, as the
  // drop made them. Families RocksDB lists that are not the chain's are opened too (RocksDB
  // demands it) and their keys reported as foreign.
  static rocksdb::Status Open(rocksdb::Options options, const std::string& dir,
                              const StoreShape& shape, std::unique_ptr<Store>* store);
  // Read-only, as a plain DB (checkpoints, copies, restored backups): judging must not change
  // them. A missing family is read as an empty one.
  static rocksdb::Status OpenForReadOnly(rocksdb::Options options, const std::string& dir,
                                         const StoreShape& shape, std::unique_ptr<Store>* store);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();  // handles first, then the DB

  // The DB writes and reads go through: the transaction DB when there is one.
  rocksdb::DB* db() const { return db_; }
  // Family f's handle; null only for a read-only open that found f missing.
  rocksdb::ColumnFamilyHandle* family(uint32_t f) const { return handles_[f]; }
  const std::vector<rocksdb::ColumnFamilyHandle*>& families() const { return handles_; }
  // Handles of families that are not the chain's, for the scan to report as foreign.
  const std::vector<rocksdb::ColumnFamilyHandle*>& foreign() const { return foreign_; }

  rocksdb::TransactionDB* pessimistic() const { return pessimistic_; }
  rocksdb::OptimisticTransactionDB* optimistic() const { return optimistic_; }

  // DropColumnFamily then CreateColumnFamily of family f (never 0), with the same options.
  rocksdb::Status Recreate(uint32_t f);
  // Rolls back every transaction recovered in the prepared state (a writer died between its
  // Prepare and its Commit): the op was never acked, and the writer issues it again.
  // `rolled_back` counts them.
  rocksdb::Status RollbackRecovered(size_t* rolled_back);
  // Handles destroyed, then DB::Close. The Store is spent afterwards.
  rocksdb::Status Close();

 private:
  Store() = default;
  rocksdb::Status OpenFamilies(const rocksdb::Options& options, const std::string& dir,
                               const StoreShape& shape, bool read_only);
  void DestroyHandles();

  rocksdb::DB* db_ = nullptr;  // owned; the transaction DB when there is one
  rocksdb::TransactionDB* pessimistic_ = nullptr;
  rocksdb::OptimisticTransactionDB* optimistic_ = nullptr;
  rocksdb::ColumnFamilyOptions family_options_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // by family id
  std::vector<rocksdb::ColumnFamilyHandle*> foreign_;
  bool closed_ = false;
};

}  // namespace powercut::harness
