#include "src/in_flight.h"

#include <algorithm>
#include <sstream>

#include "src/atomic_file.h"

namespace powercut {

void InFlight::Issued(uint64_t op) {
  if (!open_.empty()) at_issue_[op] = std::vector<uint64_t>(open_.begin(), open_.end());
  if (acked_early_.erase(op) == 0) open_.insert(op);
}

void InFlight::Acked(uint64_t op) {
  if (open_.erase(op) == 0) acked_early_.insert(op);
}

bool InFlight::Precedes(uint64_t a, uint64_t j) const {
  auto it = at_issue_.find(j);
  return it == at_issue_.end() || !std::binary_search(it->second.begin(), it->second.end(), a);
}

Status InFlight::Save(const std::string& path) const {
  std::vector<uint64_t> ops;
  for (const auto& [op, open] : at_issue_) ops.push_back(op);
  std::sort(ops.begin(), ops.end());
  std::string out = "powercut-in-flight 1\n";
  for (uint64_t op : ops) {
    out += std::to_string(op);
    for (uint64_t a : at_issue_.at(op)) out += " " + std::to_string(a);
    out += "\n";
  }
  return WriteFileAtomically(path, out);
}

Status InFlight::Load(const std::string& path, InFlight* in_flight) {
  std::string text;
  Status s = ReadWholeFile(path, &text);
  if (!s.ok()) return s;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != "powercut-in-flight 1") {
    return Status::Corruption(path + ": not an in-flight record");
  }
  InFlight loaded;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    uint64_t op = 0, a = 0;
    if (!(fields >> op)) return Status::Corruption(path + ": bad line '" + line + "'");
    std::vector<uint64_t>& open = loaded.at_issue_[op];
    while (fields >> a) {
      if (a >= op) return Status::Corruption(path + ": op " + std::to_string(a) + " after " + line);
      open.push_back(a);
    }
    std::sort(open.begin(), open.end());
  }
  *in_flight = std::move(loaded);
  return Status::Ok();
}

}  // namespace powercut
