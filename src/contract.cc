#include "src/contract.h"

#include <algorithm>

namespace powercut {

const char* FaultName(Fault fault) {
  switch (fault) {
    case Fault::kKill:
      return "kill";
    case Fault::kStall:
      return "stall";
    case Fault::kPowerCut:
      return "power-cut";
    case Fault::kClean:
      return "clean";
  }
  return "?";
}

Status ParseFault(const std::string& text, Fault* fault) {
  for (Fault f : {Fault::kKill, Fault::kStall, Fault::kPowerCut, Fault::kClean}) {
    if (text == FaultName(f)) return *fault = f, Status::Ok();
  }
  return Status::BadInput("unknown fault '" + text + "': use kill, stall, power-cut, clean or mix");
}

namespace {

// True if the op, once it returned OK, has flushed the memtable and waited for the flush
// (RocksDB 7.8.3, the calls the writer makes): every acked op before it is then in SST files
// that RocksDB synced, with the MANIFEST that names them.
bool FlushesMemtable(const Op& op) {
  switch (op.kind) {
    case OpKind::kFlush:  // DB::Flush(FlushOptions()): FlushOptions::wait is true
      return true;
    case OpKind::kCompactRange:
      // CompactRange(CompactRangeOptions(), nullptr, nullptr): DBImpl::CompactRangeInternal
      // (db/db_impl/db_impl_compaction_flush.cc) keeps flush_needed = true unless both ends
      // are given, and calls FlushMemTable with a default FlushOptions (wait) first.
      return true;
    case OpKind::kCheckpoint:
      // CreateCheckpoint(dir), log_size_for_flush = 0: CheckpointImpl::CreateCustomCheckpoint
      // (utilities/checkpoint/checkpoint_impl.cc) calls DBImpl::GetLiveFilesStorageInfo
      // (db/db_filesnapshot.cc) with wal_size_for_flush = 0, which flushes every column family
      // through FlushForGetLiveFiles (FlushMemTable, FlushOptions(): waited for).
      return true;
    default:
      return false;
  }
}

// The words for what makes an op durable, or "" when every acked op is.
std::string Covering(const Contract& c) {
  const std::string flush = "waited-for Flush (or compact-range or checkpoint, which flush first)";
  if (c.rule == Rule::kAcked) return "";
  if (!c.wal) return " covered by a completed, " + flush;
  if (c.sync_writes) return " (every write is a sync write)";
  if (c.rule == Rule::kInFile && !c.manual_wal_flush) return " (its WAL bytes are in the kernel)";
  if (c.rule == Rule::kInFile) {
    return " covered by a completed FlushWAL, sync write or " + flush +
           "; SyncWAL alone does not flush the WAL buffer";
  }
  if (!c.manual_wal_flush) {
    return " covered by a completed sync write, SyncWAL or FlushWAL(sync), or a " + flush;
  }
  return " covered by a completed sync write, FlushWAL(sync) or " + flush +
         ", or by a SyncWAL up to the last FlushWAL before it (SyncWAL alone does not flush the "
         "WAL buffer)";
}

}  // namespace

Reach Contract::Advance(Reach reach, const Op& op) const {
  const uint64_t i = op.index;
  reach.acked = i;
  if (FlushesMemtable(op)) {
    reach.in_file = reach.on_disk = i;
  } else if (wal && op.kind == OpKind::kRecreateFamily) {
    // The writer syncs the WAL before the drop (harness/writer/execute.cc); the drop and the
    // create are synced MANIFEST records.
    reach.in_file = reach.on_disk = i;
  } else if (wal) {
    const bool sync_write = op.ChangesState() && (sync_writes || op.sync);
    // log::Writer::AddRecord hands each record to the file unless manual_wal_flush keeps it
    // in the buffer; FlushWAL writes the buffer out (DBImpl::FlushWAL), and so does a sync
    // write (WritableFileWriter::Sync flushes before it syncs).
    if (!manual_wal_flush || sync_write || op.kind == OpKind::kFlushWal) reach.in_file = i;
    if (sync_write || (op.kind == OpKind::kFlushWal && op.sync)) reach.on_disk = i;
    // DBImpl::SyncWAL syncs the WAL files without flushing the buffer (SyncWithoutFlush): it
    // makes durable what an earlier op handed to the file, no more (RocksDB PR 15191).
    if (op.kind == OpKind::kSyncWal) reach.on_disk = std::max(reach.on_disk, reach.in_file);
  }
  // An op that writes nothing has nothing to lose: a mark at the op before it moves past it.
  if (!op.ChangesState()) {
    if (reach.in_file + 1 == i) reach.in_file = i;
    if (reach.on_disk + 1 == i) reach.on_disk = i;
  }
  return reach;
}

std::string Contract::Describe(Fault fault) const {
  return std::string(FaultName(fault)) + (forced ? " (--expect acked)" : "") +
         ": lo = last acked op" + Covering(*this);
}

Reach RecoveredReach(uint64_t r, uint64_t carried_on_disk) {
  return Reach{r, r, std::min(r, carried_on_disk)};
}

Durability DurableAfter(const Contract& contract, const OpSource& ops, Reach start, uint64_t resume,
                        uint64_t acked) {
  Durability d;
  Reach reach = start;
  for (uint64_t i = resume; i <= acked; ++i) {
    const Op op = ops.Get(i);
    reach = contract.Advance(reach, op);
    // A checkpoint or backup that returned OK is also judged on its own: it must open (a
    // backup: restore) as its state.
    if (op.kind == OpKind::kCheckpoint || op.kind == OpKind::kBackup ||
        op.kind == OpKind::kLiveCopy)
      d.checkpoints.push_back(i);
  }
  switch (contract.rule) {
    case Rule::kAcked:
      d.lo = reach.acked;
      break;
    case Rule::kInFile:
      d.lo = reach.in_file;
      break;
    case Rule::kOnDisk:
      d.lo = reach.on_disk;
      break;
  }
  d.reach = reach;
  return d;
}

Contract ContractFor(Fault fault, const StoreConfig& config, bool expect_acked) {
  Contract c;
  c.wal = !config.disable_wal;
  c.sync_writes = config.sync;
  c.manual_wal_flush = config.manual_wal_flush();
  c.forced = expect_acked;
  if (expect_acked || fault == Fault::kClean) {
    c.rule = Rule::kAcked;  // DB::Close writes out the WAL buffer and, without a WAL, flushes
  } else if (fault == Fault::kPowerCut) {
    c.rule = Rule::kOnDisk;
  } else {
    c.rule = Rule::kInFile;  // a stall ends in SIGKILL, or goes on after SIGCONT
  }
  return c;
}

}  // namespace powercut
