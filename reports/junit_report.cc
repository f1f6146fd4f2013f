// junit.xml: what CI dashboards show. One testcase per cycle, so a red cycle is a red row
// with its classes, keys and reproduce line; an interrupted run adds an error testcase,
// because a dashboard counting only failures would show an interrupted run as green.
#include <cstdint>

#include <fmt/format.h>

#include "reports/join.h"
#include "reports/report_writer.h"
#include "reports/summary.h"

namespace powercut::reports {
namespace {

// Keys named in a failure's message attribute; the body lists all findings in the report.
constexpr size_t kMessageKeys = 10;

// Length of the valid UTF-8 sequence starting at s[i], or 0 if there is none.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8.
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  // U+FFFE and U+FFFF are not XML characters.
  if (cp == 0xFFFE || cp == 0xFFFF) return 0;
  return n;
}

// Escapes text for an XML attribute or element. Report text can hold anything a RocksDB
// error message or a key holds, including bytes that are not XML characters at all; those
// become U+FFFD, since one stray byte would otherwise make the whole file unparseable.
// Inside attributes, line breaks and tabs are written as references so that attribute
// normalisation keeps them.
std::string Xml(std::string_view s, bool attribute = true) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      default: {
        const size_t n = Utf8Length(s, i);
        if (c < 0x20 || n == 0) {
          out += "\xEF\xBF\xBD";  // U+FFFD
          i += 1;
          continue;
        }
        out.append(s.substr(i, n));
        i += n;
        continue;
      }
    }
    i += 1;
  }
  return out;
}

std::string FailureMessage(const CycleResult& c) {
  std::string msg =
      (c.classes.empty() ? std::string("FAIL") : Join(c.classes, ", ")) +
      fmt::format(" (lo {}, hi {}, acked {}, recovered {})", c.lo, c.hi, c.acked, c.recovered);
  if (!c.findings.empty()) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < c.findings.size() && i < kMessageKeys; ++i) {
      keys.push_back(c.findings[i].key);
    }
    msg += "; keys " + Join(keys, ", ");
    if (c.mismatches > keys.size()) msg += fmt::format(" and {} more", c.mismatches - keys.size());
  } else if (!c.detail.empty()) {
    msg += "; " + c.detail;
  }
  return msg + "; reproduce: " + ReproduceCommand(c);
}

std::string FailureBody(const CycleResult& c) {
  std::string body = fmt::format("lo {} hi {} acked {} recovered {} mismatches {} resume {}\n",
                                 c.lo, c.hi, c.acked, c.recovered, c.mismatches, c.resume);
  if (!c.detail.empty()) body += "detail: " + c.detail + "\n";
  for (const KeyFinding& f : c.findings) {
    body += fmt::format("{} {}: expected {}, found {}\n", f.key, f.klass, f.expected, f.found);
  }
  return body + "reproduce: " + ReproduceCommand(c) + "\n";
}

}  // namespace

std::string ToJunit(const RunResult& run) {
  const Summary s = Summarize(run);
  const uint64_t errors = run.complete ? 0 : 1;
  std::string suite_attrs = fmt::format(
      "name=\"powercut\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" "
      "time=\"{:.3f}\"",
      s.cycles + errors, s.failed, errors, run.duration_s);
  if (!run.started_at.empty()) suite_attrs += " timestamp=\"" + Xml(run.started_at) + "\"";

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"powercut\" tests=\"{}\" failures=\"{}\" errors=\"{}\" "
      "time=\"{:.3f}\">\n",
      s.cycles + errors, s.failed, errors, run.duration_s);
  out += "  <testsuite " + suite_attrs + ">\n";
  out += "    <properties>\n";
  auto property = [&out](const char* name, const std::string& value) {
    out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", name, Xml(value));
  };
  property("seed", std::to_string(run.seed));
  property("contract", run.contract);
  property("shard", run.shard);
  property("status", s.status);
  property("tool_version", run.tool_version);
  out += "    </properties>\n";

  for (const CycleResult& c : run.cycles) {
    std::string name = fmt::format("chain-{} cycle {} {}", c.chain, c.cycle, c.fault);
    if (!c.shard.empty()) name = "shard " + c.shard + " " + name;
    out += fmt::format("    <testcase classname=\"powercut.chain-{}\" name=\"{}\" time=\"{:.3f}\"",
                       c.chain, Xml(name), c.cycle_ms / 1000);
    if (!Failed(c)) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    out += fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                       Xml(c.classes.empty() ? std::string("FAIL") : Join(c.classes, ",")),
                       Xml(FailureMessage(c)), Xml(FailureBody(c), /*attribute=*/false));
    out += "    </testcase>\n";
  }
  if (!run.complete) {
    const std::string why =
        run.incomplete_reason.empty() ? "no reason given" : run.incomplete_reason;
    out += "    <testcase classname=\"powercut\" name=\"run interrupted\" time=\"0\">\n";
    out += fmt::format(
        "      <error type=\"incomplete\" message=\"{}\"/>\n",
        Xml(fmt::format("the run did not complete ({}); the report covers only the {} cycles "
                        "that ran",
                        why, s.cycles)));
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace powercut::reports
