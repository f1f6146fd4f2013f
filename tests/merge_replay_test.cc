// `powercut merge` keeps the shards' evidence (issue 16): every line of a merged report works
// from the merged folder alone. Real shard runs that fail, a real merge, the shard folders
// deleted, and the merged report's own reproduce lines replayed.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// With no WAL and acked writes demanded, most cycles fail; --keep-going goes on with fresh
// chains, so each shard fails several times, and --max-failures leaves the later failures
// without evidence. Which cycle numbers fail is timing's. No crash-state exploration: the
// cycles' own evidence is what this test is about (reports_test covers the states' lines).
const std::string kPlan =
    "run --seed 42 --cycles 10 --chains 1 --fault kill --option disableWAL=true --expect acked "
    "--keep-going --max-failures 3 --explore 0";

bool Contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

bool IsReplayLine(const std::string& line) { return line.rfind("powercut replay ", 0) == 0; }

// The failing cycles of a report whose line is a replay (they kept evidence), by cycle.
std::map<uint64_t, std::string> WithEvidence(const nlohmann::json& report) {
  std::map<uint64_t, std::string> out;
  for (const auto& c : report.at("cycles")) {
    const std::string line = c.at("reproduce").get<std::string>();
    if (c.at("verdict") == "FAIL" && IsReplayLine(line)) out[c.at("cycle")] = line;
  }
  return out;
}

// A reproduce line as the shell runs it, with this build's powercut.
Result RunLine(const fs::path& dir, const std::string& line) {
  REQUIRE(line.rfind("powercut ", 0) == 0);
  return Powercut(dir, line.substr(9));
}

// Checks what the merged folder says of each failing cycle: the replay lines name the merged
// report and the shard, the evidence sits in failures/shard-I-of-N/<cycle>/ with its own
// copy of the line, and every format carries the same line.
void CheckMergedLines(const fs::path& dir, const nlohmann::json& merged, size_t replay_lines) {
  const std::string text = Slurp(dir / "merged/report.txt");
  const std::string junit = Slurp(dir / "merged/junit.xml");
  const std::string html = Slurp(dir / "merged/report.html");
  size_t replays = 0;
  for (const auto& c : merged.at("cycles")) {
    if (c.at("verdict") != "FAIL") continue;
    const std::string line = c.at("reproduce"), shard = c.at("shard");
    INFO(line);
    CHECK(Contains(text, "reproduce: " + line));
    CHECK(Contains(junit, line));
    CHECK(Contains(html, line));
    if (!IsReplayLine(line)) {
      CHECK(line.rfind("powercut run ", 0) == 0);  // a run line works anywhere
      continue;
    }
    ++replays;
    const std::string cycle = std::to_string(c.at("cycle").get<uint64_t>());
    CHECK(line == "powercut replay merged/report.json --cycle " + cycle + " --shard " + shard);
    const std::string folder = "failures/shard-" + shard.substr(0, 1) + "-of-2/" + cycle;
    CHECK(ReadJson(dir / "merged" / folder / "replay.json").at("reproduce") == line);
    CHECK(Contains(Slurp(dir / "merged" / folder / "summary.txt"), "reproduce: " + line + "\n"));
    CHECK(Contains(html, "href=\"" + folder + "/summary.txt\""));
    // Linked where it can be, never through a link where the line was rewritten.
    CHECK(fs::hard_link_count(dir / "merged" / folder / "manifest.jsonl") == 2);
    CHECK(fs::hard_link_count(dir / "merged" / folder / "replay.json") == 1);
  }
  CHECK(replays == replay_lines);  // every shard failure that kept evidence
}

}  // namespace

