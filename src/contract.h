// The durability contract: which acknowledged ops a fault may not take away. It gives the
// durable point lo from the fault, the options in force and the acked ops (DESIGN.md table).
//
// One mechanism serves every rule: a fold over the acked ops tracks how far their bytes have
// got (handed to the OS, synced to the disk), and the fault says which of those marks it
// spares. The rules of RocksDB 7.8.3 that move the marks are in Contract::Advance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/acked_ops.h"
#include "src/op.h"
#include "src/status.h"
#include "src/store_config.h"

namespace powercut {

enum class Fault { kKill, kStall, kPowerCut, kClean };

const char* FaultName(Fault fault);
Status ParseFault(const std::string& text, Fault* fault);  // one kind, not "mix"

// How far an acked op's bytes must have got for the fault to spare them.
enum class Rule {
  kAcked,   // acked is enough: a clean shutdown, or --expect acked
  kInFile,  // handed to the OS (WAL file or SST): a process kill spares them
  kOnDisk,  // synced to the disk (WAL sync, or a flushed SST): a power cut spares them
};

// How far the acked ops have got: every op at or below a mark has got at least that far.
struct Reach {
  uint64_t acked = 0;
  uint64_t in_file = 0;
  uint64_t on_disk = 0;
};

struct Contract {
  Rule rule = Rule::kAcked;
  bool forced = false;  // --expect acked overrode what the options promise
  // The write path the options give an op's bytes (StoreConfig: disableWAL, sync,
  // manual_wal_flush).
  bool wal = true;                // false: writes reach the disk only through a flush
  bool sync_writes = false;       // every write is a sync write
  bool manual_wal_flush = false;  // writes wait in RocksDB's WAL buffer until it is flushed

  // The marks after `op` (acked) moved them; `reach` is where they stood before it.
  // `in_file_before`: the in-file mark of the ops that precede op in real time (reach.in_file
  // with one thread; with concurrent writers the mark as it stood T ops earlier, lanes.h).
  Reach Advance(Reach reach, const Op& op) const { return Advance(reach, op, reach.in_file); }
  Reach Advance(Reach reach, const Op& op, uint64_t in_file_before) const;
  // Advance without its last rule (an op that writes nothing moves a mark at the op before it
  // past it): only what the op's own completion did — its bytes handed over, its sync, its
  // flush. With concurrent writers only these make the ops before it durable too.
  Reach AdvanceOwn(Reach reach, const Op& op, uint64_t in_file_before) const;
  // e.g. "kill: lo = last acked op (its WAL bytes are in the kernel)"
  std::string Describe(Fault fault) const;
};

Contract ContractFor(Fault fault, const StoreConfig& config, bool expect_acked);

struct Durability {
  uint64_t lo = 0;  // the durable point: every op up to it must survive
  // Concurrent writers only: ops above lo that must survive too (src/verifier.h Concurrency).
  std::vector<uint64_t> required;
  std::vector<uint64_t> checkpoints;  // checkpoint ops acked: each must open as its state
  Reach reach;                        // where the marks stand after the cycle's acked ops
};

// Where a chain's marks stand when a writer starts writing on from the recovered point r: r
// was read back, so it is acked and in a file; on disk is only what earlier cycles made so
// (`carried_on_disk`), since a kill leaves unsynced bytes that a later power cut may still
// lose (DESIGN.md, "Durability carries across cycles").
Reach RecoveredReach(uint64_t r, uint64_t carried_on_disk);

// What a cycle whose marks stood at `start`, then had ops resume … acked acknowledged, may
// not lose.
Durability DurableAfter(const Contract& contract, const OpSource& ops, Reach start, uint64_t resume,
                        uint64_t acked);

// The same for `threads` concurrent writers (workloads/lanes.h), whose acked ops need not be a
// prefix. A mark that an op's completion moved to that op (its own bytes handed over, its sync,
// its flush) makes the op durable and, with it, every op that precedes it in real time: all
// ops at least T before it. The durable set is the union over the marks' values; lo is its
// longest prefix and `required` the rest. With one thread it is DurableAfter above.
Durability DurableAfter(const Contract& contract, const OpSource& ops, Reach start, uint64_t resume,
                        const AckedOps& acked, uint32_t threads);

}  // namespace powercut
