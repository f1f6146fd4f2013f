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

}  // namespace powercut::harness
