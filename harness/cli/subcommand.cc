#include "harness/cli/subcommand.h"

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "harness/run/controller.h"

namespace powercut::harness {

int BadInput(const std::string& what) {
  std::string line = what;
  for (char& c : line) c = c == '\n' ? ' ' : c;
  fmt::print(stderr, "powercut: {}\n", line);
  return kExitBadInput;
}

Status ParseSeed(const std::string& flag, const std::string& text, uint64_t* seed) {
  try {
    size_t used = 0;
    *seed = std::stoull(text, &used);
    if (used != text.size() || text.empty() || text[0] == '-') throw std::invalid_argument("");
  } catch (...) {
    return Status::BadInput(flag + " '" + text + "' is not a number: give a non-negative integer");
  }
  return Status::Ok();
}

std::string SelfPath() {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec).string();
}

std::string WriterBesideUs() {
  return (std::filesystem::path(SelfPath()).parent_path() / "powercut-writer").string();
}

Status ParseDuration(const std::string& text, int64_t* ms) {
  size_t used = 0;
  double n = 0;
  try {
    n = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const double scale = unit == "ms"  ? 1
                       : unit == "s" ? 1e3
                       : unit == "m" ? 60e3
                       : unit == "h" ? 3600e3
                                     : -1;
  if (used == 0 || scale < 0 || n <= 0) {
    return Status::BadInput("--duration '" + text +
                            "' is not a duration: write e.g. 90s, 30m or 2h");
  }
  *ms = static_cast<int64_t>(n * scale);
  return Status::Ok();
}

}  // namespace powercut::harness
