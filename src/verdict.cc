#include "src/verdict.h"

namespace powercut {

Verdict Verdict::Failure(const char* klass, std::string detail, uint64_t lo, uint64_t hi) {
  Verdict v;
  v.pass = false;
  v.lo = lo;
  v.hi = hi;
  v.recovered = lo;
  v.classes[klass] = 1;
  v.detail = std::move(detail);
  return v;
}

void Verdict::AddFinding(Finding f) {
  classes[f.klass]++;
  if (findings.size() < kMaxFindings) findings.push_back(std::move(f));
}

nlohmann::json Verdict::ToJson() const {
  nlohmann::json j;
  j["pass"] = pass;
  j["lo"] = lo;
  j["hi"] = hi;
  j["recovered"] = recovered;
  j["mismatches"] = mismatches;
  if (!ahead.empty()) j["ahead"] = ahead;
  j["classes"] = classes;
  j["detail"] = detail;
  j["findings"] = nlohmann::json::array();
  for (const Finding& f : findings) {
    j["findings"].push_back(
        {{"key", f.key}, {"class", f.klass}, {"expected", f.expected}, {"found", f.found}});
  }
  return j;
}

Status Verdict::FromJson(const nlohmann::json& j, Verdict* v) {
  try {
    v->pass = j.at("pass").get<bool>();
    v->lo = j.at("lo").get<uint64_t>();
    v->hi = j.at("hi").get<uint64_t>();
    v->recovered = j.at("recovered").get<uint64_t>();
    v->mismatches = j.at("mismatches").get<uint64_t>();
    v->ahead = j.value("ahead", std::vector<uint64_t>());
    v->classes = j.at("classes").get<std::map<std::string, uint64_t>>();
    v->detail = j.at("detail").get<std::string>();
    v->findings.clear();
    for (const auto& f : j.at("findings")) {
      v->findings.push_back({f.at("key").get<std::string>(), f.at("class").get<std::string>(),
                             f.at("expected").get<std::string>(),
                             f.at("found").get<std::string>()});
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed verdict: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace powercut
