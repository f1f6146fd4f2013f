#include "harness/run/data_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "src/atomic_file.h"

namespace fs = std::filesystem;

namespace powercut::harness {
namespace {

constexpr const char* kMark = ".powercut";

// access(2) says yes to root on a read-only directory; only a real write can tell.
bool CanWrite(const fs::path& dir) {
  const fs::path probe = dir / (".powercut-probe." + std::to_string(::getpid()));
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

}  // namespace

Status CheckOwnedDir(const std::string& dir, const std::string& flag) {
  std::error_code ec;
  const fs::path p(dir);
  if (!fs::exists(p, ec)) {
    fs::path parent = fs::absolute(p, ec).parent_path();
    while (!parent.empty() && !fs::exists(parent, ec)) parent = parent.parent_path();
    if (parent.empty() || !fs::is_directory(parent, ec) || !CanWrite(parent)) {
      return Status::BadInput("cannot create " + flag + " " + dir + ": " + parent.string() +
                              " is not writable; choose a writable location with " + flag);
    }
    return Status::Ok();
  }
  if (!fs::is_directory(p, ec)) {
    return Status::BadInput(flag + " " + dir + " is not a directory; give a directory path with " +
                            flag);
  }
  if (!fs::is_empty(p, ec) && !fs::exists(p / kMark, ec)) {
    return Status::BadInput(
        flag + " " + dir +
        " holds files powercut did not create; choose an empty or new directory with " + flag);
  }
  if (!CanWrite(p)) {
    return Status::BadInput(flag + " " + dir +
                            " is not writable; choose a writable directory with " + flag);
  }
  return Status::Ok();
}

Status PrepareOwnedDir(const std::string& dir, const std::vector<std::string>& stale_prefixes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const std::string& prefix : stale_prefixes) {
      if (name.rfind(prefix, 0) == 0) {
        fs::remove_all(entry.path(), ec);
        if (ec)
          return Status::IoError("cannot remove " + entry.path().string() + ": " + ec.message());
      }
    }
  }
  return WriteFileAtomically((fs::path(dir) / kMark).string(), "powercut\n");
}

}  // namespace powercut::harness
