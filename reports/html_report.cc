// report.html: the report a person opens in the morning. One self-contained file: inline CSS,
// inline SVG drawn by reports/svg.h, one small inline script for the copy buttons, and a
// Content-Security-Policy that forbids fetching anything, so it reads the same offline, as a
// CI artifact, or from a laptop. Every figure aggregates into a bounded number of elements
// (the constants below), so a 100,000-cycle run gives a page as quick as a 100-cycle one.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "reports/bins.h"
#include "reports/join.h"
#include "reports/report_writer.h"
#include "reports/summary.h"
#include "reports/svg.h"
#include "reports/xml_escape.h"

namespace powercut::reports {
namespace {

// Up to this many cycles the timeline draws one cell per cycle; past it, bins.
constexpr size_t kMaxTimelineCycles = 2000;
// Cells (cycles or bins) the whole timeline draws at most, over all its rows.
constexpr size_t kMaxTimelineCells = 4000;
constexpr size_t kMinBinsPerRow = 20;
constexpr double kTimelineWidthPx = 900;
constexpr double kTimelineLabelPx = 150;
constexpr double kRowHeightPx = 18;
constexpr size_t kHistogramBins = 30;
constexpr double kPlotWidthPx = 320;
constexpr double kPlotHeightPx = 120;
// Points of a metric's curve over the run; each is the mean of its stretch of cycles.
constexpr size_t kSeriesPoints = 200;
// Failure sections the page holds; report.txt and report.json list every failure.
constexpr size_t kMaxFailureSections = 200;

constexpr const char* kFailColour = "#d62728";
const std::map<std::string, std::string>& FaultColours() {
  static const auto* colours = new std::map<std::string, std::string>{
      {"kill", "#4e79a7"},  {"stall", "#f2b447"},    {"power-cut", "#59a14f"},
      {"clean", "#9c9c9c"}, {"io-error", "#b07aa1"},
  };
  return *colours;
}
std::string FaultColour(const std::string& fault) {
  auto it = FaultColours().find(fault);
  return it == FaultColours().end() ? "#7f7f7f" : it->second;
}

// Histograms of these, in this order, when the cycles carry them: what a cycle costs, its
// parts, and how much it did. recovery_ms and cycle_ms come from every cycle's fields.
const std::vector<std::pair<std::string, std::string>>& HistogramMetrics() {
  static const auto* names = new std::vector<std::pair<std::string, std::string>>{
      {"recovery_ms", "recovery time (ms)"},
      {"cycle_ms", "cycle time (ms)"},
      {"start_to_ready_ms", "writer start to ready (ms)"},
      {"verify_ms", "verification (ms)"},
      {"ops_acked", "ops acked per cycle"},
      {"fs_events", "file-system events per cycle"},
      {"cut_bytes", "bytes rolled back by the power cut"},
      {"crash_states", "crash states per cycle"},
  };
  return *names;
}

std::string H(const std::string& s) { return XmlEscape(s, false); }
std::string A(const std::string& s) { return XmlEscape(s, true); }

std::string StatusWord(const Summary& s) {
  if (s.status == "incomplete") return "INCOMPLETE";
  return s.status == "fail" ? "FAIL" : "PASS";
}

// The anchor of a failure's section: unique in a merged report too, where cycle numbers
// repeat across shards.
std::string AnchorOf(const CycleResult& c) {
  std::string id = "cycle-";
  for (char ch : c.shard) id += (ch == '/' ? '-' : ch);
  if (!c.shard.empty()) id += "-";
  return id + std::to_string(c.cycle);
}

std::string CycleName(const CycleResult& c) {
  std::string name = fmt::format("cycle {} (chain {}, {})", c.cycle, c.chain, c.fault);
  return c.shard.empty() ? name : "shard " + c.shard + " " + name;
}

std::string Head(const RunResult& run, const Summary& s) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      // Nothing may load from anywhere: the page is whole as written.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>powercut {} - seed {}</title>\n<style>{}</style>\n</head>\n<body>\n",
      StatusWord(s), run.seed, R"css(
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 16px 40px;color:#222}
h2{margin-top:32px;border-bottom:1px solid #ddd}
.banner{padding:14px 18px;border-radius:6px;color:#fff;margin-top:16px}
.banner .word{font-size:30px;font-weight:700;margin-right:14px}
.banner.pass{background:#2e7d32}.banner.fail{background:#c62828}.banner.incomplete{background:#ef6c00}
.banner a{color:#fff}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
table.keys td,table.keys th{border-bottom:1px solid #eee;font-family:monospace}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
td code{word-break:break-all}
pre{background:#f5f5f5;padding:6px 8px;margin:0;white-space:pre-wrap;word-break:break-all;flex:1}
.cmd{display:flex;gap:8px;align-items:center;margin:4px 0}
.plots{display:flex;flex-wrap:wrap;gap:18px}.plots figure{margin:0}
figcaption{font-size:12px;color:#555}
svg text{font-size:11px;fill:#444}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
.failure{border-left:4px solid #c62828;padding-left:12px;margin:18px 0}
.muted{color:#666}
)css");
}

std::string Banner(const RunResult& run, const Summary& s) {
  const std::string word = StatusWord(s);
  std::string line;
  if (s.status == "incomplete") {
    line = fmt::format("the run stopped early ({}); {} cycles ran, {} failed",
                       run.incomplete_reason.empty() ? "no reason given" : run.incomplete_reason,
                       s.cycles, s.failed);
  } else if (s.failed > 0) {
    line = fmt::format("{} of {} cycles failed: {}", s.failed, s.cycles,
                       CountsToString(s.verdicts_by_class));
  } else {
    line = fmt::format("all {} cycles passed", s.cycles);
  }
  std::string out = fmt::format(
      "<div id=\"verdict\" class=\"banner {}\" data-status=\"{}\"><span class=\"word\">{}</span>{}",
      s.status, s.status, word, H(line));
  for (const CycleResult& c : run.cycles) {
    if (!Failed(c)) continue;
    out += fmt::format(" &middot; first failure: <a href=\"#{}\">{}</a>", AnchorOf(c),
                       H(CycleName(c)));
    break;
  }
  return out + "</div>\n";
}

std::string Facts(const RunResult& run, const Summary& s) {
  std::string out = "<table id=\"facts\">\n";
  auto row = [&out](const char* label, const std::string& html) {
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", label, html);
  };
  row("seed", std::to_string(run.seed));
  if (!run.shard.empty()) row("shard", H(run.shard));
  row("contract", H(run.contract.empty() ? "(not recorded)" : run.contract));
  row("plan", "<code>" +
                  H(run.plan.is_null()
                        ? "{}"
                        : run.plan.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) +
                  "</code>");
  row("powercut", H(run.tool_version.empty() ? "(not recorded)" : run.tool_version));
  row("RocksDB", H(run.rocksdb_version.empty() ? "(not recorded)" : run.rocksdb_version));
  if (!run.started_at.empty()) row("started", H(run.started_at));
  row("cycles", fmt::format("{} ({} passed, {} failed) in {:.1f} s, {:.2f} cycles/s", s.cycles,
                            s.passed, s.failed, run.duration_s, s.cycles_per_second));
  row("faults", H(CountsToString(s.faults_seen)));
  row("recovery", fmt::format("min {:.1f} ms, median {:.1f} ms, max {:.1f} ms", s.recovery_ms_min,
                              s.recovery_ms_median, s.recovery_ms_max));
  if (s.crash_states.states() > 0) {
    row("crash states", H(CrashStatesToString(s.crash_states)));
  }
  return out + "</table>\n";
}

using Row = std::vector<const CycleResult*>;

// One timeline row per chain (per shard and chain in a merged report), cycles in order.
std::map<std::pair<std::string, uint64_t>, Row> TimelineRows(const RunResult& run) {
  std::map<std::pair<std::string, uint64_t>, Row> rows;
  for (const CycleResult& c : run.cycles) rows[{c.shard, c.chain}].push_back(&c);
  for (auto& [key, row] : rows) {
    std::sort(row.begin(), row.end(), [](auto* a, auto* b) { return a->cycle < b->cycle; });
  }
  return rows;
}

// A stretch of one row: one cycle, or a bin of them.
struct Cell {
  uint64_t first = 0, last = 0;  // cycle numbers
  uint64_t cycles = 0, failed = 0;
  std::map<std::string, uint64_t> faults;
  const CycleResult* first_failure = nullptr;
};

void AddToCell(const CycleResult& c, Cell* cell) {
  if (cell->cycles++ == 0) cell->first = c.cycle;
  cell->last = c.cycle;
  ++cell->faults[c.fault];
  if (Failed(c) && cell->failed++ == 0) cell->first_failure = &c;
}

// The row's cells: one per cycle when `bins` is 0, else `bins` equal stretches of
// [lo, hi] (empty ones dropped). Each cell knows where it starts, for drawing.
std::vector<std::pair<uint64_t, Cell>> RowCells(const Row& row, uint64_t lo, uint64_t hi,
                                                size_t bins) {
  std::vector<std::pair<uint64_t, Cell>> cells;  // (start cycle, cell)
  if (bins == 0) {
    for (const CycleResult* c : row) {
      cells.push_back({c->cycle, Cell{}});
      AddToCell(*c, &cells.back().second);
    }
    return cells;
  }
  std::map<size_t, Cell> by_bin;
  const double span = static_cast<double>(hi - lo + 1);
  for (const CycleResult* c : row) {
    const auto b =
        static_cast<size_t>(static_cast<double>(c->cycle - lo) / span * static_cast<double>(bins));
    AddToCell(*c, &by_bin[std::min(b, bins - 1)]);
  }
  for (auto& [b, cell] : by_bin) {
    const auto start =
        lo + static_cast<uint64_t>(static_cast<double>(b) * span / static_cast<double>(bins));
    cells.push_back({start, std::move(cell)});
  }
  return cells;
}

std::string CellColour(const Cell& cell) {
  if (cell.failed > 0) return kFailColour;
  auto most = std::max_element(cell.faults.begin(), cell.faults.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  return FaultColour(most->first);
}

std::string CellTooltip(const Cell& cell) {
  std::string where = cell.first == cell.last ? fmt::format("cycle {}", cell.first)
                                              : fmt::format("cycles {}-{}", cell.first, cell.last);
  std::vector<std::string> faults;
  for (const auto& [f, n] : cell.faults) faults.push_back(fmt::format("{} {}", f, n));
  return fmt::format("{}: {} cycle{}, {} failed ({})", where, cell.cycles,
                     cell.cycles == 1 ? "" : "s", cell.failed, Join(faults, ", "));
}

std::string Timeline(const RunResult& run, const std::set<const CycleResult*>& sectioned) {
  const auto rows = TimelineRows(run);
  if (rows.empty()) return "<p id=\"timeline\" class=\"muted\">no cycles ran</p>\n";
  uint64_t lo = run.cycles.front().cycle, hi = lo;
  for (const CycleResult& c : run.cycles) lo = std::min(lo, c.cycle), hi = std::max(hi, c.cycle);
  const size_t bins = run.cycles.size() <= kMaxTimelineCycles
                          ? 0
                          : std::max(kMinBinsPerRow, kMaxTimelineCells / rows.size());
  const double plot = kTimelineWidthPx - kTimelineLabelPx;
  const double per_cycle = plot / static_cast<double>(hi - lo + 1);
  const double height = kRowHeightPx * static_cast<double>(rows.size()) + 20;
  svg::Canvas canvas(kTimelineWidthPx, height, "timeline of cycles per chain");
  double y = 0;
  for (const auto& [key, row] : rows) {
    const auto& [shard, chain] = key;
    canvas.Text(0, y + 13,
                (shard.empty() ? "" : "shard " + shard + " ") + "chain " + std::to_string(chain));
    const auto cells = RowCells(row, lo, hi, bins);
    for (size_t i = 0; i < cells.size(); ++i) {
      const auto& [start, cell] = cells[i];
      // A cell reaches to where the next one starts, so a row reads as one unbroken bar.
      const uint64_t end = i + 1 < cells.size() ? cells[i + 1].first : std::max(hi + 1, start + 1);
      const double x = kTimelineLabelPx + static_cast<double>(start - lo) * per_cycle;
      const double w = std::max(1.0, static_cast<double>(end - start) * per_cycle);
      const CycleResult* f = cell.first_failure;
      canvas.Rect(x, y + 2, w, kRowHeightPx - 4, CellColour(cell), CellTooltip(cell),
                  f != nullptr && sectioned.count(f) ? "#" + AnchorOf(*f) : "");
    }
    y += kRowHeightPx;
  }
  canvas.Text(kTimelineLabelPx, height - 4, "cycle " + std::to_string(lo));
  canvas.Text(kTimelineWidthPx, height - 4, "cycle " + std::to_string(hi), "end");
  std::string legend = "<p class=\"legend\">";
  for (const auto& [fault, colour] : FaultColours()) {
    legend += fmt::format("<span><i style=\"background:{}\"></i>{}</span>", colour, fault);
  }
  legend += fmt::format(
      "<span><i style=\"background:{}\"></i>failed (click for the failure)</span>", kFailColour);
  legend += bins == 0 ? "one cell per cycle" : fmt::format("{} bins per chain", bins);
  return canvas.Finish("timeline", "timeline") + legend + "</p>\n";
}

// Values of `name` over the run's cycles, in order: the fields for the two every cycle has,
// else the written metric.
std::vector<double> MetricValues(const RunResult& run, const std::string& name) {
  std::vector<double> values;
  for (const CycleResult& c : run.cycles) {
    if (name == "recovery_ms") {
      values.push_back(c.recovery_ms);
    } else if (name == "cycle_ms") {
      values.push_back(c.cycle_ms);
    } else if (auto m = WrittenMetrics(c); m.count(name)) {
      values.push_back(m.at(name));
    }
  }
  return values;
}

std::string Figure(const std::string& svg, const std::string& caption) {
  return "<figure>" + svg + "<figcaption>" + H(caption) + "</figcaption></figure>\n";
}

std::string HistogramFigure(const std::string& name, const std::string& title,
                            const std::vector<double>& values) {
  const Histogram h = MakeHistogram(values, kHistogramBins);
  const double base = kPlotHeightPx - 16;
  svg::Canvas canvas(kPlotWidthPx, kPlotHeightPx, "histogram of " + title);
  const uint64_t most = *std::max_element(h.counts.begin(), h.counts.end());
  const double bar = kPlotWidthPx / static_cast<double>(h.counts.size());
  const double width = (h.hi - h.lo) / static_cast<double>(h.counts.size());
  for (size_t i = 0; i < h.counts.size(); ++i) {
    const double tall = static_cast<double>(h.counts[i]) / static_cast<double>(most) * (base - 12);
    canvas.Rect(static_cast<double>(i) * bar, base - tall, std::max(bar - 1, 1.0), tall, "#4e79a7",
                fmt::format("{:.6g} to {:.6g}: {} cycles", h.lo + width * static_cast<double>(i),
                            h.lo + width * static_cast<double>(i + 1), h.counts[i]));
  }
  canvas.Line(0, base, kPlotWidthPx, base, "#888");
  canvas.Text(0, kPlotHeightPx - 3, fmt::format("{:.6g}", h.lo));
  canvas.Text(kPlotWidthPx, kPlotHeightPx - 3, fmt::format("{:.6g}", h.hi), "end");
  canvas.Text(kPlotWidthPx, 10, fmt::format("max {} cycles/bin", most), "end");
  const Distribution d = Distribute(values);
  return Figure(canvas.Finish("hist-" + name, "histogram"),
                fmt::format("{}: {} cycles, median {:.6g}, p95 {:.6g}, max {:.6g}", title, d.count,
                            d.median, d.p95, d.max));
}

std::string Distributions(const RunResult& run) {
  std::string out;
  for (const auto& [name, title] : HistogramMetrics()) {
    const std::vector<double> values = MetricValues(run, name);
    if (!values.empty()) out += HistogramFigure(name, title, values);
  }
  if (out.empty()) return "<p class=\"muted\">no cycles ran</p>\n";
  return "<div class=\"plots\" id=\"distributions\">\n" + out + "</div>\n";
}

std::string SeriesFigure(const std::string& name, const std::vector<double>& values) {
  const std::vector<double> points = BucketMeans(values, kSeriesPoints);
  const auto [min, max] = std::minmax_element(points.begin(), points.end());
  const double lo = *min, hi = *max, top = 12, base = kPlotHeightPx - 16;
  svg::Canvas canvas(kPlotWidthPx, kPlotHeightPx, name + " over the run");
  std::vector<std::pair<double, double>> line;
  for (size_t i = 0; i < points.size(); ++i) {
    const double x = points.size() == 1 ? kPlotWidthPx / 2
                                        : static_cast<double>(i) * kPlotWidthPx /
                                              static_cast<double>(points.size() - 1);
    const double y =
        hi == lo ? (top + base) / 2 : base - (points[i] - lo) / (hi - lo) * (base - top);
    line.push_back({x, y});
  }
  canvas.Line(0, base, kPlotWidthPx, base, "#888");
  canvas.Polyline(line, "#e15759");
  canvas.Text(0, 10, fmt::format("max {:.6g}", hi));
  canvas.Text(0, kPlotHeightPx - 3, fmt::format("min {:.6g}", lo));
  canvas.Text(kPlotWidthPx, kPlotHeightPx - 3, "cycles in order", "end");
  return Figure(canvas.Finish("series-" + name, "series"),
                fmt::format("{} ({} cycles; each point the mean of {} or so)", name, values.size(),
                            (values.size() + points.size() - 1) / points.size()));
}

// RocksDB's properties and statistics of the recovered stores, and the harness's other
// per-cycle measurements, as they moved over the run.
std::string MetricsOverRun(const RunResult& run, const Summary& s) {
  std::string out;
  for (const auto& [name, d] : s.metrics) {
    if (name == "recovery_ms") continue;  // the histogram above shows it
    out += SeriesFigure(name, MetricValues(run, name));
  }
  if (out.empty()) return "<p class=\"muted\">no metrics recorded</p>\n";
  return "<div class=\"plots\" id=\"metrics\">\n" + out + "</div>\n";
}

// What happened, in words, from the cycle's points: the contract's promise against what the
// store came back as.
std::string Narrative(const CycleResult& c) {
  return fmt::format(
      "The writer resumed at op {} and was hit by a {} fault after op {} was issued and op {} "
      "acked. The contract promised every op up to {} would survive; the store recovered as the "
      "state after op {}, with {} key{} differing from it.",
      c.resume, c.fault, c.hi, c.acked, c.lo, c.recovered, c.mismatches,
      c.mismatches == 1 ? "" : "s");
}

std::string CommandLine(const std::string& id, const std::string& label, const std::string& cmd) {
  return fmt::format(
      "<div class=\"cmd\"><b>{}</b><pre id=\"{}\" class=\"{}\">{}</pre>"
      "<button type=\"button\" data-copy=\"{}\">copy</button></div>\n",
      label, id, label, H(cmd), id);
}

std::string FindingsTable(const CycleResult& c) {
  if (c.findings.empty()) return "";
  std::string out =
      "<table class=\"keys\"><tr><th>key</th><th>class</th><th>expected</th><th>found</th></tr>\n";
  for (const KeyFinding& f : c.findings) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", H(f.key),
                       H(f.klass), H(f.expected), H(f.found));
  }
  out += "</table>\n";
  if (c.mismatches > c.findings.size()) {
    out += fmt::format("<p class=\"muted\">and {} more mismatching keys (see report.json)</p>\n",
                       c.mismatches - c.findings.size());
  }
  return out;
}

std::string EvidenceLinks(const CycleResult& c) {
  // Evidence exists only for failures whose line is a replay (see --max-failures).
  const std::string line = ReproduceCommand(c);
  if (line.rfind("powercut replay ", 0) != 0) {
    return "<p class=\"muted\">no evidence kept for this failure (--max-failures reached)</p>\n";
  }
  // A merged report's cycles link into failures/shard-I-of-N/, where merge copied them.
  const std::string dir = EvidenceDir(c);
  std::string out = "<p class=\"evidence\">evidence: ";
  std::vector<std::string> links;
  for (const char* f : {"summary.txt", "replay.json", "writer.stderr", "verifier.stderr", "LOG",
                        "manifest.jsonl", "before/", "recovered/", "ledger/"}) {
    links.push_back(fmt::format("<a href=\"{}/{}\">{}</a>", A(dir), f, f));
  }
  return out + Join(links, " &middot; ") + "</p>\n";
}

// The cycle's failing crash states: each with its narrative and the line that judges its kept
// image again.
std::string StateFailures(const CycleResult& c, const std::string& id) {
  const Exploration& e = c.explored;
  if (e.failures.empty()) return "";
  std::string out = fmt::format(
      "<h4>crash states: {} of {} failed ({})</h4>\n<p class=\"evidence\">evidence: <a "
      "href=\"{}/states/summary.txt\">states/summary.txt</a></p>\n",
      e.failed, e.states(), H(CountsToString(e.classes)), A(EvidenceDir(c)));
  for (size_t i = 0; i < e.failures.size(); ++i) {
    const StateFailure& f = e.failures[i];
    out += fmt::format("<div class=\"state\"><p><b>{}</b>: {} (ops {}..{}, recovered {})</p>\n",
                       H(f.state), H(Join(f.classes, ", ")), f.lo, f.hi, f.recovered);
    if (!f.narrative.empty()) out += "<p class=\"narrative\">" + H(f.narrative) + "</p>\n";
    out += CommandLine(fmt::format("{}-state-{}", id, i), "replay", f.reproduce) + "</div>\n";
  }
  return out;
}

std::string FailureSection(const CycleResult& c) {
  const std::string id = AnchorOf(c);
  std::string out =
      fmt::format("<section class=\"failure\" id=\"{}\">\n<h3>{}: {}</h3>\n", id, H(CycleName(c)),
                  H(c.classes.empty() ? std::string("FAIL") : Join(c.classes, ", ")));
  out += "<p class=\"narrative\">" + H(Narrative(c)) + "</p>\n";
  if (!c.detail.empty()) out += "<p class=\"detail\"><b>detail</b> " + H(c.detail) + "</p>\n";
  out += fmt::format(
      "<p class=\"muted\">lo {} &middot; hi {} &middot; acked {} &middot; recovered {} &middot; "
      "recovery {:.1f} ms &middot; cycle {:.1f} ms</p>\n",
      c.lo, c.hi, c.acked, c.recovered, c.recovery_ms, c.cycle_ms);
  out += FindingsTable(c);
  out += CommandLine(id + "-reproduce", "reproduce", ReproduceCommand(c));
  out += EvidenceLinks(c);
  out += StateFailures(c, id);
  return out + "</section>\n";
}

std::string Failures(const RunResult& run, const std::set<const CycleResult*>& sectioned,
                     uint64_t failed) {
  if (failed == 0) return "<p id=\"no-failures\">no failures: every cycle passed its checks</p>\n";
  std::string out;
  for (const CycleResult& c : run.cycles) {
    if (sectioned.count(&c)) out += FailureSection(c);
  }
  if (failed > sectioned.size()) {
    out += fmt::format(
        "<p class=\"muted\">{} more failures are listed in report.txt and report.json</p>\n",
        failed - sectioned.size());
  }
  return out;
}

// The copy buttons. Inline (the policy allows no other script) and defensive: a clipboard
// the browser refuses falls back to selecting the line, and nothing ever throws.
constexpr const char* kScript = R"js(
document.addEventListener('click', function (e) {
  var b = e.target.closest ? e.target.closest('button[data-copy]') : null;
  if (!b) return;
  var pre = document.getElementById(b.getAttribute('data-copy'));
  var text = pre.textContent;
  function selectIt() {
    var r = document.createRange(); r.selectNodeContents(pre);
    var s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
    b.textContent = 'selected: press Ctrl+C';
  }
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(function () { b.textContent = 'copied'; }, selectIt);
  } else {
    selectIt();
  }
});
document.documentElement.setAttribute('data-ready', '1');
)js";

}  // namespace

std::string ToHtml(const RunResult& run) {
  const Summary s = Summarize(run);
  std::set<const CycleResult*> sectioned;
  for (const CycleResult& c : run.cycles) {
    if (Failed(c) && sectioned.size() < kMaxFailureSections) sectioned.insert(&c);
  }
  std::string out = Head(run, s);
  out += "<h1>powercut report</h1>\n" + Banner(run, s) + Facts(run, s);
  out += "<h2>Timeline</h2>\n" + Timeline(run, sectioned);
  out += "<h2>Distributions</h2>\n" + Distributions(run);
  out += fmt::format("<h2 id=\"failures\">Failures ({})</h2>\n", s.failed);
  out += Failures(run, sectioned, s.failed);
  out += "<h2>Metrics over the run</h2>\n" + MetricsOverRun(run, s);
  out += fmt::format(
      "<p class=\"muted\">The same run in report.txt, report.json, junit.xml and "
      "metrics.prom beside this file.</p>\n<script>{}</script>\n</body>\n</html>\n",
      kScript);
  return out;
}

}  // namespace powercut::reports
