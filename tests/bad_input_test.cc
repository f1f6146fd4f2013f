// Bad input: one line naming the thing and the fix, exit status 2, nothing written.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

void ExpectRefused(const std::string& args, const std::string& mentions) {
  TempDir t;
  const bool check = args.rfind("check ", 0) == 0;  // check has a work folder, not a data one
  const Result r = Powercut(
      t.path, args + (check ? " --work-dir d --report-dir rep" : " --data-dir d --report-dir rep"));
  INFO(args << "\nstdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(CountLines(r.err) == 1);
  CHECK(r.err.find(mentions) != std::string::npos);
  CHECK(r.out.empty());
  CHECK_FALSE(fs::exists(t.path / "d"));
  CHECK_FALSE(fs::exists(t.path / "rep"));
}

}  // namespace

TEST_CASE("bad flags and values are refused with one line") {
  ExpectRefused("run --bogus", "--bogus");
  ExpectRefused("run --option no_such=1", "no_such");
  ExpectRefused("run --option write_buffer_size=abc", "write_buffer_size");
  ExpectRefused("run --option sync=perhaps", "sync");
  ExpectRefused("run --cycles 0", "--cycles");
  ExpectRefused("run --seed abc", "--seed");
  ExpectRefused("run --seed -4", "--seed");
  ExpectRefused("run --profile nope", "nope");
  ExpectRefused("run --fault nope", "nope");
  ExpectRefused("run --expect maybe", "--expect");
  ExpectRefused("run --duration 5 parsecs", "");
  ExpectRefused("run --duration soon", "--duration");
  ExpectRefused("run --cycles 5 --duration 1m", "--duration");
  ExpectRefused("run --value-compression-ratio 2", "--value-compression-ratio");
  ExpectRefused("run --value-compression-ratio -0.5", "--value-compression-ratio");
  ExpectRefused("check --duration soon", "--duration");
  ExpectRefused("check --duration 1m --search sideways", "--search");
  ExpectRefused("check --search uniform", "--duration");
  ExpectRefused("run --test-lose-when-wals put@0", "--test-lose-when-wals");
  ExpectRefused("nosuchcommand", "nosuchcommand");
}

TEST_CASE("a data directory that is not powercut's is refused and left alone") {
  TempDir t;
  fs::create_directories(t.path / "theirs");
  { std::ofstream(t.path / "theirs/precious.txt") << "keep me"; }
  const Result r = Powercut(t.path, "run --cycles 2 --data-dir theirs --report-dir rep");
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(CountLines(r.err) == 1);
  CHECK(r.err.find("theirs") != std::string::npos);
  CHECK(Slurp(t.path / "theirs/precious.txt") == "keep me");
  CHECK(std::distance(fs::directory_iterator(t.path / "theirs"), fs::directory_iterator()) == 1);
  CHECK_FALSE(fs::exists(t.path / "rep"));
}

TEST_CASE("a read-only data directory is refused") {
  TempDir t;
  fs::create_directories(t.path / "ro");
  // Root ignores permission bits; the immutable attribute stops root too.
  const bool root = ::geteuid() == 0;
  if (root) {
    REQUIRE(Shell(t.path, "chattr +i ro").exit_code == 0);
  } else {
    fs::permissions(t.path / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  }
  const Result r = Powercut(t.path, "run --cycles 2 --data-dir ro --report-dir rep");
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(CountLines(r.err) == 1);
  CHECK(r.err.find("not writable") != std::string::npos);
  CHECK_FALSE(fs::exists(t.path / "rep"));
  if (root) Shell(t.path, "chattr -i ro");
}

TEST_CASE("verify refuses what is not a chain") {
  TempDir t;
  const Result r = Powercut(t.path, "verify nowhere");
  CHECK(r.exit_code == 2);
  CHECK(CountLines(r.err) == 1);
  CHECK(r.err.find("nowhere") != std::string::npos);
}
