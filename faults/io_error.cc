#include "faults/io_error.h"

#include <array>
#include <string_view>

namespace powercut::faults {
namespace {

constexpr std::array<const char*, kIoSiteCount> kSiteNames = {
    "wal-append", "wal-sync",    "sst-write", "sst-sync", "manifest-write", "manifest-sync",
    "dir-fsync",  "file-create", "rename",    "delete",   "close",
};
constexpr std::array<const char*, kIoErrorStatusCount> kStatusNames = {"retryable", "fatal",
                                                                       "nospace"};
constexpr std::array<const char*, 2> kModeNames = {"once", "sticky"};

// "a, b or c": the allowed values a BadInput message lists.
template <size_t N>
std::string Alternatives(const std::array<const char*, N>& names) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// The index of `text` in `names`, or -1.
template <size_t N>
int IndexOf(const std::array<const char*, N>& names, const std::string& text) {
  for (size_t i = 0; i < N; ++i) {
    if (text == names[i]) return static_cast<int>(i);
  }
  return -1;
}

template <size_t N>
const char* NameAt(const std::array<const char*, N>& names, size_t index) {
  return index < N ? names[index] : "?";
}

// The enum value named `text` among `names` (in enum order); BadInput listing them otherwise.
template <size_t N, typename Enum>
Status ParseName(const std::array<const char*, N>& names, const char* what, const std::string& text,
                 Enum* out) {
  const int i = IndexOf(names, text);
  if (i < 0) {
    return Status::BadInput("unknown I/O error " + std::string(what) + " '" + text + "': use " +
                            Alternatives(names));
  }
  *out = static_cast<Enum>(i);
  return Status::Ok();
}

// A decimal count from 1 that fits in 64 bits.
bool ParseNth(const std::string& text, uint64_t* nth) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *nth = std::stoull(text);
  return *nth != 0;
}

}  // namespace

Status ParseIoSite(const std::string& text, IoSite* site) {
  return ParseName(kSiteNames, "site", text, site);
}
const char* IoSiteName(IoSite site) { return NameAt(kSiteNames, static_cast<size_t>(site)); }

Status ParseIoErrorStatus(const std::string& text, IoErrorStatus* status) {
  return ParseName(kStatusNames, "status", text, status);
}
const char* IoErrorStatusName(IoErrorStatus status) {
  return NameAt(kStatusNames, static_cast<size_t>(status));
}

Status ParseIoErrorMode(const std::string& text, IoErrorMode* mode) {
  return ParseName(kModeNames, "mode", text, mode);
}
const char* IoErrorModeName(IoErrorMode mode) {
  return NameAt(kModeNames, static_cast<size_t>(mode));
}

Status ParseIoErrorPlan(const std::string& text, IoErrorPlan* plan) {
  std::array<std::string, 4> parts;
  size_t start = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const size_t colon = text.find(':', start);
    const bool last = i + 1 == parts.size();
    if (last != (colon == std::string::npos)) {
      return Status::BadInput("bad I/O error plan '" + text +
                              "': use SITE:N:STATUS:MODE, e.g. wal-sync:3:fatal:once");
    }
    parts[i] = text.substr(start, last ? std::string::npos : colon - start);
    start = colon + 1;
  }
  IoErrorPlan parsed;
  auto in_plan = [&](const Status& s) {
    return Status::BadInput("bad I/O error plan '" + text + "': " + s.message());
  };
  if (Status s = ParseIoSite(parts[0], &parsed.site); !s.ok()) return in_plan(s);
  if (!ParseNth(parts[1], &parsed.nth)) {
    return Status::BadInput("bad I/O error plan '" + text + "': call number '" + parts[1] +
                            "' must be a whole number from 1");
  }
  if (Status s = ParseIoErrorStatus(parts[2], &parsed.status); !s.ok()) return in_plan(s);
  if (Status s = ParseIoErrorMode(parts[3], &parsed.mode); !s.ok()) return in_plan(s);
  *plan = parsed;
  return Status::Ok();
}

std::string FormatIoErrorPlan(const IoErrorPlan& plan) {
  return std::string(IoSiteName(plan.site)) + ":" + std::to_string(plan.nth) + ":" +
         IoErrorStatusName(plan.status) + ":" + IoErrorModeName(plan.mode);
}

bool IsFileSyncSite(IoSite site) {
  return site == IoSite::kWalSync || site == IoSite::kSstSync || site == IoSite::kManifestSync;
}

uint64_t MaxNthCall(IoSite site) {
  // Roughly how often a short cycle makes each call: WAL appends come per write batch, SST
  // syncs only per flush or compaction output, renames only when CURRENT is installed.
  switch (site) {
    case IoSite::kWalAppend:
      return 200;
    case IoSite::kWalSync:
      return 20;
    case IoSite::kSstWrite:
      return 40;
    case IoSite::kSstSync:
      return 4;
    case IoSite::kManifestWrite:
    case IoSite::kManifestSync:
    case IoSite::kDirFsync:
    case IoSite::kDelete:
      return 6;
    case IoSite::kFileCreate:
    case IoSite::kClose:
      return 8;
    case IoSite::kRename:
      return 3;
  }
  return 1;
}

rocksdb::IOStatus InjectedIoStatus(IoErrorStatus status, IoSite site, const std::string& path) {
  const std::string msg = std::string("powercut injected I/O error (") + IoSiteName(site) + ", " +
                          IoErrorStatusName(status) + ") on " + path;
  switch (status) {
    case IoErrorStatus::kRetryable: {
      rocksdb::IOStatus s = rocksdb::IOStatus::IOError(msg);
      s.SetRetryable(true);
      return s;
    }
    case IoErrorStatus::kNoSpace:
      return rocksdb::IOStatus::NoSpace(msg);
    case IoErrorStatus::kFatal:
      break;
  }
  return rocksdb::IOStatus::IOError(msg);
}

}  // namespace powercut::faults
