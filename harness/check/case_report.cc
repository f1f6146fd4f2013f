#include "harness/check/case_report.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "src/atomic_file.h"

namespace powercut::harness {
namespace {

using nlohmann::json;

std::string SortedJoin(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : "+") + n;
  return out;
}

std::vector<std::string> Strings(const json& list) {
  std::vector<std::string> out;
  for (const auto& x : list) out.push_back(x.get<std::string>());
  return out;
}

// A failure of `cycle` whose detail and classes are `source`'s (a failing explored state, or
// the cycle itself), under the feature key `features`.
CaseFailure FailureFrom(const json& cycle, const json& source, std::string features) {
  CaseFailure f;
  f.cycle = cycle.at("cycle").get<uint64_t>();
  f.detail = source.at("detail").get<std::string>();
  f.narrative = source.value("narrative", f.detail);
  f.signature.classes = SortedJoin(Strings(source.at("classes")));
  f.signature.features = std::move(features);
  f.signature.error = SignatureError(f.detail);
  return f;
}

// The first FAIL cycle of a report, as findings: its smallest failing explored state when the
// exploration found one (the explorer lists it first), else the cycle's own state; then each
// later failing state whose classes share none with those before it (one case may meet two
// bugs: a loss and an abort in recovery are two findings, a hole beside a lost-ack one).
std::vector<CaseFailure> FailuresOf(const json& cycle) {
  const bool explored =
      cycle.contains("exploration") && !cycle.at("exploration").at("failures").empty();
  if (!explored)
    return {FailureFrom(cycle, cycle, "cycle-state fault=" + cycle.at("fault").get<std::string>())};
  std::vector<CaseFailure> out;
  for (const json& state : cycle.at("exploration").at("failures")) {
    CaseFailure f = FailureFrom(cycle, state, state.value("features", ""));
    f.state = state.at("state").get<std::string>();
    f.image_kept = state.at("reproduce").get<std::string>().find(" --state ") != std::string::npos;
    const bool seen = std::any_of(out.begin(), out.end(), [&](const CaseFailure& o) {
      return o.signature.SharesClassWith(f.signature);
    });
    if (!seen) out.push_back(std::move(f));
  }
  return out;
}

// A failed assertion's source file and condition from glibc's "FILE:LINE: FUNCTION:
// Assertion `COND' failed." (the function's signature is long and says nothing more), or "".
std::string AssertionOf(const std::string& detail) {
  static const std::regex kAssertion(R"(([^\s:]+):\d+: .*Assertion `(.*)' failed)");
  std::smatch m;
  if (!std::regex_search(detail, m, kAssertion)) return "";
  return fmt::format("{}: Assertion `{}' failed", m[1].str(), m[2].str());
}

}  // namespace

bool Signature::SharesClassWith(const Signature& other) const {
  const auto names = [](const std::string& joined) {
    std::vector<std::string> out;
    for (size_t at = 0; at < joined.size();) {
      const size_t end = std::min(joined.find('+', at), joined.size());
      out.push_back(joined.substr(at, end - at));
      at = end + 1;
    }
    return out;
  };
  const std::vector<std::string> theirs = names(other.classes);
  for (const std::string& k : names(classes)) {
    if (std::find(theirs.begin(), theirs.end(), k) != theirs.end()) return true;
  }
  return false;
}

const CaseFailure* CaseReport::FailureLike(const Signature& s) const {
  for (const CaseFailure& f : failures) {
    if (f.signature.SharesClassWith(s)) return &f;
  }
  return nullptr;
}

Status ReadCaseReport(const std::string& report_json, CaseReport* out) {
  std::string text;
  Status s = ReadWholeFile(report_json, &text);
  if (!s.ok()) return s;
  try {
    const json j = json::parse(text);
    *out = CaseReport();
    const json& summary = j.at("summary");
    if (summary.contains("crash_states") && summary.at("crash_states").contains("coverage")) {
      for (const auto& [key, n] : summary.at("crash_states").at("coverage").items())
        out->coverage[key] = n.get<uint64_t>();
    }
    for (const json& cycle : j.at("cycles")) {
      if (cycle.contains("metrics"))
        out->planted_losses += cycle.at("metrics").value("test_planted_losses", uint64_t{0});
      if (cycle.at("verdict") == "FAIL" && out->failures.empty()) out->failures = FailuresOf(cycle);
    }
  } catch (const json::exception& e) {
    return Status::Corruption(report_json + " is not a powercut report: " + e.what());
  }
  return Status::Ok();
}

std::string RocksDbError(const std::string& detail) {
  // rocksdb::Status::ToString's prefixes for the codes a recovery can return.
  static const char* const kPrefixes[] = {"Corruption: ",
                                          "IO error: ",
                                          "Invalid argument: ",
                                          "Not implemented: ",
                                          "Aborted: ",
                                          "Not found: ",
                                          "Result incomplete: ",
                                          "Operation failed. Try again.: ",
                                          "Busy: ",
                                          "Operation timed out: ",
                                          "Operation expired: "};
  size_t best = std::string::npos;
  for (const char* p : kPrefixes) best = std::min(best, detail.find(p));
  if (best == std::string::npos) return AssertionOf(detail);
  const size_t end = detail.find("; ", best);
  return detail.substr(best, end == std::string::npos ? std::string::npos : end - best);
}

std::string SignatureError(const std::string& detail) {
  // The error powercut injected is its own text (faults/io_error.cc), relayed by RocksDB:
  // which call it failed is the plan's, not RocksDB's answer, and one bug meets many.
  static constexpr std::string_view kInjected = "powercut injected I/O error";
  std::string error = RocksDbError(detail);
  if (const size_t at = error.find(kInjected); at != std::string::npos)
    error.resize(at + kInjected.size());
  return WithoutNumbers(WithoutDirectories(error));
}

std::string WithoutDirectories(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool starts = text[i] == '/' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\'');
    if (!starts) {
      out += text[i];
      continue;
    }
    size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\'' && text[end] != ',' &&
           text[end] != ';')
      ++end;
    const std::string path = text.substr(i, end - i);
    out += path.substr(path.rfind('/') + 1);
    i = end - 1;
  }
  return out;
}

std::string WithoutNumbers(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      out += text[i];
      continue;
    }
    out += 'N';
    while (i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) ++i;
  }
  return out;
}

}  // namespace powercut::harness
