#include "harness/writer/backup.h"

#include <filesystem>
#include <memory>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/utilities/backup_engine.h>

namespace powercut::harness {
namespace {

rocksdb::Status OpenEngine(const std::string& dir, rocksdb::Env* env,
                           std::unique_ptr<rocksdb::BackupEngine>* engine) {
  rocksdb::BackupEngineOptions options(dir, env);
  options.sync = true;  // the default, named: the backup must survive a power cut
  options.max_background_operations = 1;
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(options, env, &raw);
  engine->reset(raw);
  return s;
}

}  // namespace

rocksdb::Status CreateBackup(rocksdb::DB* db, const std::string& backup_dir, bool wal_disabled) {
  std::unique_ptr<rocksdb::BackupEngine> engine;
  rocksdb::Status s = OpenEngine(backup_dir, db->GetEnv(), &engine);
  if (!s.ok()) return s;
  rocksdb::CreateBackupOptions create;
  create.flush_before_backup = wal_disabled;
  s = engine->CreateNewBackup(create, db);
  if (!s.ok()) return s;
  engine.reset();
  return SyncParentDir(db->GetEnv()->GetFileSystem().get(), backup_dir);
}

rocksdb::Status SyncParentDir(rocksdb::FileSystem* fs, const std::string& path) {
  std::unique_ptr<rocksdb::FSDirectory> parent;
  rocksdb::IOStatus io = fs->NewDirectory(std::filesystem::path(path).parent_path().string(),
                                          rocksdb::IOOptions(), &parent, nullptr);
  if (io.ok())
    io = parent->FsyncWithDirOptions(rocksdb::IOOptions(), nullptr, rocksdb::DirFsyncOptions());
  return io;
}

rocksdb::Status RestoreBackup(const std::string& backup_dir, const std::string& restore_dir) {
  std::error_code ec;
  std::filesystem::remove_all(restore_dir, ec);
  if (ec) return rocksdb::Status::IOError("removing " + restore_dir, ec.message());
  // Read-only: judging a backup must not change it (a read-write engine collects the
  // leftovers of an unfinished backup, which are evidence).
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngineReadOnly::Open(
      rocksdb::BackupEngineOptions(backup_dir), rocksdb::Env::Default(), &raw);
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  if (!s.ok()) return s;
  return engine->RestoreDBFromLatestBackup(rocksdb::RestoreOptions(), restore_dir, restore_dir);
}

}  // namespace powercut::harness
