// Combines the reports of the shards of one run (powercut run --shard I/N) into the report
// of the whole run, for `powercut merge`.
#pragma once

#include <string_view>
#include <vector>

#include "reports/run_result.h"
#include "src/status.h"

namespace powercut::reports {

// BadInput with one line, and `merged` untouched, when the reports are not shards of one
// run: no report; a schema version other than kReportSchemaVersion or differing ones; a
// shard field that is not "I/N" (an unsharded or already merged report); shards of
// different N; the same shard twice; different seed, plan, contract or tool_version.
//
// Otherwise: cycles are concatenated in shard order, each tagged with its shard; totals are
// the sums; duration_s is the longest shard's (shards run in parallel); started_at the
// earliest; shard becomes "merged 1/2,2/2". The merge is complete only when every shard is
// complete and all N shards are present; incomplete_reason then names the missing or
// interrupted shards.
Status MergeReports(const std::vector<RunResult>& shards, RunResult* merged);

// "I/N" with 1 <= I <= N, as run --shard and a merged report's cycles name a shard.
bool IsShardName(std::string_view shard);

}  // namespace powercut::reports
