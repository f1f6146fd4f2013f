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

Reach Contract::Advance(Reach reach, const Op& op, uint64_t in_file_before) const {
  const uint64_t i = op.index;
  reach = AdvanceOwn(reach, op, in_file_before);
  // An op that writes nothing has nothing to lose: a mark at the op before it moves past it.
  if (!op.ChangesState()) {
    if (reach.in_file + 1 == i) reach.in_file = i;
    if (reach.on_disk + 1 == i) reach.on_disk = i;
  }
  return reach;
}

Reach Contract::AdvanceOwn(Reach reach, const Op& op, uint64_t in_file_before) const {
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
    if (op.kind == OpKind::kSyncWal) reach.on_disk = std::max(reach.on_disk, in_file_before);
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
  return DurableAfter(contract, ops, start, resume, AckedOps(acked), 1);
}

namespace {

uint64_t MarkOf(Rule rule, const Reach& reach) {
  switch (rule) {
    case Rule::kAcked:
      return reach.acked;
    case Rule::kInFile:
      return reach.in_file;
    case Rule::kOnDisk:
      return reach.on_disk;
  }
  return reach.acked;
}

}  // namespace

namespace {

// A checkpoint or backup that returned OK is also judged on its own: it must open (a backup:
// restore) as its state.
bool JudgedOnItsOwn(const Op& op) {
  return op.kind == OpKind::kCheckpoint || op.kind == OpKind::kBackup ||
         op.kind == OpKind::kLiveCopy;
}

// One thread: acks come in order, and a mark at op i means every op up to i.
Durability DurableInOrder(const Contract& contract, const OpSource& ops, Reach start,
                          uint64_t resume, uint64_t acked) {
  Durability d;
  Reach reach = start;
  for (uint64_t i = resume; i <= acked; ++i) {
    const Op op = ops.Get(i);
    reach = contract.Advance(reach, op);
    if (JudgedOnItsOwn(op)) d.checkpoints.push_back(i);
  }
  d.lo = MarkOf(contract.rule, reach);
  d.reach = reach;
  return d;
}

// The largest prefix a closure mark (an op made durable with every op T or more before it)
// makes whole, given the start's prefix.
uint64_t PrefixOf(uint64_t mark, uint64_t start, uint32_t threads) {
  return mark <= start ? start : std::max(start, mark >= threads ? mark - threads : 0);
}

}  // namespace

Durability DurableAfter(const Contract& contract, const OpSource& ops, Reach start, uint64_t resume,
                        const AckedOps& acked, uint32_t threads) {
  if (threads == 1) return DurableInOrder(contract, ops, start, resume, acked.prefix);
  Durability d;
  // Only the marks an op's own completion moved are closures (Contract::AdvanceOwn): the
  // rule that moves a mark past an op that writes nothing says nothing of the ops in flight.
  Reach own = start;
  // The acked ops in index order: the prefix, then those acked out of order above it.
  std::vector<uint64_t> order;
  for (uint64_t i = resume; i <= acked.prefix; ++i) order.push_back(i);
  for (uint64_t i : acked.above) order.push_back(i);
  // (op, own in-file mark after it), for the in-file mark of the ops T before a SyncWAL.
  std::vector<std::pair<uint64_t, uint64_t>> in_file_after;
  const uint64_t start_mark = MarkOf(contract.rule, start);
  std::vector<uint64_t> marks;  // every value the contract's own mark took in the cycle
  size_t preceding = 0;         // in_file_after[0, preceding) are the ops T or more before i
  for (uint64_t i : order) {
    const Op op = ops.Get(i);
    // Marks only grow: the mark after the last op that precedes i covers all before it.
    while (preceding < in_file_after.size() && in_file_after[preceding].first + threads <= i)
      preceding++;
    const uint64_t before = preceding == 0 ? start.in_file : in_file_after[preceding - 1].second;
    const uint64_t mark_was = MarkOf(contract.rule, own);
    own = contract.AdvanceOwn(own, op, before);
    in_file_after.emplace_back(i, own.in_file);
    if (MarkOf(contract.rule, own) != mark_was) marks.push_back(MarkOf(contract.rule, own));
    if (JudgedOnItsOwn(op)) d.checkpoints.push_back(i);
  }
  // The durable set: the start's prefix, every op T or more before the last mark, and each
  // value the mark took; lo is its longest prefix.
  d.lo = PrefixOf(MarkOf(contract.rule, own), start_mark, threads);
  std::sort(marks.begin(), marks.end());
  for (uint64_t m : marks) {
    if (m == d.lo + 1) {
      d.lo = m;
    } else if (m > d.lo) {
      d.required.push_back(m);
    }
  }
  d.required.erase(
      std::remove_if(d.required.begin(), d.required.end(), [&](uint64_t m) { return m <= d.lo; }),
      d.required.end());
  // What carries to the next cycle is a prefix (RecoveredReach): the marks' whole prefixes.
  d.reach.acked = acked.prefix;
  d.reach.in_file = PrefixOf(own.in_file, start.in_file, threads);
  d.reach.on_disk = PrefixOf(own.on_disk, start.on_disk, threads);
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
