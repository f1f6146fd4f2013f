// TESTS ONLY: the controller SIGKILLs itself at a named step of the cycle loop, so a test can
// show that every crash of the controller leaves a chain `powercut verify` judges correctly.
// Armed by POWERCUT_TEST_CONTROLLER_DIES_AT=STEP:N (the N-th time the chain reaches STEP);
// unset, MaybeDie costs one comparison.
#pragma once

#include <cstdint>
#include <string>

namespace powercut::harness {

class ChildProcess;

class TestDeath {
 public:
  TestDeath();  // reads the environment once

  // Steps, in the order a cycle reaches them: "verdict" (the judged cycle's verdict is in the
  // manifest), "oracle" (the oracle is saved at the recovered point), "cycle" (the new
  // fault's entry is in the manifest, its power cut not applied yet), "cut" (applied).
  // With a writer still writing, it is let finish its ops first (read until `done`), so the
  // store holds a whole cycle of writing when the controller dies.
  void MaybeDie(const char* step, ChildProcess* writing);

 private:
  std::string step_;
  uint64_t nth_ = 0;
  uint64_t seen_ = 0;
};

}  // namespace powercut::harness
