#include "harness/run/plan.h"

#include <fmt/format.h>

namespace powercut::harness {
namespace {

// `text` as one word of a POSIX shell command line.
std::string ShellWord(const std::string& text) {
  const bool plain = !text.empty() && text.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-=.,:/+%@") == std::string::npos;
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::vector<std::string> RunPlan::ReproduceArgs() const {
  const RunPlan defaults;
  workloads::WorkloadSpec profile_spec;
  workloads::ProfileSpec(workload.profile, &profile_spec);  // validated when parsed
  std::vector<std::string> a = {"--seed", std::to_string(seed)};
  auto add = [&a](const char* flag, const std::string& value) { a.insert(a.end(), {flag, value}); };
  if (cycles > 0) add("--cycles", std::to_string(cycles));
  if (duration_ms > 0) add("--duration", std::to_string(duration_ms) + "ms");
  add("--chains", std::to_string(chains));
  add("--profile", workload.profile);
  if (workload.key_count != profile_spec.key_count)
    add("--keys", std::to_string(workload.key_count));
  if (workload.value_min_bytes != profile_spec.value_min_bytes)
    add("--value-min-bytes", std::to_string(workload.value_min_bytes));
  if (workload.value_max_bytes != profile_spec.value_max_bytes)
    add("--value-max-bytes", std::to_string(workload.value_max_bytes));
  if (workload.value_compression_ratio != profile_spec.value_compression_ratio)
    add("--value-compression-ratio", fmt::format("{}", workload.value_compression_ratio));
  if (workload.column_families != profile_spec.column_families)
    add("--column-families", std::to_string(workload.column_families));
  if (workload.txn != profile_spec.txn) add("--txn", workload.txn);
  if (workload.threads != profile_spec.threads) add("--threads", std::to_string(workload.threads));
  add("--fault", fault);
  add("--cut", cut);
  if (!crash_at.empty()) add("--crash-at", crash_at);
  if (!io_error.at.empty()) add("--io-error-at", io_error.at);
  if (!bitrot_at.empty()) add("--bitrot-at", bitrot_at);
  if (read_error_one_in > 0) add("--read-error-one-in", std::to_string(read_error_one_in));
  if (io_error.status != defaults.io_error.status) add("--io-error", io_error.status);
  if (io_error.mode != defaults.io_error.mode) add("--io-error-mode", io_error.mode);
  for (const std::string& o : option_args) add("--option", o);
  for (const auto& [from, o] : option_changes) add("--option-at", fmt::format("{}:{}", from, o));
  if (expect_acked) add("--expect", "acked");
  if (max_ops_per_cycle != defaults.max_ops_per_cycle)
    add("--max-ops-per-cycle", std::to_string(max_ops_per_cycle));
  if (write_min_ms != defaults.write_min_ms)
    add("--fault-after-min-ms", std::to_string(write_min_ms));
  if (write_max_ms != defaults.write_max_ms)
    add("--fault-after-max-ms", std::to_string(write_max_ms));
  if (close_timeout_ms != defaults.close_timeout_ms)
    add("--close-timeout-ms", std::to_string(close_timeout_ms));
  if (recovery_timeout_ms != defaults.recovery_timeout_ms)
    add("--recovery-timeout-ms", std::to_string(recovery_timeout_ms));
  if (explore != defaults.explore)
    add("--explore", explore == kExploreAll ? "all" : std::to_string(explore));
  if (judges != defaults.judges) add("--judges", std::to_string(judges));
  if (shard_count > 0) add("--shard", Shard());
  if (keep_going) a.push_back("--keep-going");
  if (max_failures != defaults.max_failures) add("--max-failures", std::to_string(max_failures));
  if (test_lie_ack) a.push_back("--test-lie-ack");
  if (test_ack_failed) a.push_back("--test-ack-failed");
  if (!test_lose_when_wals.empty())
    a.insert(a.end(), {"--test-lose-when-wals", test_lose_when_wals});
  if (test_drop_sync_record) a.push_back("--test-drop-sync-record");
  if (test_break_checkpoint) a.push_back("--test-break-checkpoint");
  if (test_undo_cycle) a.push_back("--test-undo-cycle");
  if (test_tamper_images) a.push_back("--test-tamper-images");
  return a;
}

std::string RunPlan::ReproduceLine() const {
  std::string line = "powercut run";
  for (const std::string& arg : ReproduceArgs()) line += " " + ShellWord(arg);
  return line;
}

nlohmann::json RunPlan::ToJson() const {
  return {{"seed", seed},
          {"cycles", cycles},
          {"duration_ms", duration_ms},
          {"chains", chains},
          {"workload", workload.ToJson()},
          {"store", store.ToJson()},
          {"option_changes", option_changes},
          {"fault", fault},
          {"cut", cut},
          {"crash_at", crash_at},
          {"bitrot_at", bitrot_at},
          {"read_error_one_in", read_error_one_in},
          {"io_error", {{"at", io_error.at}, {"status", io_error.status}, {"mode", io_error.mode}}},
          {"expect", expect_acked ? "acked" : "contract"},
          {"max_ops_per_cycle", max_ops_per_cycle},
          {"write_min_ms", write_min_ms},
          {"write_max_ms", write_max_ms},
          {"recovery_timeout_ms", recovery_timeout_ms},
          {"close_timeout_ms", close_timeout_ms},
          {"explore", explore == kExploreAll ? nlohmann::json("all") : nlohmann::json(explore)}};
}

}  // namespace powercut::harness
