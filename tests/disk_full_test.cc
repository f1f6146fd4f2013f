// End to end: a full disk is the harness's own problem (exit 2, one line naming the directory
// and the space needed) or an op RocksDB refused (not acked, judged on what was), never a
// verdict on the store. Runs on a small tmpfs; root may mount one, others skip with a WARN.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// A tmpfs of `size_mb` MiB mounted at `path` for the test's life.
struct SmallDisk {
  fs::path path;
  bool mounted = false;
  SmallDisk(const fs::path& at, int size_mb) : path(at) {
    fs::create_directories(path);
    const std::string data = "size=" + std::to_string(size_mb) + "m";
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, data.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
  }
};

// The run's stderr lines that report a harness failure.
std::vector<std::string> HarnessFailureLines(const std::string& err) {
  std::vector<std::string> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.find("harness failure") != std::string::npos) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("a disk that fills up is never blamed on the store") {
  size_t refused_and_judged = 0;
  for (const char* seed : {"7", "8"}) {
    TempDir t;  // destroyed after the disk is unmounted
    SmallDisk disk(t.path / "small", 40);
    if (!disk.mounted) {
      WARN("cannot mount a tmpfs here (not root?): the full-disk test is skipped");
      return;
    }
    // 8-16 KB values written for 2 s fill 40 MB within the first cycle: RocksDB refuses an op,
    // then the power cut frees the unsynced bytes, or the harness's own files no longer fit.
    const std::string data_dir = (disk.path / "data").string();
    const std::string args = std::string("run --seed ") + seed +
                             " --cycles 4 --chains 1 --fault power-cut --data-dir " + data_dir +
                             " --value-min-bytes 8192 --value-max-bytes 16384"
                             " --fault-after-min-ms 2000 --fault-after-max-ms 2000";
    const Result r = Powercut(t.path, args);
    INFO(args << "\n" << r.out << r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 2));
    const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
    CHECK(FirstFailure(report) == nullptr);
    for (const auto& c : report.at("cycles")) {
      const std::string detail = c.at("detail").get<std::string>();
      if (detail.find("disk full, writing stopped") == std::string::npos) continue;
      ++refused_and_judged;
      CHECK(c.at("acked").get<uint64_t>() < c.at("hi").get<uint64_t>());  // the refused op
    }
    if (r.exit_code == 2) {
      // The harness's own files (or the store's open) did not fit: one line, where and why.
      const std::vector<std::string> lines = HarnessFailureLines(r.err);
      REQUIRE(lines.size() == 1);
      CHECK(lines[0].find("small/data") != std::string::npos);
      CHECK(lines[0].find("No space left on device") != std::string::npos);
      CHECK(report.at("complete") == false);
    }
  }
  CHECK(refused_and_judged > 0);  // a refused op's cycle was judged on what was acked
}
