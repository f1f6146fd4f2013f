// The writer child: opens a chain's store (this is the recovery being tested), verifies it
// against the oracle, and, if it passes, executes ops from the recovered point on, telling
// the controller `issued i` before and `acked i` after each op on stdout, until it is killed.
// What it says, and how it is started, is the protocol in harness/protocol/.
#pragma once

#include "harness/protocol/writer_args.h"

namespace powercut::harness {

int RunWriter(const WriterArgs& args);

}  // namespace powercut::harness
