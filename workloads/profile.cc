#include <fmt/format.h>

#include "src/key.h"
#include "src/value_codec.h"
#include "workloads/spec.h"

namespace powercut::workloads {

nlohmann::json WorkloadSpec::ToJson() const {
  return {{"profile", profile},
          {"key_count", key_count},
          {"value_min_bytes", value_min_bytes},
          {"value_max_bytes", value_max_bytes},
          {"put_weight", put_weight},
          {"delete_weight", delete_weight},
          {"batch_weight", batch_weight},
          {"flush_weight", flush_weight},
          {"batch_min_writes", batch_min_writes},
          {"batch_max_writes", batch_max_writes},
          {"batch_delete_percent", batch_delete_percent},
          {"key_skew", key_skew},
          {"sync_one_in", sync_one_in}};
}

Status WorkloadSpec::FromJson(const nlohmann::json& j, WorkloadSpec* spec) {
  try {
    WorkloadSpec s;
    s.profile = j.at("profile").get<std::string>();
    s.key_count = j.at("key_count").get<uint32_t>();
    s.value_min_bytes = j.at("value_min_bytes").get<uint32_t>();
    s.value_max_bytes = j.at("value_max_bytes").get<uint32_t>();
    s.put_weight = j.at("put_weight").get<uint32_t>();
    s.delete_weight = j.at("delete_weight").get<uint32_t>();
    s.batch_weight = j.at("batch_weight").get<uint32_t>();
    s.flush_weight = j.at("flush_weight").get<uint32_t>();
    s.batch_min_writes = j.at("batch_min_writes").get<uint32_t>();
    s.batch_max_writes = j.at("batch_max_writes").get<uint32_t>();
    s.batch_delete_percent = j.at("batch_delete_percent").get<uint32_t>();
    s.key_skew = j.at("key_skew").get<double>();
    s.sync_one_in = j.at("sync_one_in").get<uint32_t>();
    Status st = s.Validate();
    if (!st.ok()) return st;
    *spec = s;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed workload spec: ") + e.what());
  }
  return Status::Ok();
}

Status WorkloadSpec::Validate() const {
  if (key_count < 1 || key_count > kMaxKeyCount) {
    return Status::BadInput(
        fmt::format("key count {} is out of range: use 1 to {}", key_count, kMaxKeyCount));
  }
  if (value_min_bytes < kValueHeaderBytes || value_max_bytes > kMaxValueBytes ||
      value_min_bytes > value_max_bytes) {
    return Status::BadInput(fmt::format("value sizes {}..{} are out of range: use {} to {} bytes",
                                        value_min_bytes, value_max_bytes, kValueHeaderBytes,
                                        kMaxValueBytes));
  }
  if (put_weight + delete_weight + batch_weight + flush_weight == 0) {
    return Status::BadInput("the op mix has no weight: give at least one op kind a weight");
  }
  if (batch_min_writes < 1 || batch_min_writes > batch_max_writes || batch_max_writes > 10'000) {
    return Status::BadInput("batch sizes are out of range: use 1 <= min <= max <= 10000");
  }
  if (batch_delete_percent > 100 || key_skew < 0 || key_skew > 8) {
    return Status::BadInput("batch delete percent must be 0..100 and key skew 0..8");
  }
  return Status::Ok();
}

Status ProfileSpec(const std::string& name, WorkloadSpec* spec) {
  WorkloadSpec s;
  s.profile = name;
  if (name == "default") {
    // The defaults above: a realistic mix with hot keys rewritten often.
  } else if (name == "puts") {
    s.put_weight = 100, s.delete_weight = 0, s.batch_weight = 0, s.flush_weight = 0;
  } else if (name == "batches") {
    s.put_weight = 5, s.delete_weight = 5, s.batch_weight = 90, s.flush_weight = 1;
    s.batch_min_writes = 8, s.batch_max_writes = 128;
  } else {
    return Status::BadInput("unknown profile '" + name + "': use default, puts or batches");
  }
  *spec = s;
  return Status::Ok();
}

}  // namespace powercut::workloads
