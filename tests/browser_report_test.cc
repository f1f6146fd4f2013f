// report.html in a real browser: headless Chromium (Debian's `chromium`, installed for tests by
// ci/install-deps.sh) opens the page of a real passing run and of a real failing run, takes a
// screenshot, and the DOM it built must hold the banner, the timeline and, for the failure,
// its section with the reproduce line, with not one console message (an error, a blocked
// fetch, a script exception) on the way.
#include <catch2/catch.hpp>

#include "tests/e2e_support.h"

using namespace e2e;

namespace {

// The browser, or "" when none is installed.
std::string FindChromium() {
  if (const char* env = std::getenv("POWERCUT_CHROMIUM"); env != nullptr && *env) {
    return fs::exists(env) ? env : "";
  }
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(p)) return p;
  }
  return "";
}

struct Page {
  int exit_code = -1;
  std::string dom;
  std::string console;  // the browser's console lines, one per message
};

// Loads `html` once for its DOM (--dump-dom) and once for a screenshot into `png`.
// --no-sandbox because CI containers run as root; a fresh profile keeps runs independent.
Page Open(const std::string& chromium, const fs::path& dir, const fs::path& html,
          const fs::path& png) {
  const std::string common = "'" + chromium +
                             "' --headless --no-sandbox --disable-gpu --no-first-run "
                             "--enable-logging=stderr --v=0 --user-data-dir='" +
                             (dir / "profile").string() + "' ";
  const std::string url = "'file://" + fs::absolute(html).string() + "'";
  Result dom = Shell(dir, common + "--dump-dom " + url);
  Result shot = Shell(dir, common + "--hide-scrollbars --window-size=1200,1600 --screenshot='" +
                               png.string() + "' " + url);
  Page page;
  page.exit_code = dom.exit_code != 0 ? dom.exit_code : shot.exit_code;
  page.dom = dom.out;
  std::istringstream lines(dom.err + shot.err);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(":CONSOLE") != std::string::npos) page.console += line + "\n";
  }
  return page;
}

void CheckScreenshot(const fs::path& png) {
  REQUIRE(fs::exists(png));
  const std::string bytes = Slurp(png);
  CHECK(bytes.size() > 10'000);  // a blank page compresses to a few hundred bytes
  CHECK(bytes.rfind("\x89PNG", 0) == 0);
}

}  // namespace

TEST_CASE("report.html of a passing and a failing run renders in headless Chromium") {
  const std::string chromium = FindChromium();
  if (chromium.empty()) {
    FAIL(
        "chromium not found (looked for $POWERCUT_CHROMIUM, /usr/bin/chromium): install the "
        "test dependencies with `bash ci/install-deps.sh`");
  }
  TempDir t;

  SECTION("the console check sees what a broken page says") {
    // Without this, a browser that never reported console lines would pass every page.
    WriteFile(t.path / "broken.html",
              "<!DOCTYPE html><html><body><script>console.error('x'); nosuch();</script>"
              "</body></html>");
    const Page page = Open(chromium, t.path, t.path / "broken.html", t.path / "broken.png");
    CHECK(page.console.find("nosuch") != std::string::npos);
  }

  SECTION("a passing run") {
    const Result run = Powercut(t.path, "run --seed 3 --cycles 30 --fault power-cut,kill,stall");
    REQUIRE(run.exit_code == 0);
    const fs::path html = t.path / "powercut-report/report.html";
    const Page page = Open(chromium, t.path, html, t.path / "pass.png");
    REQUIRE(page.exit_code == 0);
    INFO(page.console);
    CHECK(page.console.empty());
    CHECK(page.dom.find("data-ready=\"1\"") != std::string::npos);  // the script ran through
    CHECK(page.dom.find("id=\"verdict\" class=\"banner pass\"") != std::string::npos);
    CHECK(page.dom.find(">PASS<") != std::string::npos);
    CHECK(page.dom.find("id=\"timeline\"") != std::string::npos);
    CHECK(Count(page.dom, "<rect") >= 30);  // one cell per cycle at this size, and histograms
    CHECK(page.dom.find("id=\"hist-recovery_ms\"") != std::string::npos);
    CHECK(page.dom.find("id=\"no-failures\"") != std::string::npos);
    CHECK(page.dom.find("class=\"failure\"") == std::string::npos);
    CheckScreenshot(t.path / "pass.png");
  }

  SECTION("a failing run") {
    const Result run =
        Powercut(t.path, "run --seed 9 --cycles 30 --fault kill --expect acked --test-lie-ack");
    REQUIRE(run.exit_code == 1);
    const nlohmann::json report = ReadJson(t.path / "powercut-report/report.json");
    const nlohmann::json* first = FirstFailure(report);
    REQUIRE(first != nullptr);
    const std::string cycle = std::to_string(first->at("cycle").get<uint64_t>());
    const Page page =
        Open(chromium, t.path, t.path / "powercut-report/report.html", t.path / "fail.png");
    REQUIRE(page.exit_code == 0);
    INFO(page.console);
    CHECK(page.console.empty());
    CHECK(page.dom.find("data-ready=\"1\"") != std::string::npos);
    CHECK(page.dom.find("id=\"verdict\" class=\"banner fail\"") != std::string::npos);
    CHECK(page.dom.find(">FAIL<") != std::string::npos);
    CHECK(page.dom.find("id=\"timeline\"") != std::string::npos);
    // The failure's section, linked from the timeline and the banner, with its reproduce line
    // (the very command report.json carries) and a copy button for it.
    const std::string anchor = "cycle-" + cycle;
    CHECK(page.dom.find("<section class=\"failure\" id=\"" + anchor + "\">") != std::string::npos);
    CHECK(Count(page.dom, "href=\"#" + anchor + "\"") >= 2);
    CHECK(page.dom.find(first->at("reproduce").get<std::string>()) != std::string::npos);
    CHECK(page.dom.find("data-copy=\"" + anchor + "-reproduce\"") != std::string::npos);
    CHECK(page.dom.find("<table class=\"keys\">") != std::string::npos);
    CHECK(page.dom.find("href=\"failures/" + cycle + "/summary.txt\"") != std::string::npos);
    CHECK(fs::exists(t.path / "powercut-report/failures" / cycle / "summary.txt"));
    CheckScreenshot(t.path / "fail.png");
  }
}
