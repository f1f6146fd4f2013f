#include "harness/check/gen.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "src/value_codec.h"
#include "workloads/lanes.h"

namespace powercut::harness {
namespace {

// Draws come as u in [0, 1000) and go through monotone piecewise maps, so that most cases
// stay small and fast while a few reach the far end, and shrinking u shrinks the value.
constexpr uint32_t kScale = 1000;

uint32_t Piecewise(uint32_t u, std::initializer_list<std::pair<uint32_t, uint32_t>> knots) {
  // knots: (u, value) pairs with increasing u and non-decreasing value, the first at u = 0;
  // linear in between.
  auto prev = *knots.begin();
  for (const auto& k : knots) {
    assert(k.second >= prev.second);
    if (u < k.first) {
      const uint64_t span = k.first - prev.first;
      return prev.second +
             static_cast<uint32_t>((uint64_t{k.second - prev.second} * (u - prev.first)) / span);
    }
    prev = k;
  }
  return prev.second;
}

uint32_t Draw() { return *rc::gen::inRange<uint32_t>(0, kScale); }

// One of `names`, shrinking toward the first (rapidcheck's gen::element does not shrink).
std::string Pick(const std::vector<std::string>& names) {
  assert(!names.empty());
  return names[*rc::gen::inRange<size_t>(0, names.size())];
}

bool Forced(const std::vector<std::string>& forced, const std::string& name) {
  return std::any_of(forced.begin(), forced.end(),
                     [&](const std::string& f) { return f.rfind(name + "=", 0) == 0; });
}

// Log-uniform in [1, max_ms]: windows from a millisecond to seconds, as many of each scale.
uint32_t LogUniformMs(uint32_t u, uint32_t max_ms) {
  return static_cast<uint32_t>(
      std::lround(std::pow(static_cast<double>(max_ms), static_cast<double>(u) / kScale)));
}

void DrawSizes(const GenLimits& l, CheckCase* c) {
  // The order is the order rapidcheck shrinks in: what makes a case long comes first.
  // Knots must not decrease (Piecewise interpolates upward): all are capped at the maximum.
  const uint32_t ten = std::min<uint32_t>(10, l.max_cycles);
  const uint32_t sixth = std::clamp<uint32_t>(l.max_cycles / 6, ten, l.max_cycles);
  c->cycles = Piecewise(Draw(), {{0, 1}, {600, ten}, {900, sixth}, {kScale, l.max_cycles}});
  // 0 (60% of cases): write until the fault fires.
  const uint32_t ops = Draw();
  c->max_ops_per_cycle = ops < 400 ? Piecewise(ops, {{0, 1}, {200, 50}, {400, 2000}}) : 0;
  c->keys = Piecewise(Draw(), {{0, 10}, {500, 200}, {800, 2000}, {950, 20000}, {kScale, 1000000}});
  // Values: 70% at most 512 B, 25% up to 16 KiB, 5% up to 1 MiB.
  const uint32_t vmax =
      Piecewise(Draw(), {{0, kValueHeaderBytes}, {700, 512}, {950, 16 << 10}, {kScale, 1 << 20}});
  const uint32_t vmin = kValueHeaderBytes + (vmax - kValueHeaderBytes) * Draw() / kScale;
  // 60% of cases keep the profile's 2:1; the rest range from incompressible to 10:1.
  const uint32_t ratio = Draw();
  if (l.value_sizes) {
    c->value_min_bytes = vmin;
    c->value_max_bytes = std::min(vmax, kMaxValueBytes);
    if (ratio >= 600) c->value_compression_ratio = (1 + (ratio - 600) * 9 / (kScale - 600)) / 10.0;
    // Big values with many ops would fill the disk: bound the bytes a cycle may write.
    c->BoundBytesPerCycle();
  }
  // Fault windows: 40% keep run's 1..40 ms; the rest from 1 ms to 5 s, log-uniform.
  const uint32_t window = Draw(), low = Draw();
  if (window >= 600) {
    c->fault_max_ms = LogUniformMs((window - 600) * kScale / (kScale - 600), kMaxFaultWindowMs);
    c->fault_min_ms = 1 + (c->fault_max_ms - 1) * low / kScale;
  }
}

void DrawOptions(const GenLimits& l, CheckCase* c) {
  for (const OptionChoice& o : DurabilityOptions()) {
    // Drawn even when unused, so that every case makes the same draws and shrinks alike.
    const bool on = *rc::gen::inRange(0, 100) >= 75;  // a quarter of the options each case
    const size_t v = *rc::gen::inRange<size_t>(0, o.values.size());
    if (on && !Forced(l.forced, o.name)) c->options.emplace_back(o.name, o.values[v]);
  }
  // A change of options between restarts in some cases: one more option, or another value.
  const auto& all = DurabilityOptions();
  const bool change = *rc::gen::inRange(0, 100) >= 70;
  const size_t which = *rc::gen::inRange<size_t>(0, all.size());
  const size_t value = *rc::gen::inRange<size_t>(0, all[which].values.size());
  const uint32_t at = *rc::gen::inRange<uint32_t>(1, std::max<uint32_t>(2, c->cycles));
  if (change && c->cycles >= 2 && !Forced(l.forced, all[which].name)) {
    c->change_at = at;
    c->changes.emplace_back(all[which].name, all[which].values[value]);
  }
}

CheckCase Draw(const GenLimits& l) {
  CheckCase c;
  DrawSizes(l, &c);
  DrawOptions(l, &c);
  c.profile = Pick(l.profiles);
  // Drawn for every case, so that every case makes the same draws and shrinks alike.
  const std::string txn = Pick({"pessimistic", "optimistic"});
  if (c.profile == "txn") c.txn = txn;
  c.fault = Pick(l.faults);
  c.cut = Pick({"drop", "torn", "reorder"});
  if (!c.CutsPower()) c.cut.clear();
  // Crash states of every writer run, judged besides the one the chain goes on from.
  const uint32_t explore = *rc::gen::inRange<uint32_t>(0, 3);
  c.explore = l.explore ? 4u << explore : 0;  // 4, 8 or 16
  c.seed = *rc::gen::noShrink(rc::gen::inRange<uint64_t>(1, 1'000'000'000));
  // Concurrent writers in three cases of eight, on any profile a family drop is not part of, when
  // the key space gives each thread keys of its own (drawn last: earlier draws stay as they were).
  const uint32_t threads = *rc::gen::element(0u, 0u, 0u, 2u, 4u, 8u, 0u, 0u);
  if (threads > 0 && c.profile != "cf" && c.keys >= workloads::kMinKeysPerThread * threads)
    c.threads = threads;
  return c;
}

}  // namespace

const std::vector<std::string>& AllProfiles() {
  static const std::vector<std::string> all = {"puts",   "default", "ranges", "batches",
                                               "backup", "cf",      "txn"};
  return all;
}

const std::vector<std::string>& AllFaults() {
  static const std::vector<std::string> all = {"kill", "stall", "power-cut", "mix", "io-error"};
  return all;
}

bool Admissible(const CheckCase& c, const GenLimits& limits) {
  CheckCase after = c;
  after.options = c.OptionsAfterChange();
  return Incompatibility(c, limits.forced, limits.filter).empty() &&
         Incompatibility(after, limits.forced, limits.filter).empty();
}

rc::Gen<CheckCase> GenCheckCase(const GenLimits& limits) {
  // Fixed at rapidcheck's nominal size: the first cases of a run would otherwise all be the
  // minimum, and a 3-case check would never leave it.
  return rc::gen::resize(
      100, rc::gen::suchThat(rc::gen::exec([limits] { return Draw(limits); }),
                             [limits](const CheckCase& c) { return Admissible(c, limits); }));
}

CheckCase SampleCase(const GenLimits& limits, uint64_t seed) {
  return GenCheckCase(limits)(rc::Random(seed), 100).value();
}

nlohmann::json GeneratedJson(const GenLimits& l) {
  nlohmann::json options = nlohmann::json::object();
  for (const OptionChoice& c : DurabilityOptions()) options[c.name] = c.values;
  return {{"profiles", l.profiles},
          {"txn", {"pessimistic", "optimistic"}},
          {"threads", {1, 2, 4, 8}},
          {"faults", l.faults},
          {"cuts", {"drop", "torn", "reorder"}},
          {"cycles", {1, l.max_cycles}},
          {"keys", {10, 1000000}},
          {"max_ops_per_cycle", "1..2000, or until the fault (60%); at most 64 MiB a cycle"},
          {"fault_window_ms", {1, kMaxFaultWindowMs}},
          {"explore", l.explore ? nlohmann::json{4, 8, 16} : nlohmann::json{0}},
          {"value_bytes", l.value_sizes ? nlohmann::json{24, 1 << 20}
                                        : nlohmann::json("the profile's (powercut run has no " +
                                                         std::string(kValueSizeFlag) + ")")},
          {"value_compression_ratio",
           l.value_sizes ? nlohmann::json{0.1, 1.0} : nlohmann::json("the profile's")},
          {"options", options},
          {"option_changes", "one option added or changed from a seeded cycle on (30%)"}};
}

nlohmann::json NotGeneratedJson(const GenLimits& l) {
  nlohmann::json n = {
      "the clean fault; batch sizes, key skew and sync frequency (no run flags)",
      "wal_recovery_mode kSkipAnyCorruptedRecords under power cuts (documented as other than "
      "point-in-time recovery)",
      "wal_recovery_mode kAbsoluteConsistency under any crash (documented to refuse an incomplete "
      "trailing record)",
      "wal_recovery_mode kTolerateCorruptedTailRecords under reordered power cuts (documented to "
      "refuse a corruption before the last record)",
      "unordered_write with manual_wal_flush and without two_write_queues (every write "
      "deadlocks: RocksDB #15097)",
      "column families without a WAL unless atomic_flush and whole-store flushes, and options a "
      "TransactionDB refuses (run refuses them as bad input)"};
  if (!l.value_sizes)
    n.push_back("value sizes: powercut run has no " + std::string(kValueSizeFlag));
  return n;
}

}  // namespace powercut::harness
