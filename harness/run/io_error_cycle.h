// The injected I/O error of one `--fault io-error` cycle: which call fails, with which status,
// once or sticky, how often the writer retries a failed op, and which fault ends the cycle.
// All of it drawn from the chain's seed and the cycle, so a replay injects the same error.
#pragma once

#include <cstdint>
#include <string>

#include "src/contract.h"
#include "src/status.h"

namespace powercut::harness {

// What `run` was asked for (RunPlan): a site name or "" (seeded among all), a status
// retryable|fatal|nospace|mix, a mode once|sticky|mix.
struct IoErrorSettings {
  std::string at;
  std::string status = "mix";
  std::string mode = "mix";
};

// BadInput naming the flag (--io-error-at, --io-error, --io-error-mode) and its choices.
Status ValidateIoErrorSettings(const IoErrorSettings& settings);

inline constexpr uint32_t kMaxOpRetries = 3;  // a careful application gives up after a few
// A cycle whose error has not fired by its seeded ending time waits for it this much longer
// at most (the writer says so at its next op boundary), then runs its seeded window once more
// after it: ended before its error, a cycle would test nothing of it, and on a slow machine
// most would; ended at the error, nothing of the store's answer to it.
inline constexpr int64_t kMaxIoErrorWaitMs = 2'000;

struct IoErrorCycle {
  std::string plan;             // faults::IoErrorPlan as text, "site:n:status:mode"
  uint32_t retries = 0;         // times the writer retries a failed op (idempotent ops only)
  Fault ending = Fault::kKill;  // kill, power cut or clean close, after the error or not
};

// The error of cycle `local` of a chain with seed `seed`.
IoErrorCycle PlanIoErrorCycle(const IoErrorSettings& settings, uint64_t seed, uint64_t local);

}  // namespace powercut::harness
