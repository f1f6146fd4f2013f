#include "harness/run/io_error_cycle.h"

#include "faults/io_error.h"
#include "src/rng.h"

namespace powercut::harness {

Status ValidateIoErrorSettings(const IoErrorSettings& settings) {
  faults::IoSite site;
  if (!settings.at.empty() && !faults::ParseIoSite(settings.at, &site).ok()) {
    return Status::BadInput("--io-error-at '" + settings.at +
                            "' is unknown: use wal-append, wal-sync, sst-write, sst-sync, "
                            "manifest-write, manifest-sync, dir-fsync, file-create, rename, "
                            "delete or close");
  }
  faults::IoErrorStatus status;
  if (settings.status != "mix" && !faults::ParseIoErrorStatus(settings.status, &status).ok()) {
    return Status::BadInput("--io-error '" + settings.status +
                            "' is unknown: use retryable, fatal, nospace or mix");
  }
  faults::IoErrorMode mode;
  if (settings.mode != "mix" && !faults::ParseIoErrorMode(settings.mode, &mode).ok()) {
    return Status::BadInput("--io-error-mode '" + settings.mode +
                            "' is unknown: use once, sticky or mix");
  }
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
