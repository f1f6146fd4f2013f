// The narrative of a crash state, for the RocksDB engineer who has to act on a failure: what
// the crash was, which ops had been issued and acked by then, and, for a power cut, which file
// kept or lost which of its unsynced byte ranges and which ops those bytes carried, e.g.
// "000031.log lost its unsynced bytes 4,096..65,492 (ops 3,509..3,837) while 000036.log kept
// 0..41,220 (ops 3,838..4,032)". Bytes are mapped to ops through the ledger: an append to a
// WAL between `issued i` and `acked i` carries op i (the writer executes one op at a time).
#pragma once

#include <string>

#include "faults/crash_image.h"

namespace powercut::faults {

// `at` is trace.ReplayAt(state.event).
std::string NarrateCrashState(const Trace& trace, const CrashState& state, const Replay& at);

}  // namespace powercut::faults
