#include "faults/crash_narrative.h"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "faults/crash_states.h"

namespace powercut::faults {
namespace {

// 4096 -> "4,096": offsets and op numbers a reader compares at a glance.
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// The ops whose WAL appends to inode `id` overlap [start, end), as "ops a..b" (or "").
std::string OpsIn(const Trace& trace, uint32_t id, uint64_t start, uint64_t end) {
  uint64_t op = 0, lo = ~uint64_t{0}, hi = 0;
  for (const LedgerRecord& r : trace.records()) {
    if (r.kind == RecordKind::kIssued) op = r.a;
    if (r.kind != RecordKind::kAppend || r.file_id != id || op == 0) continue;
    if (r.a < end && r.a + r.b > start) {
      lo = std::min(lo, op);
      hi = std::max(hi, op);
    }
  }
  if (hi == 0) return "";
  return lo == hi ? fmt::format(" (op {})", Grouped(lo))
                  : fmt::format(" (ops {}..{})", Grouped(lo), Grouped(hi));
}

std::string Range(const Trace& trace, uint32_t id, uint64_t start, uint64_t end) {
  return fmt::format("{}..{}{}", Grouped(start), Grouped(end), OpsIn(trace, id, start, end));
}

// What happened to one file's unsynced span [first, last) under its fate.
std::string FateStory(const Trace& trace, const std::string& leaf, uint32_t id,
                      const UnsyncedSpan& span, const FileFate& fate) {
  switch (fate.kind) {
    case FileFate::Kind::kLose:
      return fmt::format("{} lost its unsynced bytes {}", leaf,
                         Range(trace, id, span.first, span.last));
    case FileFate::Kind::kKeep:
      return fmt::format("{} kept its unsynced bytes {}", leaf,
                         Range(trace, id, span.first, span.last));
    case FileFate::Kind::kKeepTo: {
      const uint64_t cut = std::clamp(fate.keep_to, span.first, span.last);
      return fmt::format("{} kept {} and lost {}", leaf, Range(trace, id, span.first, cut),
                         Range(trace, id, cut, span.last));
    }
    case FileFate::Kind::kPages:
      return fmt::format("{} kept a seeded subset of the 4 KiB pages of its unsynced bytes {}",
                         leaf, Range(trace, id, span.first, span.last));
  }
  return leaf;
}

// The same, and the bytes a failed sync doomed (fsyncgate): zeros whatever the fate.
std::string FileStory(const Trace& trace, const std::string& name, uint32_t id,
                      const UnsyncedSpan& span, const FileFate& fate) {
  const std::string leaf = name.substr(name.rfind('/') + 1);
  if (span.first >= span.last) {
    return fmt::format("{} read zeros over {} bytes a failed sync doomed (fsyncgate)", leaf,
                       Grouped(span.doomed_bytes));
  }
  const std::string doomed = span.doomed_bytes == 0
                                 ? ""
                                 : fmt::format(" (and zeros over {} bytes a failed sync doomed)",
                                               Grouped(span.doomed_bytes));
  return FateStory(trace, leaf, id, span, fate) + doomed;
}

}  // namespace

std::string NarrateCrashState(const Trace& trace, const CrashState& state, const Replay& at) {
  const OpsAt ops = OpBoundariesAt(trace, state.event);
  std::string what;
  for (const LedgerRecord& r : trace.records()) {
    if (r.ordinal == state.event) what = DescribeRecord(r);
  }
  std::string out = fmt::format("{} after {}; ops acked up to {}, issued up to {}",
                                state.kind == CrashKind::kProcess ? "process crash" : "power cut",
                                what.empty() ? "#" + std::to_string(state.event) : what,
                                Grouped(ops.acked), Grouped(ops.issued));
  if (state.kind == CrashKind::kProcess) return out;
  std::vector<std::string> stories;
  std::vector<uint32_t> told;
  for (const auto& [name, id] : at.names) {
    if (id == 0 || std::find(told.begin(), told.end(), id) != told.end()) continue;
    const ReplayedInode& inode = at.inodes.at(id);
    const UnsyncedSpan span = UnsyncedSpanOf(inode, inode.size);
    if (span.empty()) continue;
    told.push_back(id);
    auto it = state.fates.find(id);
    stories.push_back(
        FileStory(trace, name, id, span, it == state.fates.end() ? FileFate() : it->second));
  }
  if (stories.empty()) return out + "; no file held unsynced bytes";
  out += ": ";
  for (size_t i = 0; i < stories.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == stories.size() ? " while " : ", ") + stories[i];
  }
  return out;
}

}  // namespace powercut::faults
