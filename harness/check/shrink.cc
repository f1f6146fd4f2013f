#include "harness/check/shrink.h"

#include <rapidcheck.h>

namespace powercut::harness {
namespace {

// The values rapidcheck would shrink `value` to, toward `target`: target first, then halfway,
// and so on up to value - 1.
std::vector<uint32_t> Toward(uint32_t value, uint32_t target) {
  std::vector<uint32_t> out;
  if (value <= target) return out;
  auto seq = rc::shrink::towards<uint32_t>(value, target);
  while (auto v = seq.next()) out.push_back(*v);
  return out;
}

}  // namespace

std::vector<CheckCase> SmallerCases(const CheckCase& c) {
  std::vector<CheckCase> out;
  auto with = [&](auto change) {
    CheckCase s = c;
    change(&s);
    if (s.change_at >= s.cycles) s.change_at = 0, s.changes.clear();
    out.push_back(std::move(s));
  };
  for (uint32_t n : Toward(c.cycles, 1)) with([n](CheckCase* s) { s->cycles = n; });
  // "Until the fault" is the longest: bound it first, then shrink the bound.
  if (c.max_ops_per_cycle == 0) with([](CheckCase* s) { s->max_ops_per_cycle = 2000; });
  for (uint32_t n : Toward(c.max_ops_per_cycle, 1))
    with([n](CheckCase* s) { s->max_ops_per_cycle = n; });
  for (uint32_t n : Toward(c.keys, 10)) with([n](CheckCase* s) { s->keys = n; });
  if (c.explore > 4) with([](CheckCase* s) { s->explore = 4; });
  for (size_t i = 0; i < c.options.size(); ++i) {
    with([i](CheckCase* s) { s->options.erase(s->options.begin() + static_cast<long>(i)); });
  }
  if (c.change_at > 0) with([](CheckCase* s) { s->change_at = 0, s->changes.clear(); });
  if (c.value_max_bytes > 512) {
    with([](CheckCase* s) {
      s->value_max_bytes = 512;
      s->value_min_bytes = std::min(s->value_min_bytes, 512u);
    });
  }
  if (c.value_compression_ratio >= 0) with([](CheckCase* s) { s->value_compression_ratio = -1; });
  if (c.fault_max_ms > 0) with([](CheckCase* s) { s->fault_min_ms = s->fault_max_ms = 0; });
  if (c.threads > 1) with([](CheckCase* s) { s->threads = 0; });
  if (c.profile != "puts") {
    with([](CheckCase* s) { s->profile = "puts", s->txn.clear(), s->threads = 0; });
  }
  if (c.fault == "mix") {
    with([](CheckCase* s) { s->fault = "power-cut"; });
    with([](CheckCase* s) { s->fault = "kill", s->cut.clear(); });
    with([](CheckCase* s) { s->fault = "io-error"; });  // mix's one kind that is not simpler
  }
  if (c.fault == "stall") with([](CheckCase* s) { s->fault = "kill"; });
  return out;
}

}  // namespace powercut::harness
