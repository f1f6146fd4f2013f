// `powercut replay REPORT.json --cycle N`: re-runs one failing cycle from the report folder
// alone (REPORT_DIR/failures/N/): restores the store as it was before the cycle, runs the same
// writer ops from the same resume index with the same options, crashes at the same
// file-system event, applies the same cut, judges the store, and says whether the verdict
// agrees with the report's. A replay that disagrees is a finding too: exit 1.
#pragma once

#include <cstdint>
#include <string>

namespace powercut::harness {

// `shard` ("I/N", or empty) picks the shard of a merged report (REPORT_DIR/failures/
// shard-I-of-N/N/, see harness/run/evidence.h FindEvidence).
int ReplayCommand(const std::string& report_path, uint64_t cycle, const std::string& work_dir,
                  const std::string& writer_path, const std::string& shard = "");

}  // namespace powercut::harness
