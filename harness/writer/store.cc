#include "harness/writer/store.h"

#include <algorithm>

#include "src/families.h"

namespace powercut::harness {
namespace {

// Family id of a RocksDB family name of the chain's, or `count` for a name that is not one.
uint32_t FamilyIdOf(const std::string& name, uint32_t count) {
  for (uint32_t f = 0; f < count; ++f) {
    if (name == FamilyName(f)) return f;
  }
  return count;
}

}  // namespace

rocksdb::Status Store::Open(rocksdb::Options options, const std::string& dir,
                            const StoreShape& shape, std::unique_ptr<Store>* store) {
  std::unique_ptr<Store> s(new Store());
  rocksdb::Status st = s->OpenFamilies(options, dir, shape, /*read_only=*/false);
  for (uint32_t f = 0; st.ok() && f < shape.families; ++f) {
    if (s->handles_[f] == nullptr)
      st = s->db_->CreateColumnFamily(s->family_options_, FamilyName(f), &s->handles_[f]);
  }
  if (st.ok()) *store = std::move(s);
  return st;
}

rocksdb::Status Store::OpenForReadOnly(rocksdb::Options options, const std::string& dir,
                                       const StoreShape& shape, std::unique_ptr<Store>* store) {
  std::unique_ptr<Store> s(new Store());
  rocksdb::Status st = s->OpenFamilies(options, dir, shape, /*read_only=*/true);
  if (st.ok()) *store = std::move(s);
  return st;
}

rocksdb::Status Store::OpenFamilies(const rocksdb::Options& given, const std::string& dir,
                                    const StoreShape& shape, bool read_only) {
  rocksdb::Options options = given;
  // A TransactionDB forces allow_2pc on (PessimisticTransactionDB's PrepareWrap); a plain open
  // of its checkpoint must read the same prepare and commit markers in the WAL.
  if (shape.txn == "pessimistic") options.allow_2pc = true;
  family_options_ = rocksdb::ColumnFamilyOptions(options);
  const rocksdb::DBOptions db_options(options);
  std::vector<std::string> names;
  rocksdb::Status st = rocksdb::DB::ListColumnFamilies(db_options, dir, &names);
  // No store yet (its first open creates it): the default family alone. Any other failure
  // to read the family list is the recovery's, and the open's verdict.
  if (!st.ok() && !read_only && !options.env->FileExists(dir + "/CURRENT").ok()) {
    names = {rocksdb::kDefaultColumnFamilyName};
  } else if (!st.ok()) {
    return st;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) descriptors.emplace_back(name, family_options_);
  std::vector<rocksdb::ColumnFamilyHandle*> opened;
  if (read_only) {
    st = rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, &opened, &db_);
  } else if (shape.txn == "pessimistic") {
    st = rocksdb::TransactionDB::Open(db_options, rocksdb::TransactionDBOptions(), dir, descriptors,
                                      &opened, &pessimistic_);
    db_ = pessimistic_;
  } else if (shape.txn == "optimistic") {
    st =
        rocksdb::OptimisticTransactionDB::Open(db_options, dir, descriptors, &opened, &optimistic_);
    db_ = optimistic_;
  } else {
    st = rocksdb::DB::Open(db_options, dir, descriptors, &opened, &db_);
  }
  if (!st.ok()) return st;
  handles_.assign(shape.families, nullptr);
  for (size_t i = 0; i < opened.size(); ++i) {
    const uint32_t f = FamilyIdOf(names[i], shape.families);
    (f < shape.families ? handles_[f] : foreign_.emplace_back()) = opened[i];
  }
  return st;
}

rocksdb::Status Store::Recreate(uint32_t f) {
  if (f == 0 || f >= handles_.size() || handles_[f] == nullptr)
    return rocksdb::Status::InvalidArgument("no column family to recreate");
  rocksdb::Status st = db_->DropColumnFamily(handles_[f]);
  if (!st.ok()) return st;
  db_->DestroyColumnFamilyHandle(handles_[f]);
  handles_[f] = nullptr;
  return db_->CreateColumnFamily(family_options_, FamilyName(f), &handles_[f]);
}

rocksdb::Status Store::RollbackRecovered(size_t* rolled_back) {
  *rolled_back = 0;
  if (pessimistic_ == nullptr) return rocksdb::Status::OK();
  std::vector<rocksdb::Transaction*> prepared;
  pessimistic_->GetAllPreparedTransactions(&prepared);
  *rolled_back = prepared.size();
  rocksdb::Status st;
  for (rocksdb::Transaction* txn : prepared) {
    if (st.ok()) st = txn->Rollback();
    delete txn;
  }
  return st;
}

void Store::DestroyHandles() {
  for (auto* list : {&handles_, &foreign_}) {
    for (rocksdb::ColumnFamilyHandle*& h : *list) {
      if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
      h = nullptr;
    }
  }
}

rocksdb::Status Store::Close() {
  if (closed_ || db_ == nullptr) return rocksdb::Status::OK();
  closed_ = true;
  DestroyHandles();
  return db_->Close();
}

Store::~Store() {
  if (db_ == nullptr) return;
  if (!closed_) DestroyHandles();
  delete db_;
}

}  // namespace powercut::harness
