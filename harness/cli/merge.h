// `powercut merge REPORT.json... --out DIR`: combines the reports of the shards of one run
// into the report of the whole run (reports/merge.h), written like a run's report folder.
#pragma once

#include <string>
#include <vector>

namespace powercut::harness {

// Exit status: 0 merged and written; 2 with one line on stderr when a report cannot be read
// or is malformed, the merge is refused (different plans, schema versions, a shard twice),
// or `out_dir` cannot be used (not writable, or holding files powercut did not create). On
// 2 nothing is written. An incomplete merge (a shard missing or interrupted) is still
// written, exit 0: it is a faithful report, and the gate refuses it.
int MergeCommand(const std::vector<std::string>& report_paths, const std::string& out_dir);

}  // namespace powercut::harness
