// A small SVG writer for report.html: rectangles, lines, polylines and text, each with an
// optional tooltip and link. Nothing is fetched or scripted; the output is inline markup.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace powercut::reports::svg {

// Colours and classes are written as given (they come from the report writer's own
// constants); every piece of text (tooltips, labels, links) is escaped.
class Canvas {
 public:
  // `width` and `height` in CSS pixels; `label` is the figure's accessible name.
  Canvas(double width, double height, std::string label);

  void Rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& tooltip = "", const std::string& href = "");
  void Line(double x1, double y1, double x2, double y2, const std::string& stroke,
            double width = 1);
  void Polyline(const std::vector<std::pair<double, double>>& points, const std::string& stroke);
  // `anchor`: start, middle or end.
  void Text(double x, double y, const std::string& text, const char* anchor = "start");

  // Elements drawn so far, for the writer's budget (one node per cycle never scales).
  size_t nodes() const { return nodes_; }
  // The finished <svg> element with `id` and `css_class` (either may be empty).
  std::string Finish(const std::string& id, const std::string& css_class) const;

 private:
  void Add(std::string element, const std::string& tooltip, const std::string& href);

  double width_, height_;
  std::string label_;
  std::string body_;
  size_t nodes_ = 0;
};

// Shortest text for a coordinate: two decimals at most, so big figures stay small.
std::string Num(double v);

}  // namespace powercut::reports::svg
