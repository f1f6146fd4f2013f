#include "harness/run/fault_mix.h"

#include <algorithm>

#include "src/rng.h"

namespace powercut::harness {
namespace {

constexpr CycleKind kAllKinds[] = {CycleKind::kPowerCut, CycleKind::kKill,  CycleKind::kStall,
                                   CycleKind::kIoError,  CycleKind::kClean, CycleKind::kBitrot};
constexpr CycleKind kDefaultMix[] = {CycleKind::kPowerCut, CycleKind::kKill, CycleKind::kStall,
                                     CycleKind::kIoError};

// Power cuts and kills lose the most and cost the least, so they come up twice as often.
uint64_t Weight(CycleKind kind) {
  return kind == CycleKind::kPowerCut || kind == CycleKind::kKill ? 2 : 1;
}

}  // namespace

const char* CycleKindName(CycleKind kind) {
  switch (kind) {
    case CycleKind::kPowerCut:
      return "power-cut";
    case CycleKind::kKill:
      return "kill";
    case CycleKind::kStall:
      return "stall";
    case CycleKind::kIoError:
      return "io-error";
    case CycleKind::kClean:
      return "clean";
    case CycleKind::kBitrot:
      return "bitrot";
  }
  return "?";
}

Status FaultMix::Parse(const std::string& text, FaultMix* mix) {
  mix->kinds_.clear();
  if (text == "mix") {
    mix->kinds_.assign(std::begin(kDefaultMix), std::end(kDefaultMix));
    return Status::Ok();
  }
  std::vector<CycleKind> kinds;
  for (size_t from = 0; from <= text.size();) {
    const size_t comma = std::min(text.find(',', from), text.size());
    const std::string name = text.substr(from, comma - from);
    from = comma + 1;
    if (name.empty()) return Status::BadInput("has an empty kind: name each kind, or mix");
    const auto* found = std::find_if(std::begin(kAllKinds), std::end(kAllKinds),
                                     [&](CycleKind k) { return name == CycleKindName(k); });
    if (found == std::end(kAllKinds)) {
      return Status::BadInput("'" + name +
                              "' is unknown: use kill, stall, power-cut, clean, io-error, bitrot, "
                              "a comma list of them, or mix");
    }
    if (std::find(kinds.begin(), kinds.end(), *found) != kinds.end()) {
      return Status::BadInput("'" + name + "' is named twice: name each kind once");
    }
    kinds.push_back(*found);
  }
  // The draw must not depend on the order the kinds were typed in.
  for (CycleKind k : kAllKinds) {
    if (std::find(kinds.begin(), kinds.end(), k) != kinds.end()) mix->kinds_.push_back(k);
  }
  return Status::Ok();
}

CycleKind FaultMix::Pick(uint64_t seed, uint64_t local) const {
  if (kinds_.size() == 1) return kinds_[0];
  uint64_t total = 0;
  for (CycleKind k : kinds_) total += Weight(k);
  Rng rng(seed, "fault-kind", local);
  uint64_t pick = rng.Uniform(total);
  for (CycleKind k : kinds_) {
    if (pick < Weight(k)) return k;
    pick -= Weight(k);
  }
  return kinds_.back();  // unreachable: pick < total
}

bool FaultMix::Has(CycleKind kind) const {
  return std::find(kinds_.begin(), kinds_.end(), kind) != kinds_.end();
}

Fault EndingOf(CycleKind kind) {
  switch (kind) {
    case CycleKind::kPowerCut:
      return Fault::kPowerCut;
    case CycleKind::kStall:
      return Fault::kStall;
    case CycleKind::kClean:
      return Fault::kClean;
    case CycleKind::kKill:
    case CycleKind::kIoError:
    case CycleKind::kBitrot:
      return Fault::kKill;
  }
  return Fault::kKill;
}

std::vector<Fault> FaultMix::Endings() const {
  std::vector<Fault> out;
  auto add = [&](Fault f) {
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  };
  for (CycleKind k : kinds_) {
    add(EndingOf(k));
    if (k == CycleKind::kIoError) {  // the other faults that end an io-error cycle
      add(Fault::kPowerCut);
      add(Fault::kClean);
    }
  }
  return out;
}

}  // namespace powercut::harness
