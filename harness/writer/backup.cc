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

constexpr size_t kCopyChunkBytes = 1 << 20;

// Copies the first `size_bytes` of `from` (all of it if UINT64_MAX) to `to`, synced.
rocksdb::IOStatus CopySynced(rocksdb::FileSystem* fs, const std::string& from,
                             const std::string& to, uint64_t size_bytes) {
  const rocksdb::FileOptions options;
  std::unique_ptr<rocksdb::FSSequentialFile> in;
  rocksdb::IOStatus s = fs->NewSequentialFile(from, options, &in, nullptr);
  std::unique_ptr<rocksdb::FSWritableFile> out;
  if (s.ok()) s = fs->NewWritableFile(to, options, &out, nullptr);
  std::string buffer(kCopyChunkBytes, '\0');
  uint64_t left = size_bytes;
  while (s.ok() && left > 0) {
    rocksdb::Slice chunk;
    s = in->Read(std::min<uint64_t>(left, kCopyChunkBytes), rocksdb::IOOptions(), &chunk,
                 buffer.data(), nullptr);
    if (!s.ok() || chunk.empty()) break;
    s = out->Append(chunk, rocksdb::IOOptions(), nullptr);
    left -= chunk.size();
  }
  if (s.ok() && size_bytes != UINT64_MAX && left > 0) {
    s = rocksdb::IOStatus::Corruption(from + " is shorter than GetLiveFiles said");
  }
  if (s.ok()) s = out->Sync(rocksdb::IOOptions(), nullptr);
  if (s.ok()) s = out->Close(rocksdb::IOOptions(), nullptr);
  return s;
}

rocksdb::IOStatus WriteCurrent(rocksdb::FileSystem* fs, const std::string& dir,
                               const std::string& manifest) {
  std::unique_ptr<rocksdb::FSWritableFile> out;
  rocksdb::IOStatus s =
      fs->NewWritableFile(dir + "/CURRENT", rocksdb::FileOptions(), &out, nullptr);
  if (s.ok()) s = out->Append(manifest + "\n", rocksdb::IOOptions(), nullptr);
  if (s.ok()) s = out->Sync(rocksdb::IOOptions(), nullptr);
  if (s.ok()) s = out->Close(rocksdb::IOOptions(), nullptr);
  return s;
}

rocksdb::IOStatus CopyLiveFiles(rocksdb::DB* db, const std::vector<std::string>& files,
                                uint64_t manifest_size_bytes, const std::string& copy_dir) {
  rocksdb::FileSystem* fs = db->GetEnv()->GetFileSystem().get();
  rocksdb::IOStatus s = fs->CreateDirIfMissing(copy_dir, rocksdb::IOOptions(), nullptr);
  std::string manifest;
  for (const std::string& f : files) {  // each "/NAME", relative to the DB folder
    if (!s.ok()) break;
    const std::string name = f.substr(1);
    if (name == "CURRENT") continue;  // written below, naming the MANIFEST copied
    const bool is_manifest = name.rfind("MANIFEST-", 0) == 0;
    if (is_manifest) manifest = name;
    s = CopySynced(fs, db->GetName() + f, copy_dir + f,
                   is_manifest ? manifest_size_bytes : UINT64_MAX);
  }
  if (s.ok() && manifest.empty())
    s = rocksdb::IOStatus::Corruption("GetLiveFiles listed no MANIFEST");
  if (s.ok()) s = WriteCurrent(fs, copy_dir, manifest);
  std::unique_ptr<rocksdb::FSDirectory> dir;
  if (s.ok()) s = fs->NewDirectory(copy_dir, rocksdb::IOOptions(), &dir, nullptr);
  if (s.ok())
    s = dir->FsyncWithDirOptions(rocksdb::IOOptions(), nullptr, rocksdb::DirFsyncOptions());
  return s;
}

}  // namespace

rocksdb::Status CreateLiveCopy(rocksdb::DB* db, const std::string& copy_dir) {
  // An earlier cycle may have died copying this very op: it was never acked.
  rocksdb::Status s = RemoveTree(db->GetEnv()->GetFileSystem().get(), copy_dir);
  if (s.ok()) s = db->DisableFileDeletions();
  if (!s.ok()) return s;
  std::vector<std::string> files;
  uint64_t manifest_size_bytes = 0;
  s = db->GetLiveFiles(files, &manifest_size_bytes, /*flush_memtable=*/true);
  if (s.ok()) s = CopyLiveFiles(db, files, manifest_size_bytes, copy_dir);
  rocksdb::Status enabled = db->EnableFileDeletions(/*force=*/false);
  if (s.ok()) s = enabled;
  return s.ok() ? SyncParentDir(db->GetEnv()->GetFileSystem().get(), copy_dir) : s;
}

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

rocksdb::IOStatus RemoveTree(rocksdb::FileSystem* fs, const std::string& dir) {
  const rocksdb::IOOptions io;
  if (!fs->FileExists(dir, io, nullptr).ok()) return rocksdb::IOStatus::OK();
  std::vector<std::string> children;
  rocksdb::IOStatus s = fs->GetChildren(dir, io, &children, nullptr);
  for (const std::string& c : children) {
    if (!s.ok()) break;
    const std::string path = dir + "/" + c;
    bool is_dir = false;
    s = fs->IsDirectory(path, io, &is_dir, nullptr);
    if (s.ok()) s = is_dir ? RemoveTree(fs, path) : fs->DeleteFile(path, io, nullptr);
  }
  return s.ok() ? fs->DeleteDir(dir, io, nullptr) : s;
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
