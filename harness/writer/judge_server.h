// The judge server: `powercut-writer --judge-server` judges crash images one after another
// for the judge pool (harness/run/judge_pool.h) without paying a process start, a library
// load and an exec per image. Each stdin line is one job, the writer's argv as a JSON array
// of strings (WriterArgv, verify-only); the server forks a child that runs the writer on it
// exactly as a spawned writer would (its `ready`, `metrics` and `verdict` lines go straight to
// stdout), waits for it, says `error` if the child died before its verdict could be trusted,
// and ends every job with `judged <wait status>`. The server itself never opens a store, so
// it stays single-threaded and its fork is safe; a child that hangs is the pool's to kill
// (with the server: children die with their server, PR_SET_PDEATHSIG).
#pragma once

namespace powercut::harness {

int RunJudgeServer();

}  // namespace powercut::harness
