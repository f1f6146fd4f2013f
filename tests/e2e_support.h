// Helpers for end-to-end tests: run the real binaries in a scratch directory and read what
// they wrote. No mocks: every test here starts real processes on real RocksDB stores.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace e2e {

namespace fs = std::filesystem;

inline std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) throw std::runtime_error(std::string(name) + " is not set: run through ctest");
  return v;
}

inline std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline size_t CountLines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

inline size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// A scratch directory, removed at the end (immutable bits cleared first).
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "powercut-e2e-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    // Tests make parts read-only (permission bits for users, the immutable bit for root).
    std::string cmd = "chattr -R -i '" + path.string() + "' 2>/dev/null";
    (void)std::system(cmd.c_str());
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(path, ec)) {
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path, ec);
  }
};

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command line inside `dir`, capturing stdout and stderr.
inline Result Shell(const fs::path& dir, const std::string& command_line) {
  const fs::path out = dir / ".out", err = dir / ".err";
  const std::string cmd = "cd '" + dir.string() + "' && " + command_line + " > '" + out.string() +
                          "' 2> '" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(out);
  r.err = Slurp(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

// Tests of other mechanisms run `powercut run` without crash-state exploration, which
// multiplies a cycle's time; the exploration tests ask for it with --explore.
inline std::string WithoutExploration(const std::string& args) {
  const bool run = args.rfind("run ", 0) == 0 || args.find(" run ") != std::string::npos;
  return run && args.find("--explore") == std::string::npos ? args + " --explore 0" : args;
}

inline Result Powercut(const fs::path& dir, const std::string& args) {
  return Shell(dir, "'" + Env("POWERCUT_BIN") + "' " + WithoutExploration(args));
}

inline nlohmann::json ReadJson(const fs::path& p) { return nlohmann::json::parse(Slurp(p)); }

inline void WriteFile(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

// The first failing cycle of a report.json, or nullptr.
inline const nlohmann::json* FirstFailure(const nlohmann::json& report) {
  for (const auto& c : report.at("cycles")) {
    if (c.at("verdict") == "FAIL") return &c;
  }
  return nullptr;
}

// The first failing cycle of the report a run wrote into `dir`/powercut-report (a copy).
// Throws, and so fails the test, when the report holds none.
inline nlohmann::json RunFailure(const fs::path& dir) {
  const nlohmann::json report = ReadJson(dir / "powercut-report/report.json");
  const nlohmann::json* failure = FirstFailure(report);
  if (failure == nullptr) throw std::runtime_error("the run's report holds no FAIL");
  return *failure;
}

inline bool HasClass(const nlohmann::json& cycle, const std::string& klass) {
  for (const auto& k : cycle.at("classes")) {
    if (k == klass) return true;
  }
  return false;
}

// Starts powercut in the background; returns its pid.
inline pid_t Spawn(const fs::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv_s = {Env("POWERCUT_BIN")};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  const bool run = !args.empty() && args.front() == "run";
  if (run && std::find(args.begin(), args.end(), "--explore") == args.end()) {
    argv_s.insert(argv_s.end(), {"--explore", "0"});  // as in Powercut() above
  }
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  posix_spawn_file_actions_addopen(&actions, 1, (dir / ".bg.out").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (dir / ".bg.err").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Processes whose command line mentions `needle` (e.g. a test's unique data directory).
inline std::vector<pid_t> ProcessesMentioning(const std::string& needle) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = Slurp(entry.path() / "cmdline");
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    // Zombies have an empty cmdline; they are dead already.
    if (cmdline.find(needle) != std::string::npos &&
        cmdline.find("powercut-writer") != std::string::npos) {
      found.push_back(std::stoi(name));
    }
  }
  return found;
}

template <typename Pred>
bool WaitFor(Pred pred, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace e2e
