#include "src/chain_manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "src/atomic_file.h"

namespace powercut {

Status ChainManifest::Create(const std::string& path, const ChainHeader& h) {
  if (::access(path.c_str(), F_OK) == 0) return Status::Internal(path + " already exists");
  nlohmann::json j = {{"type", "chain"},
                      {"schema", kManifestSchemaVersion},
                      {"chain", h.chain},
                      {"seed", h.seed},
                      {"workload", h.workload},
                      {"store", h.store.ToJson()},
                      {"max_ops_per_cycle", h.max_ops_per_cycle}};
  return WriteFileAtomically(path, j.dump() + "\n");
}

Status ChainManifest::Load(const std::string& path, ChainHeader* h,
                           std::vector<nlohmann::json>* entries) {
  std::string text;
  Status s = ReadWholeFile(path, &text);
  if (!s.ok()) return s;
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  entries->clear();
  while (std::getline(in, line)) {
    ++n;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("type")) {
      // A torn last line is what a controller killed mid-append leaves; anything else is damage.
      if (in.peek() == EOF && text.back() != '\n') break;
      return Status::Corruption(path + " line " + std::to_string(n) + " is not a manifest entry");
    }
    if (n == 1) {
      try {
        if (j.at("type") != "chain" || j.at("schema") != kManifestSchemaVersion) {
          return Status::Corruption(path + " line 1 is not a powercut chain header of schema " +
                                    std::to_string(kManifestSchemaVersion));
        }
        h->chain = j.at("chain").get<uint32_t>();
        h->seed = j.at("seed").get<uint64_t>();
        h->workload = j.at("workload");
        h->max_ops_per_cycle = j.at("max_ops_per_cycle").get<uint64_t>();
        s = StoreConfig::FromJson(j.at("store"), &h->store);
        if (!s.ok()) return Status::Corruption(path + " line 1: " + s.message());
      } catch (const nlohmann::json::exception& e) {
        return Status::Corruption(path + " line 1: " + e.what());
      }
      continue;
    }
    entries->push_back(std::move(j));
  }
  if (n == 0) return Status::Corruption(path + " is empty");
  return Status::Ok();
}

Status ChainManifest::Append(const std::string& path, const nlohmann::json& entry) {
  const std::string line = entry.dump() + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  const off_t before = ::fstat(fd, &st) == 0 ? st.st_size : -1;
  // A short write (a disk filling up) is written on until the kernel says why it stops.
  size_t done = 0;
  int err = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (err == 0 && ::fdatasync(fd) != 0) err = errno;
  // Nothing half-written: a line that did not fit is taken back whole.
  if (err != 0 && before >= 0 && ::ftruncate(fd, before) != 0) err = errno;
  ::close(fd);
  if (err != 0) return Status::IoError("cannot append to " + path + ": " + std::strerror(err));
  return Status::Ok();
}

}  // namespace powercut
