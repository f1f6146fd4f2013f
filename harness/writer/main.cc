// powercut-writer: the child process the controller starts for every cycle. Not meant to be
// run by hand; see harness/writer/writer.h for what it does and harness/protocol/ for what it
// says.
#include "harness/writer/writer.h"

int main(int argc, char** argv) {
  powercut::harness::WriterArgs args;
  const int exit_now = powercut::harness::ParseWriterArgv(argc, argv, &args);
  if (exit_now >= 0) return exit_now;
  return powercut::harness::RunWriter(args);
}
