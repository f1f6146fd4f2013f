#include "src/contract.h"

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

bool Contract::Covers(const Op& op) const {
  const bool sync_write = op.ChangesState() && op.sync;
  switch (rule) {
    case Rule::kAcked:
      return true;
    case Rule::kWalFlushCovered:
      return sync_write || op.kind == OpKind::kSyncWal || op.kind == OpKind::kFlushWal ||
             op.kind == OpKind::kFlush;
    case Rule::kSyncCovered:
      return sync_write || op.kind == OpKind::kSyncWal || (op.kind == OpKind::kFlushWal && op.sync);
    case Rule::kFlushCovered:
      return op.kind == OpKind::kFlush;
  }
  return false;
}

std::string Contract::Describe(Fault fault) const {
  std::string what;
  switch (rule) {
    case Rule::kAcked:
      what = "lo = last acked op";
      break;
    case Rule::kWalFlushCovered:
      what = "lo = last acked op covered by a completed FlushWAL, SyncWAL, sync write or Flush";
      break;
    case Rule::kSyncCovered:
      what = "lo = last acked op covered by a completed sync write, SyncWAL or FlushWAL(sync)";
      break;
    case Rule::kFlushCovered:
      what = "lo = last acked op covered by a completed, waited-for Flush";
      break;
  }
  return std::string(FaultName(fault)) + (forced ? " (--expect acked)" : "") + ": " + what;
}

Durability DurableAfter(const Contract& contract, const OpSource& ops, uint64_t r, uint64_t resume,
                        uint64_t acked) {
  Durability d;
  d.lo = r;  // what the open recovered was read back from disk: it must stay
  for (uint64_t i = resume; i <= acked; ++i) {
    const Op op = ops.Get(i);
    if (contract.Covers(op)) d.lo = i;
    if (op.kind == OpKind::kCheckpoint) d.checkpoints.push_back(i);
  }
  return d;
}

Contract ContractFor(Fault fault, const StoreConfig& config, bool expect_acked) {
  Contract c;
  if (expect_acked || fault == Fault::kClean) {
    c.rule = Rule::kAcked;
    c.forced = expect_acked;
    return c;
  }
  if (config.disable_wal) {
    c.rule = Rule::kFlushCovered;
  } else if (fault == Fault::kPowerCut) {
    c.rule = config.sync ? Rule::kAcked : Rule::kSyncCovered;
  } else {
    c.rule = config.manual_wal_flush() && !config.sync ? Rule::kWalFlushCovered : Rule::kAcked;
  }
  return c;
}

}  // namespace powercut
