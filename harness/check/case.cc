#include "harness/check/case.h"

#include <algorithm>

#include <fmt/format.h>

#include "harness/run/fault_mix.h"

namespace powercut::harness {

bool CheckCase::CutsPower() const {
  FaultMix mix;
  return FaultMix::Parse(fault, &mix).ok() && mix.CutsPower();
}

bool CheckCase::InjectsIoErrors() const {
  FaultMix mix;
  return FaultMix::Parse(fault, &mix).ok() && mix.Has(CycleKind::kIoError);
}

std::vector<std::string> CheckCase::RunArgs(const std::vector<std::string>& forced,
                                            const std::vector<std::string>& extra) const {
  std::vector<std::string> a = {"run", "--seed", std::to_string(seed)};
  a.insert(a.end(), {"--cycles", std::to_string(cycles), "--chains", "1"});
  a.insert(a.end(), {"--explore", std::to_string(explore)});
  // A hang is found as surely in 10 s as in run's 20, and a hunt's cases end sooner.
  a.insert(a.end(), {"--recovery-timeout-ms", std::to_string(kCaseRecoveryTimeoutMs)});
  if (InjectsIoErrors()) {  // where DB::Close hangs (README, "Known findings")
    a.insert(a.end(), {"--close-timeout-ms", std::to_string(kCaseCloseTimeoutMs)});
  }
  a.insert(a.end(), {"--profile", profile, "--fault", fault});
  if (!txn.empty()) a.insert(a.end(), {"--txn", txn});
  if (threads > 0) a.insert(a.end(), {"--threads", std::to_string(threads)});
  // A cut mode means nothing to kill or stall: leaving it out keeps equal cases equal.
  if (CutsPower() && !cut.empty()) a.insert(a.end(), {"--cut", cut});
  a.insert(a.end(), {"--keys", std::to_string(keys)});
  if (max_ops_per_cycle > 0) {
    a.insert(a.end(), {"--max-ops-per-cycle", std::to_string(max_ops_per_cycle)});
  }
  if (value_max_bytes > 0) {
    a.insert(a.end(), {"--value-min-bytes", std::to_string(value_min_bytes), "--value-max-bytes",
                       std::to_string(value_max_bytes)});
  }
  if (value_compression_ratio >= 0) {
    a.insert(a.end(), {"--value-compression-ratio", fmt::format("{}", value_compression_ratio)});
  }
  if (fault_max_ms > 0) {
    a.insert(a.end(), {"--fault-after-min-ms", std::to_string(fault_min_ms), "--fault-after-max-ms",
                       std::to_string(fault_max_ms)});
  }
  for (const std::string& f : forced) a.insert(a.end(), {"--option", f});
  for (const auto& [name, value] : options) a.insert(a.end(), {"--option", name + "=" + value});
  for (const auto& [name, value] : changes) {
    if (change_at > 0)
      a.insert(a.end(), {"--option-at", fmt::format("{}:{}={}", change_at, name, value)});
  }
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

nlohmann::json CheckCase::ToJson() const {
  nlohmann::json opts = nlohmann::json::object();
  for (const auto& [name, value] : options) opts[name] = value;
  nlohmann::json j = {{"seed", seed},
                      {"profile", profile},
                      {"txn", txn},
                      {"threads", threads},
                      {"keys", keys},
                      {"cycles", cycles},
                      {"fault", fault},
                      {"cut", CutsPower() ? cut : ""},
                      {"options", opts},
                      {"change_at", change_at},
                      {"changes", changes},
                      {"max_ops_per_cycle", max_ops_per_cycle},
                      {"value_min_bytes", value_min_bytes},
                      {"value_max_bytes", value_max_bytes},
                      {"value_compression_ratio", value_compression_ratio},
                      {"fault_min_ms", fault_min_ms},
                      {"fault_max_ms", fault_max_ms},
                      {"explore", explore}};
  return j;
}

std::string CheckCase::Describe() const {
  std::string s = fmt::format("{} cycle{}, {} keys, profile {}, fault {}", cycles,
                              cycles == 1 ? "" : "s", keys, profile, fault);
  if (CutsPower()) s += " (cut " + cut + ")";
  if (threads > 1) s += fmt::format(", {} writer threads", threads);
  s += max_ops_per_cycle > 0 ? fmt::format(", at most {} ops/cycle", max_ops_per_cycle)
                             : ", ops until the fault";
  if (value_max_bytes > 0) s += fmt::format(", values {}..{} B", value_min_bytes, value_max_bytes);
  if (value_compression_ratio >= 0) s += fmt::format(" compressing to {}", value_compression_ratio);
  if (fault_max_ms > 0) s += fmt::format(", faults {}..{} ms in", fault_min_ms, fault_max_ms);
  if (explore > 0) s += fmt::format(", {} crash states per writer", explore);
  if (options.empty()) {
    s += ", default options";
  } else {
    s += ", options";
    for (const auto& [name, value] : options) s += " " + name + "=" + value;
  }
  if (change_at > 0 && !changes.empty()) {
    s += fmt::format(", from cycle {}", change_at);
    for (const auto& [name, value] : changes) s += " " + name + "=" + value;
  }
  return s;
}

OptionList CheckCase::OptionsAfterChange() const {
  OptionList all = options;
  if (change_at == 0) return all;
  for (const auto& change : changes) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const auto& o) { return o.first == change.first; });
    if (it != all.end()) {
      it->second = change.second;
    } else {
      all.push_back(change);
    }
  }
  return all;
}

void CheckCase::BoundBytesPerCycle() {
  if (value_max_bytes == 0) return;
  const uint64_t ops = max_ops_per_cycle > 0 ? max_ops_per_cycle : kRunDefaultOpsPerCycle;
  if (ops * value_max_bytes > kMaxBytesPerCycle)
    max_ops_per_cycle =
        static_cast<uint32_t>(std::max<uint64_t>(1, kMaxBytesPerCycle / value_max_bytes));
}

int64_t CheckCase::TimeoutMs() const {
  const int64_t window_ms = fault_max_ms > 0 ? fault_max_ms : kRunDefaultFaultMaxMs;
  const int64_t judging_ms = kCaseRecoveryTimeoutMs * (1 + explore / 2);
  return 120'000 + int64_t{cycles} * (window_ms + 5'000 + judging_ms);
}

std::string CommandLine(const std::vector<std::string>& run_args) {
  std::string line = "powercut";
  for (const std::string& a : run_args) {
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_=./:,+") == std::string::npos;
    if (plain) {
      line += " " + a;
      continue;
    }
    std::string quoted = "'";
    for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += " " + quoted + "'";
  }
  return line;
}

}  // namespace powercut::harness
