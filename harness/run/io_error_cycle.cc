#include "harness/run/io_error_cycle.h"

#include "faults/io_error.h"
#include "src/rng.h"

namespace powercut::harness {

// The parsers' own messages name the value and its choices; the flag goes in front.
Status ValidateIoErrorSettings(const IoErrorSettings& settings) {
  faults::IoSite site;
  Status s = settings.at.empty() ? Status::Ok() : faults::ParseIoSite(settings.at, &site);
  if (!s.ok()) return Status::BadInput("--io-error-at: " + s.message());
  faults::IoErrorStatus status;
  s = settings.status == "mix" ? Status::Ok()
                               : faults::ParseIoErrorStatus(settings.status, &status);
  if (!s.ok()) return Status::BadInput("--io-error: " + s.message() + ", or mix");
  faults::IoErrorMode mode;
  s = settings.mode == "mix" ? Status::Ok() : faults::ParseIoErrorMode(settings.mode, &mode);
  if (!s.ok()) return Status::BadInput("--io-error-mode: " + s.message() + ", or mix");
  return Status::Ok();
}

IoErrorCycle PlanIoErrorCycle(const IoErrorSettings& settings, uint64_t seed, uint64_t local) {
  Rng rng(seed, "io-error", local);
  faults::IoErrorPlan plan;
  if (settings.at.empty()) {
    plan.site = static_cast<faults::IoSite>(rng.Uniform(faults::kIoSiteCount));
  } else {
    faults::ParseIoSite(settings.at, &plan.site);  // validated
  }
  plan.nth = rng.Between(1, faults::MaxNthCall(plan.site));
  if (settings.status == "mix") {
    plan.status = static_cast<faults::IoErrorStatus>(rng.Uniform(faults::kIoErrorStatusCount));
  } else {
    faults::ParseIoErrorStatus(settings.status, &plan.status);
  }
  if (settings.mode == "mix") {
    plan.mode = rng.Uniform(2) == 0 ? faults::IoErrorMode::kOnce : faults::IoErrorMode::kSticky;
  } else {
    faults::ParseIoErrorMode(settings.mode, &plan.mode);
  }
  IoErrorCycle c;
  c.plan = faults::FormatIoErrorPlan(plan);
  c.retries = static_cast<uint32_t>(rng.Between(0, kMaxOpRetries));
  // The error is one event of the cycle; what ends it is one of the faults that judge it.
  const uint64_t pick = rng.Uniform(3);
  c.ending = pick == 0 ? Fault::kKill : pick == 1 ? Fault::kPowerCut : Fault::kClean;
  return c;
}

}  // namespace powercut::harness
