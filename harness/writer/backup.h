// The backup op (issue 15): BackupEngine::CreateNewBackup into a folder of the chain while
// writes go on, and its judge, which restores the backup into scratch and opens what it
// restored. A backup acked at op N must restore to the state after exactly op N - 1: the
// writer is sequential, so those were the acked ops when it began.
#pragma once

#include <string>

#include <rocksdb/db.h>
#include <rocksdb/file_system.h>

namespace powercut::harness {

// Backs `db` up into `backup_dir` through the DB's own Env (under a power cut, the ledger's:
// the backup's files are cut like the store's), then fsyncs the folder that holds
// `backup_dir`, whose entry BackupEngine creates but does not sync. flush_before_backup as
// RocksDB's header asks: true when the WAL is off, since the memtable is then nowhere else.
rocksdb::Status CreateBackup(rocksdb::DB* db, const std::string& backup_dir, bool wal_disabled);

// The classic online backup: with file deletions held off, GetLiveFiles(flush_memtable=true)
// and a copy of each listed file into `copy_dir` through the DB's own file system (the MANIFEST
// only up to the size GetLiveFiles gave, CURRENT written to name it), each file synced, then
// `copy_dir` and the folder that holds it. Judged as a checkpoint is: opened read-only, it must
// be the state after the ops acked before it began.
rocksdb::Status CreateLiveCopy(rocksdb::DB* db, const std::string& copy_dir);

// Removes a directory tree through `fs`, so that a ledger sees every deletion it must undo.
rocksdb::IOStatus RemoveTree(rocksdb::FileSystem* fs, const std::string& dir);

// Fsyncs the folder that holds `path`, so `path`'s own entry is durable: what RocksDB 7.8.3
// leaves to the application after CreateCheckpoint and CreateNewBackup.
rocksdb::Status SyncParentDir(rocksdb::FileSystem* fs, const std::string& path);

// Restores the latest backup in `backup_dir` into `restore_dir` (removed first) with the
// default Env: the judge's work, never recorded or cut.
rocksdb::Status RestoreBackup(const std::string& backup_dir, const std::string& restore_dir);

// Where the judge restores the backup of `backup_dir`: beside it, so the chain's clean-up of
// judged checkpoints and backups removes it too.
inline std::string RestoreDirFor(const std::string& backup_dir) { return backup_dir + ".restore"; }

}  // namespace powercut::harness
