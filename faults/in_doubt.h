// The one call a dead writer may leave in doubt: its last namespace intent, recorded before
// its call (faults/ledger.h, "Intents"), whose call the SIGKILL may have come before. The disk
// decides: the cut replays the ledger without the intent when the call was never made.
#pragma once

#include <string>
#include <vector>

#include "faults/ledger.h"

namespace powercut::faults {

// Erases the last namespace intent from `records` (keeping every ordinal) when the tree under
// `base` and the keep folder of `ledger_dir` show that its call was not made. Reads only.
// A name the replay would refuse is left for it to refuse.
void DropUnmadeCall(const std::string& base, const std::string& ledger_dir,
                    std::vector<LedgerRecord>* records);

}  // namespace powercut::faults
