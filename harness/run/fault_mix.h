// Which fault each cycle of a run gets: `--fault` names one kind, a comma list of kinds, or
// `mix` (power-cut, kill, stall, io-error). A list draws one kind per cycle from the seed,
// weighted as the default run wants it: power cuts and kills twice as often as the rest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/contract.h"
#include "src/status.h"

namespace powercut::harness {

// A kind of cycle. io-error and bitrot are not faults of their own: an io-error cycle ends in
// a kill, power cut or clean close (harness/run/io_error_cycle.h); a bitrot cycle is a kill
// whose store is then damaged at rest in a copy (harness/run/bitrot_state.h).
enum class CycleKind { kPowerCut, kKill, kStall, kIoError, kClean, kBitrot };

const char* CycleKindName(CycleKind kind);

// The fault a cycle of this kind is judged by; an io-error cycle's own ending is drawn by its
// plan (harness/run/io_error_cycle.h), kill until then.
Fault EndingOf(CycleKind kind);

class FaultMix {
 public:
  // `text`: "mix", one kind, or kinds joined by commas, each at most once. BadInput names
  // the unknown kind and the choices.
  static Status Parse(const std::string& text, FaultMix* mix);

  // The kind of cycle `local` of a chain with seed `seed`. One kind: always that kind.
  CycleKind Pick(uint64_t seed, uint64_t local) const;

  bool Has(CycleKind kind) const;
  // A cycle of this run can end in a power cut, so every writer keeps a ledger from its open.
  bool CutsPower() const { return Has(CycleKind::kPowerCut) || Has(CycleKind::kIoError); }
  // The faults a cycle of this run can be judged by, in the order of the kinds.
  std::vector<Fault> Endings() const;

 private:
  std::vector<CycleKind> kinds_;  // in CycleKind order, no repeats: the draw depends on it
};

}  // namespace powercut::harness
