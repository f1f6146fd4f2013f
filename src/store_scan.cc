#include "src/store_scan.h"

#include <memory>

namespace powercut {

Status ScanStore(rocksdb::DB* db, StoreImage* image, bool verify_checksums) {
  rocksdb::ReadOptions ro;
  ro.verify_checksums = verify_checksums;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    image->Add(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()));
  }
  if (!it->status().ok()) return Status::Corruption("scan failed: " + it->status().ToString());
  return Status::Ok();
}

}  // namespace powercut
