// A merged report keeps its shards' evidence, so that every reproduce line in it works from
// the merged folder alone, with the shard folders gone: `powercut merge` copies each shard's
// failures/ into MERGED/failures/shard-I-of-N/ (EvidenceDir) and points every replay line at
// the merged report and the shard:
//   powercut replay MERGED/report.json --cycle 4 --shard 1/2
#pragma once

#include <string>
#include <vector>

#include "reports/run_result.h"
#include "src/status.h"

namespace powercut::reports {

struct ShardFolder {
  std::string shard;  // "I/N", as the shard's report names it
  std::string dir;    // the folder that holds the shard's report.json and failures/
};

// True when the cycle's line is a `powercut replay` (the run kept its evidence), as opposed
// to a `powercut run` line for a failure past --max-failures.
bool HasReplayLine(const CycleResult& c);

// Points every replay line of `merged`'s failing cycles (the cycle's own, and those of its
// failing crash states) at the merged folder `merged_dir`, as the user wrote it (a line is
// run from where merge ran, as a run's own lines are): `powercut replay
// MERGED_DIR/report.json --cycle N --shard I/N [--state S]`. Reads, writing nothing: BadInput
// naming the shard, cycle and fix, with `merged` untouched, when a shard folder lacks such a
// cycle's failures/<cycle>/ or holds a damaged replay.json there, since the merged line would
// then point at nothing.
Status PointReplayLinesAtMerge(const std::vector<ShardFolder>& folders,
                               const std::string& merged_dir, RunResult* merged);

// Copies each shard's failures/ into `to`/shard-I-of-N/ (`to` created), every file
// hard-linked where the file system allows and copied where not; each cycle's replay.json and
// summary.txt are written anew (never through a link) with `merged`'s line for that cycle.
// IoError naming the path on failure; the caller removes `to`.
Status StageShardEvidence(const std::vector<ShardFolder>& folders, const RunResult& merged,
                          const std::string& to);

}  // namespace powercut::reports
