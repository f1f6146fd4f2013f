// The verdict of one cycle: PASS with the recovered point, or FAIL with the classes of every
// key found wrong. It crosses a process boundary (verifier child → controller) as one JSON line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/status.h"

namespace powercut {

// Failure classes, named as DESIGN.md names them.
inline constexpr const char* kLostAck = "lost-ack";
inline constexpr const char* kHole = "hole";
inline constexpr const char* kPhantom = "phantom";
inline constexpr const char* kResurrected = "resurrected";
inline constexpr const char* kTornBatch = "torn-batch";
inline constexpr const char* kCorruptValue = "corrupt-value";
inline constexpr const char* kSilentCorruption = "silent-corruption";
inline constexpr const char* kBadCheckpoint = "bad-checkpoint";
inline constexpr const char* kBadBackup = "bad-backup";
inline constexpr const char* kUnrecoverable = "unrecoverable";
inline constexpr const char* kRecoveryHang = "recovery-hang";
// Beyond DESIGN.md's ten (issue 14): RocksDB killed the writing process from inside a call
// (an abort, a segfault), harness/run/writer_crash.h.
inline constexpr const char* kWriterCrash = "writer-crash";
// A clean close whose DB::Close did not return within the close timeout after SIGTERM.
inline constexpr const char* kCloseHang = "close-hang";

inline constexpr size_t kMaxFindings = 50;  // keys listed per verdict; counts are exact

struct Finding {
  std::string key;
  std::string klass;
  std::string expected;  // the oracle's state at the recovered point, decoded
  std::string found;     // what the store returned, decoded
};

struct Verdict {
  bool pass = false;
  uint64_t lo = 0;
  uint64_t hi = 0;
  uint64_t recovered = 0;   // r: the smallest matching prefix, or the closest on FAIL
  uint64_t mismatches = 0;  // keys differing at `recovered`
  // Concurrent writers only (src/verifier.h): ops above `recovered` the store also holds, each
  // one that was in flight beside op recovered + 1, which it lacks. Empty: a prefix.
  std::vector<uint64_t> ahead;
  std::map<std::string, uint64_t> classes;  // class → number of keys
  std::vector<Finding> findings;            // at most kMaxFindings
  std::string detail;                       // one line for a human

  // Where the chain goes on from after a PASS: `recovered`, or with ops ahead of it the
  // highest of them — the writer catches the store up to that prefix before it writes on.
  uint64_t ResumePoint() const { return ahead.empty() ? recovered : ahead.back(); }

  // A FAIL with one class and no key-level findings (open failed, hung, …).
  static Verdict Failure(const char* klass, std::string detail, uint64_t lo, uint64_t hi);
  void AddFinding(Finding f);  // counts it, keeps it if there is room

  nlohmann::json ToJson() const;
  static Status FromJson(const nlohmann::json& j, Verdict* v);
};

}  // namespace powercut
