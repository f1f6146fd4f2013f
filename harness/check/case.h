// CheckCase: one case of a property run (`powercut check`): everything a single `powercut run`
// is asked to do, in the form rapidcheck generates and shrinks. A case is plain data; the
// command line it stands for is its identity (two cases with the same command line are the
// same case, whatever rapidcheck drew to reach them).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace powercut::harness {

using OptionList = std::vector<std::pair<std::string, std::string>>;

inline constexpr int64_t kCaseRecoveryTimeoutMs = 10'000;   // run --recovery-timeout-ms
inline constexpr int64_t kCaseCloseTimeoutMs = 10'000;      // run --close-timeout-ms
inline constexpr uint32_t kMaxFaultWindowMs = 5'000;        // longest fault window drawn or grown
inline constexpr uint64_t kMaxBytesPerCycle = 64ull << 20;  // keeps a case's disk use bounded
inline constexpr uint32_t kRunDefaultOpsPerCycle = 20'000;  // run's --max-ops-per-cycle
inline constexpr uint32_t kRunDefaultFaultMaxMs = 40;       // run's --fault-after-max-ms

struct CheckCase {
  uint64_t seed = 1;  // the run seed: ops, fault times and crash points derive from it
  std::string profile = "puts";
  std::string txn;       // run --txn; empty: the profile's
  uint32_t threads = 0;  // run --threads; 0: the profile's
  uint32_t keys = 10;
  uint32_t cycles = 1;
  uint32_t max_ops_per_cycle = 0;  // 0: run's default (the writer writes until the fault)
  uint32_t value_min_bytes = 0;    // 0 and 0: the profile's value sizes
  uint32_t value_max_bytes = 0;
  double value_compression_ratio = -1;  // < 0: the profile's (run --value-compression-ratio)
  uint32_t fault_min_ms = 0;            // 0 and 0: run's fault window
  uint32_t fault_max_ms = 0;
  uint32_t explore = 0;        // crash states judged per writer run (run --explore); 0: off
  std::string fault = "kill";  // kill | stall | power-cut | mix
  std::string cut;             // drop | torn | reorder; empty unless the fault cuts power
  OptionList options;          // non-default RocksDB / write options, NAME and VALUE
  // Users change their configuration between restarts: from the chain's cycle change_at on
  // (0: never), `changes` are added to the options (run --option-at).
  uint32_t change_at = 0;
  OptionList changes;

  // The options in force from change_at on.
  OptionList OptionsAfterChange() const;

  // Lowers max_ops_per_cycle so that a cycle writes at most kMaxBytesPerCycle of values.
  void BoundBytesPerCycle();

  // How long its `powercut run` may take, generously: every cycle writes to the end of its
  // fault window, then its own state and each explored state may take a recovery timeout
  // (judged two at a time).
  int64_t TimeoutMs() const;

  // True for the faults under which run applies a power cut (mix includes power-cut).
  bool CutsPower() const;
  // True when some cycle of the case injects an I/O error.
  bool InjectsIoErrors() const;

  // `run ...` arguments, without the binary, --data-dir and --report-dir: `forced` options
  // (NAME=VALUE) go before the generated ones, `extra` arguments at the end.
  std::vector<std::string> RunArgs(const std::vector<std::string>& forced,
                                   const std::vector<std::string>& extra) const;

  nlohmann::json ToJson() const;
  std::string Describe() const;  // one line for progress and the final summary
};

// `powercut run ...` as a user types it in a shell, each argument quoted when it must be.
std::string CommandLine(const std::vector<std::string>& run_args);

}  // namespace powercut::harness
