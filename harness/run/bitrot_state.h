// Bit rot at rest (`--fault bitrot`): after a cycle's writer is killed, a copy of its store
// gets seeded bits flipped in synced bytes of one file region (faults/bitrot.h) and is judged
// beside the chain, which goes on from the undamaged store. What is allowed: RocksDB refuses
// the damage (the open fails, or a read returns an error: "detected"), or it serves a valid
// prefix of the op stream. Not allowed: a damaged value served as good (corrupt-value,
// silent-corruption), a store no prefix explains (hole, lost-ack within the window), or an
// abort. A WAL record's damage may cost every op from that record on: the window then starts
// at the oldest point the chain's oracle still holds.
#pragma once

#include <cstdint>
#include <string>

#include "faults/bitrot.h"
#include "src/status.h"
#include "src/verdict.h"

namespace powercut::harness {

// The same judging of a copy serves reads that fail (`--read-error-one-in N`): then no bit
// is flipped at rest; the copy's judge reads through harness/writer/read_fault_fs.h instead,
// and any read may have been the WAL record the recovery stopped at.
struct BitrotRequest {
  bool rot = true;                 // flip bits at rest (false: read faults only)
  uint64_t read_error_one_in = 0;  // > 0: the judge's reads fail or flip, one in N

  std::string chain_dir;   // the chain: db/, manifest.jsonl, oracle.bin
  std::string ledger_dir;  // the killed writer's ledger: which bytes are synced
  std::string work_dir;    // scratch, replaced
  std::string keep_dir;    // a failing state is kept here as state-K/ (image/, judge.json)
  size_t keep_index = 0;   // K
  faults::RotTarget target = faults::RotTarget::kSstData;
  uint64_t seed = 0;
  uint64_t lo = 0, hi = 0;  // the kill's window
  uint64_t oldest = 0;      // the oracle's index: the lowest lo a WAL record's loss allows
  std::string judge_store_json;
  std::string writer_path;
  int64_t timeout_ms = 0;
};

struct BitrotResult {
  faults::RotResult rot;  // rot.applied false: no file had bytes of the target to damage
  Verdict verdict;        // PASS when detected or harmless
  bool detected = false;  // RocksDB refused the damage (open or read error)
  std::string state;      // e.g. "bitrot:sst-data@000012.sst+4100^0x24"
  std::string kept_dir;   // on FAIL: where its image and judge.json are
};

// Damages a copy (or reads it through faults), judges it, keeps it on FAIL. A harness
// problem is the returned status.
Status JudgeBitrot(const BitrotRequest& req, BitrotResult* result);

}  // namespace powercut::harness
