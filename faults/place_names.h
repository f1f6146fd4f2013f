// The namespace half of the power cut (faults/power_cut.cc does the bytes): makes the
// directories and file names under the base look as the replay says they durably are.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "faults/power_cut.h"
#include "faults/replay.h"
#include "src/status.h"

namespace powercut::faults {

// Moves each surviving directory back to where it durably is (recreating one whose removal
// did not survive), removes directories that do not survive with everything in them, then
// points every file name the ledger mentions at its durable inode: uncovered creations
// removed, uncovered renames and deletions undone from keep/. Paths in `replay` are relative
// to `base`. `final_paths` gets one surviving absolute name per surviving inode.
Status PlaceNames(const Replay& replay, const std::string& ledger_dir, const std::string& base,
                  const std::string& ledger_path, std::map<uint32_t, std::string>* final_paths,
                  CutStats* stats);

}  // namespace powercut::faults
