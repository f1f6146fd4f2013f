#include "reports/svg.h"

#include <cmath>

#include <fmt/format.h>

#include "reports/xml_escape.h"

namespace powercut::reports::svg {

std::string Num(double v) {
  if (!std::isfinite(v)) return "0";
  std::string s = fmt::format("{:.2f}", v);
  // "12.50" -> "12.5", "3.00" -> "3": a 100,000-cycle page is mostly coordinates.
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

Canvas::Canvas(double width, double height, std::string label)
    : width_(width), height_(height), label_(std::move(label)) {}

void Canvas::Add(std::string element, const std::string& tooltip, const std::string& href) {
  ++nodes_;
  if (!tooltip.empty()) {
    // A <title> child is SVG's tooltip; the element must be open to hold it.
    element.pop_back();
    element.pop_back();
    element += "><title>" + XmlEscape(tooltip, false) + "</title></" +
               element.substr(1, element.find(' ') - 1) + ">";
  }
  if (!href.empty()) element = "<a href=\"" + XmlEscape(href) + "\">" + element + "</a>";
  body_ += element;
  body_ += '\n';
}

void Canvas::Rect(double x, double y, double w, double h, const std::string& fill,
                  const std::string& tooltip, const std::string& href) {
  Add(fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", Num(x),
                  Num(y), Num(w), Num(h), fill),
      tooltip, href);
}

void Canvas::Line(double x1, double y1, double x2, double y2, const std::string& stroke,
                  double width) {
  Add(fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
                  "stroke-width=\"{}\"/>",
                  Num(x1), Num(y1), Num(x2), Num(y2), stroke, Num(width)),
      "", "");
}

void Canvas::Polyline(const std::vector<std::pair<double, double>>& points,
                      const std::string& stroke) {
  std::string pts;
  for (const auto& [x, y] : points) {
    if (!pts.empty()) pts += ' ';
    pts += Num(x) + "," + Num(y);
  }
  Add(fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>", pts,
                  stroke),
      "", "");
}

void Canvas::Text(double x, double y, const std::string& text, const char* anchor) {
  ++nodes_;
  body_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>\n", Num(x), Num(y),
                       anchor, XmlEscape(text, false));
}

std::string Canvas::Finish(const std::string& id, const std::string& css_class) const {
  std::string attrs;
  if (!id.empty()) attrs += " id=\"" + XmlEscape(id) + "\"";
  if (!css_class.empty()) attrs += " class=\"" + XmlEscape(css_class) + "\"";
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\"{} width=\"{}\" height=\"{}\" viewBox=\"0 0 {} "
      "{}\" "
      "role=\"img\" aria-label=\"{}\">\n{}</svg>\n",
      attrs, Num(width_), Num(height_), Num(width_), Num(height_), XmlEscape(label_), body_);
}

}  // namespace powercut::reports::svg
