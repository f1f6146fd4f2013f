// Subcommand: one `powercut` subcommand. Each owns its flags (Register) and its validation and
// work (Execute); cli/main.cc only registers them all, parses, and dispatches to the one given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "src/status.h"

namespace powercut::harness {

class Subcommand {
 public:
  virtual ~Subcommand() = default;
  // Adds this subcommand and its flags to `app`; returns the subcommand's own App.
  virtual CLI::App* Register(CLI::App* app) = 0;
  // Runs once the command line parsed; returns the exit status (kExitBadInput on bad input).
  virtual int Execute() = 0;
};

std::unique_ptr<Subcommand> NewRunSubcommand();
std::unique_ptr<Subcommand> NewVerifySubcommand();
std::unique_ptr<Subcommand> NewReplaySubcommand();
std::unique_ptr<Subcommand> NewCheckSubcommand();
std::unique_ptr<Subcommand> NewMergeSubcommand();
std::unique_ptr<Subcommand> NewGateSubcommand();

// Prints "powercut: <what>" as one line on stderr and returns kExitBadInput.
int BadInput(const std::string& what);

// A time budget as typed: 90s, 30m, 2h, 500ms; BadInput naming --duration otherwise.
Status ParseDuration(const std::string& text, int64_t* ms);

// A seed as typed: a non-negative decimal integer, or BadInput naming `flag`.
Status ParseSeed(const std::string& flag, const std::string& text, uint64_t* seed);

// This binary, and powercut-writer beside it.
std::string SelfPath();
std::string WriterBesideUs();

}  // namespace powercut::harness
