#include "daemon/analytics/render_json.h"

#include <cmath>
#include <type_traits>

#include "daemon/analytics/report_text.h"
#include "daemon/analytics/svg_chart.h"

namespace metricsd::analytics {
namespace {

using query::promql::Point;
using query::promql::Timestamp;

nlohmann::json Seconds(Timestamp ms) { return static_cast<double>(ms) / 1000; }

nlohmann::json Points(const std::vector<Point>& points) {
  nlohmann::json out = nlohmann::json::array();
  if (points.empty()) return out;
  std::vector<Point> reduced =
      DownsampleMinMax(points, points.front().t, points.back().t, kJsonChartPoints / 2);
  for (const Point& p : reduced) out.push_back({Seconds(p.t), NumberOrNull(p.v)});
  return out;
}

nlohmann::json BlockJson(const ReportBlock& block) {
  return std::visit(
      [](const auto& b) -> nlohmann::json {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, ReportParagraph>) {
          return {{"type", "paragraph"}, {"text", b.text}};
        } else if constexpr (std::is_same_v<B, ReportKeyValues>) {
          nlohmann::json items = nlohmann::json::array();
          for (const auto& [key, value] : b.items) items.push_back({key, value});
          return {{"type", "key_values"}, {"items", std::move(items)}};
        } else if constexpr (std::is_same_v<B, ReportTable>) {
          return {{"type", "table"}, {"columns", b.columns}, {"rows", b.rows}};
        } else if constexpr (std::is_same_v<B, ReportChart>) {
          nlohmann::json lines = nlohmann::json::array();
          for (const auto& line : b.lines) {
            lines.push_back({{"name", line.name}, {"points", Points(line.points)}});
          }
          nlohmann::json bands = nlohmann::json::array();
          for (const auto& band : b.bands) {
            bands.push_back({{"name", band.name},
                             {"lower", Points(band.lower)},
                             {"upper", Points(band.upper)}});
          }
          nlohmann::json markers = nlohmann::json::array();
          for (const auto& marker : b.markers) {
            markers.push_back({{"t", Seconds(marker.t)}, {"text", marker.text}});
          }
          return {{"type", "chart"},
                  {"title", b.title},
                  {"unit", b.unit},
                  {"lines", std::move(lines)},
                  {"bands", std::move(bands)},
                  {"markers", std::move(markers)},
                  {"threshold", NumberOrNull(b.threshold)}};
        } else {
          nlohmann::json findings = nlohmann::json::array();
          for (const Finding& finding : b.findings) findings.push_back(FindingToJson(finding));
          return {{"type", "findings"}, {"findings", std::move(findings)}};
        }
      },
      block);
}

}  // namespace

nlohmann::json ReportToJson(const ReportDocument& document) {
  nlohmann::json sections = nlohmann::json::array();
  for (const ReportSection& section : document.sections) {
    nlohmann::json blocks = nlohmann::json::array();
    for (const ReportBlock& block : section.blocks) blocks.push_back(BlockJson(block));
    sections.push_back(
        {{"id", section.id},
         {"title", section.title},
         {"error", section.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(section.error)},
         {"blocks", std::move(blocks)},
         {"notes", section.notes},
         {"data", section.data}});
  }
  return {{"name", document.name},
          {"title", document.title},
          {"start", Seconds(document.start)},
          {"end", Seconds(document.end)},
          {"generated", Seconds(document.generated)},
          {"source", document.source},
          {"host", document.host},
          {"sections", std::move(sections)}};
}

std::string RenderJson(const ReportDocument& document) {
  // NaN and infinities in `data` dump as null; invalid UTF-8 (a label from the wire) is
  // replaced instead of throwing.
  return ReportToJson(document).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace metricsd::analytics
