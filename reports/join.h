// Joins strings with a separator: the report writers' one shared text helper.
#pragma once

#include <string>
#include <vector>

namespace powercut::reports {

inline std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace powercut::reports
