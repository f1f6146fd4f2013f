#include "reports/merge.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace powercut::reports {
namespace {

struct ShardId {
  uint64_t index = 0;
  uint64_t count = 0;
};

// Parses "I/N" with 1 <= I <= N (shards count from 1, see run --shard); nothing else (no spaces,
// signs or "merged ...").
bool ParseShard(std::string_view s, ShardId* id) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) return false;
  auto number = [](std::string_view part, uint64_t* out) {
    const char* end = part.data() + part.size();
    auto [ptr, ec] = std::from_chars(part.data(), end, *out);
    return ec == std::errc() && ptr == end;
  };
  return number(s.substr(0, slash), &id->index) && number(s.substr(slash + 1), &id->count) &&
         id->index >= 1 && id->index <= id->count;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

bool IsShardName(std::string_view shard) {
  ShardId id;
  return ParseShard(shard, &id);
}

Status MergeReports(const std::vector<RunResult>& shards, RunResult* merged) {
  if (shards.empty()) return Status::BadInput("merge: no shard reports given");

  const RunResult& first = shards.front();
  std::map<uint64_t, const RunResult*> by_index;  // ordered: the merged cycle order
  ShardId first_id;
  for (size_t i = 0; i < shards.size(); ++i) {
    const RunResult& r = shards[i];
    const std::string which = fmt::format("report {} (shard {})", i + 1, Quote(r.shard));
    if (r.schema_version != kReportSchemaVersion) {
      return Status::BadInput(
          fmt::format("merge: {} has schema version {}, this powercut merges version {}", which,
                      r.schema_version, kReportSchemaVersion));
    }
    if (r.schema_version != first.schema_version) {
      return Status::BadInput(fmt::format("merge: different schema versions: {} vs {}",
                                          first.schema_version, r.schema_version));
    }
    ShardId id;
    if (!ParseShard(r.shard, &id)) {
      return Status::BadInput(
          "merge: " + which +
          " is not a shard report (expected shard I/N with 1 <= I <= N, from run --shard)");
    }
    if (i == 0) first_id = id;
    if (id.count != first_id.count) {
      return Status::BadInput(fmt::format("merge: {} is one of {} shards, report 1 one of {}",
                                          which, id.count, first_id.count));
    }
    if (by_index.count(id.index)) {
      return Status::BadInput("merge: shard " + r.shard + " given twice");
    }
    if (r.seed != first.seed) {
      return Status::BadInput(fmt::format("merge: {} has seed {}, report 1 seed {}: not one run",
                                          which, r.seed, first.seed));
    }
    if (r.plan != first.plan) {
      return Status::BadInput("merge: " + which +
                              " has a different plan than report 1: not one run");
    }
    if (r.contract != first.contract) {
      return Status::BadInput("merge: " + which + " applied contract " + Quote(r.contract) +
                              ", report 1 " + Quote(first.contract));
    }
    // Shards built from different powercut versions are not one run either: a fix in the
    // verifier between them would make the merged verdicts mean two different things.
    if (r.tool_version != first.tool_version) {
      return Status::BadInput("merge: " + which + " was written by powercut " +
                              Quote(r.tool_version) + ", report 1 by " + Quote(first.tool_version));
    }
    if (r.rocksdb_version != first.rocksdb_version) {
      return Status::BadInput("merge: " + which + " ran on RocksDB " + Quote(r.rocksdb_version) +
                              ", report 1 on " + Quote(first.rocksdb_version));
    }
    by_index[id.index] = &r;
  }

  RunResult out;
  out.schema_version = kReportSchemaVersion;
  out.tool_version = first.tool_version;
  out.rocksdb_version = first.rocksdb_version;
  out.seed = first.seed;
  out.plan = first.plan;
  out.contract = first.contract;
  out.complete = true;
  std::vector<std::string> names;
  std::vector<std::string> problems;
  for (const auto& [index, r] : by_index) {
    names.push_back(r->shard);
    if (!r->complete) {
      out.complete = false;
      problems.push_back("shard " + r->shard + " incomplete (" +
                         (r->incomplete_reason.empty() ? "no reason given" : r->incomplete_reason) +
                         ")");
    }
    if (!r->started_at.empty() && (out.started_at.empty() || r->started_at < out.started_at)) {
      out.started_at = r->started_at;  // ISO 8601 UTC strings order as times do
    }
    out.duration_s = std::max(out.duration_s, r->duration_s);
    for (CycleResult c : r->cycles) {
      if (c.shard.empty()) c.shard = r->shard;
      out.cycles.push_back(std::move(c));
    }
  }
  // A missing shard is a hole in the run: its chains were never tested.
  std::vector<std::string> missing;
  for (uint64_t i = 1; i <= first_id.count; ++i) {
    if (!by_index.count(i)) missing.push_back(fmt::format("{}/{}", i, first_id.count));
  }
  if (!missing.empty()) {
    out.complete = false;
    problems.push_back("shards missing: " + fmt::format("{}", fmt::join(missing, ",")));
  }
  out.shard = fmt::format("merged {}", fmt::join(names, ","));
  out.incomplete_reason = fmt::format("{}", fmt::join(problems, "; "));
  *merged = std::move(out);
  return Status::Ok();
}

}  // namespace powercut::reports
