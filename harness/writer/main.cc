// powercut-writer: the child process the controller starts for every cycle. Not meant to be
// run by hand; see harness/writer/writer.h for what it does and harness/protocol/ for what it
// says.
#include <cstring>

#include "harness/writer/judge_server.h"
#include "harness/writer/writer.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--judge-server") == 0) {
    return powercut::harness::RunJudgeServer();
  }
  powercut::harness::WriterArgs args;
  const int exit_now = powercut::harness::ParseWriterArgv(argc, argv, &args);
  if (exit_now >= 0) return exit_now;
  return powercut::harness::RunWriter(args);
}
