#include "harness/check/gen.h"

#include <algorithm>

#include "src/value_codec.h"

namespace powercut::harness {
namespace {

// Draws come as u in [0, 1000) and go through monotone piecewise maps, so that most cases
// stay small and fast while a few reach the far end, and shrinking u shrinks the value.
constexpr uint32_t kScale = 1000;

uint32_t Piecewise(uint32_t u, std::initializer_list<std::pair<uint32_t, uint32_t>> knots) {
  // knots: (u, value) pairs with increasing u, the first at u = 0; linear in between.
  auto prev = *knots.begin();
  for (const auto& k : knots) {
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
std::string Pick(std::initializer_list<const char*> names) {
  return names.begin()[*rc::gen::inRange<size_t>(0, names.size())];
}

bool Forced(const std::vector<std::string>& forced, const std::string& name) {
  return std::any_of(forced.begin(), forced.end(),
                     [&](const std::string& f) { return f.rfind(name + "=", 0) == 0; });
}

CheckCase Draw(const GenLimits& l) {
  CheckCase c;
  // The order is the order rapidcheck shrinks in: what makes a case long comes first.
  c.cycles = *rc::gen::inRange<uint32_t>(1, l.max_cycles + 1);
  // 0 (60% of cases): write until the fault fires.
  const uint32_t ops = Draw();
  c.max_ops_per_cycle = ops < 400 ? Piecewise(ops, {{0, 1}, {200, 50}, {400, 2000}}) : 0;
  c.keys = Piecewise(Draw(), {{0, 10}, {500, 200}, {800, 2000}, {kScale, 20000}});
  // Values: 70% at most 512 B, 25% up to 16 KiB, 5% up to 1 MiB.
  const uint32_t vmax =
      Piecewise(Draw(), {{0, kValueHeaderBytes}, {700, 512}, {950, 16 << 10}, {kScale, 1 << 20}});
  const uint32_t vmin = kValueHeaderBytes + (vmax - kValueHeaderBytes) * Draw() / kScale;
  if (l.value_sizes) {
    c.value_min_bytes = vmin;
    c.value_max_bytes = std::min(vmax, kMaxValueBytes);
  }
  for (const OptionChoice& o : DurabilityOptions()) {
    // Drawn even when unused, so that every case makes the same draws and shrinks alike.
    const bool on = *rc::gen::inRange(0, 100) >= 75;  // a quarter of the options each case
    const size_t v = *rc::gen::inRange<size_t>(0, o.values.size());
    if (on && !Forced(l.forced, o.name)) c.options.emplace_back(o.name, o.values[v]);
  }
  // A change of options between restarts in some cases: one more option, or another value.
  const auto& all = DurabilityOptions();
  const bool change = *rc::gen::inRange(0, 100) >= 70;
  const size_t which = *rc::gen::inRange<size_t>(0, all.size());
  const size_t value = *rc::gen::inRange<size_t>(0, all[which].values.size());
  const uint32_t at = *rc::gen::inRange<uint32_t>(1, std::max<uint32_t>(2, c.cycles));
  if (change && c.cycles >= 2 && !Forced(l.forced, all[which].name)) {
    c.change_at = at;
    c.changes.emplace_back(all[which].name, all[which].values[value]);
  }
  c.profile = Pick({"puts", "default", "ranges", "batches"});
  c.fault = Pick({"kill", "stall", "power-cut", "mix"});
  c.cut = Pick({"drop", "torn", "reorder"});
  if (!c.CutsPower()) c.cut.clear();
  c.seed = *rc::gen::noShrink(rc::gen::inRange<uint64_t>(1, 1'000'000'000));
  // Power cuts come with sync writes (see Incompatibility): part of the fault, not an option
  // to shrink away on its own.
  const bool has_sync = std::any_of(c.options.begin(), c.options.end(),
                                    [](const auto& o) { return o.first == "sync"; });
  if (c.CutsPower() && !l.filter.planting && !has_sync && !Forced(l.forced, "sync")) {
    c.options.emplace_back("sync", "true");
  }
  return c;
}

}  // namespace

rc::Gen<CheckCase> GenCheckCase(const GenLimits& limits) {
  // Fixed at rapidcheck's nominal size: the first cases of a run would otherwise all be the
  // minimum, and a 3-case check would never leave it.
  return rc::gen::resize(
      100, rc::gen::suchThat(rc::gen::exec([limits] { return Draw(limits); }),
                             [limits](const CheckCase& c) {
                               // Both option sets a chain runs with must be ones RocksDB takes.
                               CheckCase after = c;
                               after.options = c.OptionsAfterChange();
                               return Incompatibility(c, limits.forced, limits.filter).empty() &&
                                      Incompatibility(after, limits.forced, limits.filter).empty();
                             }));
}

}  // namespace powercut::harness
