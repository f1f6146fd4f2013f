// RunState: what the chains of one run share — the cycle budget, the interrupt flag, the
// results — behind one mutex. Chains never touch each other's directories.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "harness/run/plan.h"
#include "reports/run_result.h"

namespace powercut::harness {

class RunState {
 public:
  explicit RunState(const RunPlan& plan) : plan_(plan), start_(std::chrono::steady_clock::now()) {}

  // Whether cycle number `cycle` (1-based, see ChainRunner) may start: false once it is
  // beyond the cycle count, the time budget is spent, or the run was interrupted.
  bool MayStart(uint64_t cycle) const {
    if (interrupted_.load() || !harness_error().empty()) return false;
    // A run stops at its first FAIL, keeping the evidence, unless told to keep going.
    if (failed() > 0 && !plan_.keep_going) return false;
    if (plan_.cycles > 0 && cycle > plan_.cycles) return false;
    if (plan_.duration_ms > 0 && ElapsedMs() >= plan_.duration_ms) return false;
    return true;
  }

  void Record(reports::CycleResult result) {
    std::lock_guard<std::mutex> lock(mu_);
    (result.verdict == "PASS" ? passed_ : failed_)++;
    results_.push_back(std::move(result));
  }

  // Whether the evidence of one more failure may be kept (--max-failures).
  bool ClaimEvidenceSlot() { return evidence_slots_.fetch_add(1) < plan_.max_failures; }

  void Interrupt() { interrupted_.store(true); }
  bool interrupted() const { return interrupted_.load(); }

  void HarnessError(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (harness_error_.empty()) harness_error_ = what;
  }
  std::string harness_error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return harness_error_;
  }

  std::vector<reports::CycleResult> results() const {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }
  uint64_t passed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return passed_;
  }
  uint64_t failed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_;
  }

  int64_t ElapsedMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start_)
        .count();
  }

 private:
  const RunPlan& plan_;
  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  std::atomic<bool> interrupted_{false};
  std::atomic<uint32_t> evidence_slots_{0};
  uint64_t passed_ = 0;
  uint64_t failed_ = 0;
  std::string harness_error_;
  std::vector<reports::CycleResult> results_;
};

}  // namespace powercut::harness