TEST_CASE("a merged report's failures replay from the merged folder with the shards deleted") {
  TempDir t;
  for (const char* i : {"1", "2"}) {
    const Result r =
        Powercut(t.path, kPlan + " --shard " + i + "/2 --data-dir d" + i + " --report-dir r" + i);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 1);
  }
  const auto first = WithEvidence(ReadJson(t.path / "r1/report.json"));
  const auto second = WithEvidence(ReadJson(t.path / "r2/report.json"));
  REQUIRE(!first.empty());
  REQUIRE(!second.empty());

  // A shard folder without its evidence is refused, and the output is not touched.
  fs::create_directory(t.path / "bare");
  fs::copy_file(t.path / "r2/report.json", t.path / "bare/report.json");
  const Result bare = Powercut(t.path, "merge r1/report.json bare/report.json --out merged");
  CHECK(bare.exit_code == 2);
  CHECK(CountLines(bare.err) == 1);
  CHECK(Contains(bare.err, "no evidence"));
  CHECK_FALSE(fs::exists(t.path / "merged"));

  const Result m = Powercut(t.path, "merge r1/report.json r2/report.json --out merged");
  INFO(m.out << m.err);
  REQUIRE(m.exit_code == 0);
  const nlohmann::json merged = ReadJson(t.path / "merged/report.json");
  CheckMergedLines(t.path, merged, first.size() + second.size());
  // The shards' own evidence keeps its own lines.
  const uint64_t one = first.begin()->first;
  CHECK(ReadJson(t.path / "r1/failures" / std::to_string(one) / "replay.json").at("reproduce") ==
        first.at(one));
  // A refused merge into the merged folder leaves it as it was.
  const std::string before = Slurp(t.path / "merged/report.json");
  CHECK(Powercut(t.path, "merge r1/report.json bare/report.json --out merged").exit_code == 2);
  CHECK(Slurp(t.path / "merged/report.json") == before);
  CHECK(fs::exists(t.path / "merged/failures/shard-2-of-2"));

  for (const char* gone : {"r1", "r2", "d1", "d2", "bare"}) fs::remove_all(t.path / gone);
  // The merged report's own lines, as written: the first failure of each shard.
  for (const char* shard : {"1/2", "2/2"}) {
    std::string line;
    for (const auto& c : merged.at("cycles")) {
      if (c.at("shard") == shard && line.empty() && IsReplayLine(c.at("reproduce"))) {
        line = c.at("reproduce");
      }
    }
    const Result replay = RunLine(t.path, line);
    INFO(line << "\n" << replay.out << replay.err);
    CHECK(replay.exit_code == 0);
    CHECK(Contains(replay.out, "replay agrees with the report: FAIL"));
  }
  // Without --shard: when only shard 1 kept evidence for cycle `one`, replay takes it; when
  // both shards did, the cycle is ambiguous and the one line names the fix. Whether the runs
  // failed at the same cycle number is their timing's, so the test sets up each case.
  const fs::path shard1 = t.path / "merged/failures/shard-1-of-2" / std::to_string(one);
  const fs::path shard2 = t.path / "merged/failures/shard-2-of-2" / std::to_string(one);
  fs::remove_all(shard2);
  const Result alone = Powercut(t.path, "replay merged/report.json --cycle " + std::to_string(one));
  INFO(alone.out << alone.err);
  CHECK(alone.exit_code == 0);
  CHECK(Contains(alone.out, "replay agrees with the report: FAIL"));
  fs::copy(shard1, shard2, fs::copy_options::recursive);
  const Result ambiguous =
      Powercut(t.path, "replay merged/report.json --cycle " + std::to_string(one));
  CHECK(ambiguous.exit_code == 2);
  CHECK(CountLines(ambiguous.err) == 1);
  CHECK(Contains(ambiguous.err, "ambiguous"));
  CHECK(Contains(ambiguous.err, "--shard 1/2"));
  for (const char* bad : {"3/2", "0/2", "x"}) {
    const Result r = Powercut(
        t.path, "replay merged/report.json --cycle " + std::to_string(one) + " --shard " + bad);
    INFO(bad << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(CountLines(r.err) == 1);
    CHECK(Contains(r.err, "--shard"));
  }
}
