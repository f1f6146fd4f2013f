// Reading a writer's open and verification: `ready`, then `verdict`, under one deadline.
// Shared by the cycle loop and `powercut verify`, so both judge a store the same way.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "harness/run/child_process.h"
#include "src/status.h"
#include "src/verdict.h"

namespace powercut::harness {

// The verdict on the store as the child's open recovered it: the child's own, or
// recovery-hang past timeout_ms, or unrecoverable if it died or refused to open.
// *harness is set non-OK only when the child broke the protocol or reported a problem of the
// harness's own (`harness-error`, e.g. a full disk): the verdict returned then means nothing.
// The writer's store metrics, if it sent them, go to *metrics.
Verdict AwaitVerdict(ChildProcess* child, uint64_t lo, uint64_t hi, int64_t timeout_ms,
                     double* recovery_ms, std::map<std::string, double>* metrics, Status* harness);

}  // namespace powercut::harness
