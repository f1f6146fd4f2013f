#include "faults/state_features.h"

#include <algorithm>
#include <set>

namespace powercut::faults {
namespace {

constexpr uint64_t kLogBlockBytes = 32 * 1024;  // RocksDB's log::kBlockSize
constexpr uint64_t kSmallRecordBytes = 4 * 1024;

std::string_view BaseName(std::string_view name) {
  const size_t slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

bool UnderRoot(const std::string& name, const std::string& root) {
  return root.empty() || (name.size() > root.size() && name.compare(0, root.size(), root) == 0 &&
                          name[root.size()] == '/');
}

// The unsynced-kind feature of a file name.
const char* KindOf(const std::string& name, const Replay& at) {
  if (!UnderRoot(name, at.store_root)) return "checkpoint";
  if (BaseName(name) == "CURRENT") return "current";
  switch (ClassifyName(name)) {
    case FileClass::kWal:
      return "wal";
    case FileClass::kSst:
      return "sst";
    case FileClass::kManifest:
      return "manifest";
    case FileClass::kOther:
      break;
  }
  return "other";
}

const char* FateName(FileFate::Kind kind) {
  switch (kind) {
    case FileFate::Kind::kLose:
      return "drop";
    case FileFate::Kind::kKeep:
      return "keep";
    case FileFate::Kind::kKeepTo:
      return "to";
    case FileFate::Kind::kPages:
      return "pages";
  }
  return "?";
}

std::string StateFeature(const CrashState& state) {
  if (state.kind == CrashKind::kProcess) return "process-crash";
  std::set<std::string> fates;
  for (const auto& [id, fate] : state.fates) fates.insert(FateName(fate.kind));
  fates.erase("drop");  // an unlisted file drops: listing it changes nothing
  if (fates.empty()) return "power-cut:drop";
  std::string s = "power-cut:";
  for (const std::string& f : fates) s += (s.back() == ':' ? "" : "+") + f;
  return s;
}

std::string OpFeature(const OpSource* ops, const OpsAt& at) {
  if (ops == nullptr || at.issued <= at.acked) return "none";
  return OpInFlightFeature(ops->Get(at.issued));
}

}  // namespace

std::string OpInFlightFeature(const Op& op) {
  switch (op.kind) {
    // Prepare, commit and rollback markers, and MANIFEST records for a family: states in
    // flight there recover through other code than a plain write's, so they count apart.
    case OpKind::kTxn:
    case OpKind::kTxnRollback:
      return std::string(OpKindName(op.kind)) + (op.two_phase ? "-2pc" : "");
    case OpKind::kRecreateFamily:
      return OpKindName(op.kind);
    default:
      return op.ChangesState() ? "write" : OpKindName(op.kind);
  }
}

// Live WAL files: each count to 3, then doubling ranges (4-7, 8-15, 16+), so that a store
// keeping more and more WALs (recoveries without a flush, prepared transactions, families not
// flushed) reads as ever deeper states a guided search can climb, while counts of one depth
// stay one value.
std::string WalsBucket(uint32_t live_wals) {
  if (live_wals < 4) return std::to_string(live_wals);
  if (live_wals < 8) return "4-7";
  if (live_wals < 16) return "8-15";
  return "16+";
}

// The largest WAL record: within a small write, larger, or over a 32 KiB block.
static std::string RecordBucket(uint64_t largest_bytes) {
  return largest_bytes >= kLogBlockBytes      ? "spans"
         : largest_bytes >= kSmallRecordBytes ? "large"
                                              : "small";
}

std::optional<Rung> RungOf(const std::string& value) {
  // The rungs are the buckets' own values, in order, so a ladder cannot drift from its feature.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kLadders = {
      {"wals",
       {WalsBucket(0), WalsBucket(1), WalsBucket(2), WalsBucket(3), WalsBucket(4), WalsBucket(8),
        WalsBucket(16)}},
      {"record", {RecordBucket(0), RecordBucket(kSmallRecordBytes), RecordBucket(kLogBlockBytes)}}};
  const size_t eq = value.find('=');
  if (eq == std::string::npos) return std::nullopt;
  for (const auto& [ladder, rungs] : kLadders) {
    if (value.compare(0, eq, ladder) != 0 || ladder.size() != eq) continue;
    const auto it = std::find(rungs.begin(), rungs.end(), value.substr(eq + 1));
    if (it == rungs.end()) return std::nullopt;
    return Rung{ladder, static_cast<uint32_t>(it - rungs.begin()), it + 1 == rungs.end()};
  }
  return std::nullopt;
}

std::string StateFeatures::Key() const {
  std::string k = "wals=" + WalsBucket(live_wals);
  k += " unsynced=";
  if (unsynced.empty()) k += "none";
  for (size_t i = 0; i < unsynced.size(); ++i) k += (i == 0 ? "" : "+") + unsynced[i];
  if (manifest_rolled) k += " manifest-rolled";
  if (wal_recycled) k += " wal-recycled";
  k += " op=" + op_in_flight;
  if (option_changed) k += " option-changed";
  k += " record=" + record + " mode=" + mode + " state=" + state;
  return k;
}

std::string RecoveryModeFeature(const std::string& value) {
  if (value == "kTolerateCorruptedTailRecords" || value == "0") return "tail";
  if (value == "kAbsoluteConsistency" || value == "1") return "absolute";
  if (value == "kSkipAnyCorruptedRecords" || value == "3") return "skip";
  return "point";  // kPointInTimeRecovery, RocksDB's default
}

FeatureIndex::FeatureIndex(const Trace& trace) : trace_(trace) {
  uint64_t largest = 0;
  std::map<uint32_t, FileClass> classes;  // by file id, from the name it was first seen by
  for (const LedgerRecord& r : trace.records()) {
    if (r.file_id != 0 && !r.name.empty()) classes.emplace(r.file_id, ClassifyName(r.name));
    const bool writing = r.ordinal > trace.writing_start();
    if (r.kind == RecordKind::kCreate && writing && ClassifyName(r.name) == FileClass::kManifest)
      manifest_rolled_at_ = std::min(manifest_rolled_at_, r.ordinal);
    if (r.kind == RecordKind::kRename && ClassifyName(r.name) == FileClass::kWal &&
        ClassifyName(r.name2) == FileClass::kWal)
      wal_recycled_at_ = std::min(wal_recycled_at_, r.ordinal);
    if (r.kind == RecordKind::kAppend && r.b > largest) {
      const auto it = classes.find(r.file_id);
      if (it != classes.end() && it->second == FileClass::kWal) {
        largest = r.b;
        largest_append_.emplace_back(r.ordinal, largest);
      }
    }
  }
}

StateFeatures FeatureIndex::Of(const CrashState& state, const Replay& at,
                               const StateContext& context) const {
  StateFeatures f;
  std::set<std::string> unsynced;
  for (const auto& [name, id] : at.live_names) {
    if (id == 0) continue;
    const bool in_store = UnderRoot(name, at.store_root);
    if (in_store && ClassifyName(name) == FileClass::kWal) f.live_wals++;
    const auto inode = at.inodes.find(id);
    // Doomed bytes (fsyncgate) are lost to a power cut like unsynced ones.
    if (inode != at.inodes.end() &&
        (inode->second.size > inode->second.durable || !inode->second.doomed.empty()))
      unsynced.insert(KindOf(name, at));
  }
  f.unsynced.assign(unsynced.begin(), unsynced.end());
  f.manifest_rolled = state.event >= manifest_rolled_at_;
  f.wal_recycled = state.event >= wal_recycled_at_;
  f.op_in_flight = OpFeature(context.ops, trace_.OpsThrough(state.event));
  f.option_changed = context.option_changed;
  // The largest WAL append at or before the event.
  const auto it = std::upper_bound(largest_append_.begin(), largest_append_.end(),
                                   std::pair{state.event, ~uint64_t{0}});
  const uint64_t largest = it == largest_append_.begin() ? 0 : std::prev(it)->second;
  f.record = RecordBucket(largest);
  f.mode = context.recovery_mode;
  f.state = StateFeature(state);
  return f;
}

}  // namespace powercut::faults
