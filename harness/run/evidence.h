// Evidence: what a failing cycle leaves behind so that one command can reproduce it from the
// report folder alone. Before each cycle the chain's store is snapshotted cheaply (hard links
// for immutable SST files, copies of the rest); only the latest snapshots are kept while
// cycles pass, so disk use stays flat. On FAIL the snapshot, the store as recovered, the
// ledger, the manifest, the oracle, the writers' stderr and RocksDB's LOG move to
// REPORT_DIR/failures/<cycle>/ with a summary and replay.json.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "src/status.h"
#include "src/verdict.h"

namespace powercut::harness {

// Copies chain_dir's db/, checkpoints/ and oracle.bin into `to` (created; replaced if there).
Status SnapshotChain(const std::string& chain_dir, const std::string& to);

// Copies a store directory: SST files hard-linked (they are immutable), the rest copied.
// SSTs are hard-linked (RocksDB never rewrites one) unless `link_ssts` is false: a copy that
// will be damaged on purpose must own its bytes.
Status CopyStore(const std::string& from, const std::string& to, bool link_ssts = true);

struct EvidenceInput {
  std::string chain_dir;
  std::string before_dir;       // the snapshot taken before the failing cycle's writer started
  std::string ledger_dir;       // the failing cycle's ledger
  std::string writer_stderr;    // the failing cycle's writer
  std::string verifier_stderr;  // the writer whose open judged it
  nlohmann::json replay;        // what `powercut replay` needs, see replay_command.h
  Verdict verdict;
};

// Writes REPORT_DIR/failures/<cycle>/. The chain is not changed except that before_dir moves.
Status KeepEvidence(const EvidenceInput& in, const std::string& evidence_dir);

// The evidence folder `powercut replay REPORT.json --cycle N [--shard I/N]` reads: a run's
// REPORT_DIR/failures/N/, or a merged report's REPORT_DIR/failures/shard-I-of-N/N/. Without
// `shard` in a merged report, the one shard that kept evidence for cycle N; every shard
// numbers its cycles from 1, so more than one is bad input naming the --shard choices. A
// missing folder of a run's own report is left to the caller's check of replay.json; every
// other miss is BadInput, one line naming the fix.
Status FindEvidence(const std::string& report_path, uint64_t cycle, const std::string& shard,
                    std::string* evidence_dir);

}  // namespace powercut::harness
