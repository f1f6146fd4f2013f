#include "faults/crash_states.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "faults/wal_records.h"
#include "src/rng.h"

namespace powercut::faults {
namespace {

// The calls after which the disk's durable state, or the namespace, may differ. An injected
// I/O error counts: a failed sync dooms bytes (fsyncgate), and every injected error is a
// state the store must recover from.
bool IsPersistencePoint(RecordKind kind) {
  return IsNamespaceIntent(kind) || kind == RecordKind::kSync || kind == RecordKind::kDirSync ||
         kind == RecordKind::kTruncate || kind == RecordKind::kIoError;
}

template <typename T>
void SeededShuffle(std::vector<T>* items, Rng* rng) {
  for (size_t i = items->size(); i > 1; --i) std::swap((*items)[i - 1], (*items)[rng->Uniform(i)]);
}

// The crash points of the writing, each moved forward over the op boundaries after it.
std::vector<uint64_t> CrashPoints(const Trace& trace, const ExploreLimits& limits) {
  const auto& records = trace.records();
  std::set<uint64_t> failed;
  for (const LedgerRecord& r : records) {
    if (r.kind == RecordKind::kFailed) failed.insert(r.a);
  }
  std::vector<size_t> events;  // indices of the writing's file-system events
  for (size_t i = 0; i < records.size(); ++i) {
    const LedgerRecord& r = records[i];
    if (r.ordinal <= trace.writing_start() || IsMarker(r.kind) || r.kind == RecordKind::kFailed)
      continue;
    // The last record, if an intent, may be a call the SIGKILL came before: not a state.
    if (i + 1 == records.size() && IsIntent(r.kind)) continue;
    events.push_back(i);
  }
  Rng rng(limits.seed, "crash-points");
  std::vector<size_t> picked;
  size_t gap_start = 0;  // events[gap_start, k) lie between two persistence points
  for (size_t k = 0; k <= events.size(); ++k) {
    const bool persist = k < events.size() && IsPersistencePoint(records[events[k]].kind) &&
                         failed.count(records[events[k]].ordinal) == 0;
    if (k < events.size() && !persist) continue;
    if (k > gap_start) picked.push_back(events[gap_start + rng.Uniform(k - gap_start)]);
    if (persist) picked.push_back(events[k]);
    gap_start = k + 1;
  }
  if (picked.size() > limits.max_points) {
    SeededShuffle(&picked, &rng);
    picked.resize(limits.max_points);
  }
  std::set<uint64_t> points;
  for (size_t i : picked) {
    while (i + 1 < records.size() && IsMarker(records[i + 1].kind)) ++i;
    points.insert(records[i].ordinal);
  }
  return {points.begin(), points.end()};
}

struct UnsyncedFile {
  uint32_t id;
  UnsyncedSpan span;
  std::vector<FileFate> options;  // every fate but kLose, the default
};

// The files a power cut at this point can tear, with the fates each may meet.
std::vector<UnsyncedFile> UnsyncedFiles(const Trace& trace, const Replay& at, uint64_t event,
                                        CutMode family, Rng* rng) {
  std::vector<UnsyncedFile> files;
  if (family == CutMode::kDrop) return files;  // every unsynced byte lost: no variants
  std::set<uint32_t> seen;
  for (const auto& [name, id] : at.names) {
    if (id == 0 || !seen.insert(id).second) continue;
    const ReplayedInode& inode = at.inodes.at(id);
    const UnsyncedSpan span = UnsyncedSpanOf(inode, inode.size);
    if (span.empty()) continue;
    UnsyncedFile f{id, span, {}};
    f.options.push_back({FileFate::Kind::kKeep, 0, 0});
    if (ClassifyName(name) == FileClass::kWal) {
      std::string bytes;
      std::vector<uint64_t> inside;
      if (trace.ReadAt(id, event, 0, span.last, &bytes).ok()) {
        for (uint64_t end : WalRecordEnds(bytes)) {
          if (end > span.first && end < span.last) inside.push_back(end);
        }
      }
      if (!inside.empty()) {
        f.options.push_back({FileFate::Kind::kKeepTo, inside[rng->Uniform(inside.size())], 0});
      }
    }
    if (span.last - span.first > 1) {
      f.options.push_back(
          {FileFate::Kind::kKeepTo, span.first + 1 + rng->Uniform(span.last - span.first - 1), 0});
    }
    if (family == CutMode::kReorder) f.options.push_back({FileFate::Kind::kPages, 0, rng->Next()});
    files.push_back(std::move(f));
  }
  return files;
}

// The fate combinations at one point besides "every file loses": all of them for few files,
// `sampled` seeded ones beyond.
std::vector<std::map<uint32_t, FileFate>> Variants(const std::vector<UnsyncedFile>& files,
                                                   const ExploreLimits& limits, uint64_t sampled,
                                                   Rng* rng) {
  std::vector<std::map<uint32_t, FileFate>> out;
  if (files.empty()) return out;
  if (files.size() <= limits.exhaustive_files) {
    std::vector<size_t> pick(files.size(), 0);  // 0: lose, k: options[k - 1]
    for (;;) {
      size_t i = 0;
      while (i < files.size() && ++pick[i] > files[i].options.size()) pick[i++] = 0;
      if (i == files.size()) break;
      std::map<uint32_t, FileFate> fates;
      for (size_t f = 0; f < files.size(); ++f) {
        if (pick[f] > 0) fates[files[f].id] = files[f].options[pick[f] - 1];
      }
      out.push_back(std::move(fates));
    }
    if (out.size() > sampled) {
      SeededShuffle(&out, rng);
      out.resize(sampled);
    }
    return out;
  }
  for (uint64_t k = 0; k < sampled; ++k) {
    std::map<uint32_t, FileFate> fates;
    for (const UnsyncedFile& f : files) {
      const uint64_t pick = rng->Uniform(f.options.size() + 1);
      if (pick > 0) fates[f.id] = f.options[pick - 1];
    }
    if (!fates.empty()) out.push_back(std::move(fates));
  }
  return out;
}

}  // namespace

Status PlanCrashStates(const Trace& trace, const ExploreLimits& limits,
                       std::vector<PlannedState>* states, PlanCounts* counts) {
  states->clear();
  *counts = PlanCounts();
  const std::vector<uint64_t> points = CrashPoints(trace, limits);
  counts->points = points.size();
  Rng rng(limits.seed, "crash-variants");
  const uint64_t tier0 = points.size() * ((limits.process ? 1 : 0) + (limits.power_cut ? 1 : 0));
  const uint64_t room = limits.max_candidates > tier0 ? limits.max_candidates - tier0 : 0;
  const uint64_t per_point = points.empty() ? 0 : std::max<uint64_t>(1, room / points.size());

  std::vector<PlannedState> first, variants;  // the two tiers, in enumeration order
  std::unordered_map<std::string, std::pair<int, size_t>> by_key;  // key -> (tier, index)
  auto add = [&](CrashState state, const Replay& at, int tier) {
    counts->candidates++;
    std::string key = trace.ContentKey(state, at);
    auto [it, fresh] = by_key.try_emplace(key, tier, tier == 0 ? first.size() : variants.size());
    if (!fresh) {
      auto& owner = it->second.first == 0 ? first : variants;
      owner[it->second.second].duplicates.push_back(std::move(state));
      return;
    }
    (tier == 0 ? first : variants).push_back({std::move(state), std::move(key), {}});
  };
  for (uint64_t event : points) {
    Replay at;
    Status s = trace.ReplayAt(event, &at);
    if (!s.ok()) return s;
    if (limits.process) add({event, CrashKind::kProcess, {}}, at, 0);
    if (!limits.power_cut) continue;
    add({event, CrashKind::kPowerCut, {}}, at, 0);
    const std::vector<UnsyncedFile> files = UnsyncedFiles(trace, at, event, limits.fates, &rng);
    const uint64_t sampled = std::min<uint64_t>(per_point, limits.sampled_variants);
    for (auto& fates : Variants(files, limits, sampled, &rng)) {
      add({event, CrashKind::kPowerCut, std::move(fates)}, at, 1);
    }
  }
  counts->distinct = first.size() + variants.size();
  // The index of each state's key moves with the shuffle; duplicates travel with their owner.
  SeededShuffle(&first, &rng);
  SeededShuffle(&variants, &rng);
  for (auto* tier : {&first, &variants}) {
    for (PlannedState& p : *tier) {
      if (limits.max_states != 0 && states->size() == limits.max_states) return Status::Ok();
      states->push_back(std::move(p));
    }
  }
  return Status::Ok();
}

std::vector<uint64_t> CrashPointsOf(const Trace& trace, const ExploreLimits& limits) {
  return CrashPoints(trace, limits);
}

OpsAt OpBoundariesAt(const Trace& trace, uint64_t event) { return trace.OpsThrough(event); }

}  // namespace powercut::faults
