#include "daemon/analytics/render_markdown.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>

#include "daemon/analytics/svg_chart.h"

namespace metricsd::analytics {
namespace {

using query::promql::Point;

constexpr std::size_t kMaxChartRows = 20;

std::string Cell(std::string_view text) {
  std::string out = EscapeMarkdown(text);
  return out.empty() ? " " : out;
}

void AppendTable(std::string& out, const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::string>>& rows) {
  if (columns.empty()) return;
  out += "|";
  for (const std::string& column : columns) out += " " + Cell(column) + " |";
  out += "\n|";
  for (std::size_t i = 0; i < columns.size(); ++i) out += " --- |";
  out += "\n";
  for (const auto& row : rows) {
    out += "|";
    // Each row as wide as the header: GitHub drops extra cells and pads missing ones anyway.
    for (std::size_t i = 0; i < columns.size(); ++i) {
      out += " " + Cell(i < row.size() ? std::string_view(row[i]) : std::string_view()) + " |";
    }
    out += "\n";
  }
  out += "\n";
}

std::string LabelsText(const query::promql::Labels& labels) {
  return labels.empty() ? "" : query::promql::LabelsToString(labels);
}

void AppendMarkdownFindings(std::string& out, const ReportFindings& block) {
  if (block.findings.empty()) {
    out += "No findings.\n\n";
    return;
  }
  for (const Finding& f : block.findings) {
    std::string severity = f.severity;
    std::transform(severity.begin(), severity.end(), severity.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    out += "- **" + EscapeMarkdown(severity) + "** " + EscapeMarkdown(f.kind) + " · " +
           EscapeMarkdown(f.watch);
    std::string labels = LabelsText(f.labels);
    if (!labels.empty()) out += " " + EscapeMarkdown(labels);
    out += ": " + EscapeMarkdown(f.summary) + " (magnitude " + EscapeMarkdown(FormatMagnitude(f)) +
           ", confidence " +
           (std::isfinite(f.confidence) ? FormatReportNumber(f.confidence * 100) + "%" : "n/a") +
           ", since " + EscapeMarkdown(FormatWhen(f.start)) + ")\n";
  }
  out += "\n";
}

void AppendChart(std::string& out, const ReportChart& chart) {
  out += "**" + EscapeMarkdown(chart.title.empty() ? "Chart" : chart.title) + "**";
  if (!chart.unit.empty() && chart.title.find(chart.unit) == std::string::npos) {
    out += " (" + EscapeMarkdown(chart.unit) + ")";
  }
  out += "\n\n";
  std::vector<std::vector<std::string>> rows;
  auto summarise = [&](const std::string& name, const std::vector<Point>& points) {
    double last = std::numeric_limits<double>::quiet_NaN();
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const Point& p : points) {
      if (!std::isfinite(p.v)) continue;
      last = p.v;
      low = std::min(low, p.v);
      high = std::max(high, p.v);
    }
    if (!std::isfinite(last)) low = high = last;
    rows.push_back({name, FormatValue(last, chart.unit), FormatValue(low, chart.unit),
                    FormatValue(high, chart.unit), Sparkline(points)});
  };
  for (std::size_t i = 0; i < chart.lines.size() && i < kMaxChartRows; ++i) {
    summarise(chart.lines[i].name, chart.lines[i].points);
  }
  for (const ReportChart::Band& band : chart.bands) {
    summarise(band.name + " (lower)", band.lower);
    summarise(band.name + " (upper)", band.upper);
  }
  if (rows.empty()) {
    out += "No data.\n\n";
  } else {
    AppendTable(out, {"series", "last", "min", "max", "trend"}, rows);
  }
  if (chart.lines.size() > kMaxChartRows) {
    out += "… and " + std::to_string(chart.lines.size() - kMaxChartRows) + " more series.\n\n";
  }
  if (std::isfinite(chart.threshold)) {
    out += "Threshold: " + EscapeMarkdown(FormatValue(chart.threshold, chart.unit)) + "\n\n";
  }
  for (const ReportChart::Marker& marker : chart.markers) {
    out += "- marker at " + EscapeMarkdown(FormatUtc(marker.t)) + ": " +
           EscapeMarkdown(marker.text) + "\n";
  }
  if (!chart.markers.empty()) out += "\n";
}

void AppendBlock(std::string& out, const ReportBlock& block) {
  std::visit(
      [&](const auto& b) {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, ReportParagraph>) {
          out += EscapeMarkdownBlock(b.text) + "\n\n";
        } else if constexpr (std::is_same_v<B, ReportKeyValues>) {
          for (const auto& [key, value] : b.items) {
            out += "- **" + EscapeMarkdown(key) + ":** " + EscapeMarkdown(value) + "\n";
          }
          out += "\n";
        } else if constexpr (std::is_same_v<B, ReportTable>) {
          AppendTable(out, b.columns, b.rows);
        } else if constexpr (std::is_same_v<B, ReportChart>) {
          AppendChart(out, b);
        } else {
          AppendMarkdownFindings(out, b);
        }
      },
      block);
}

}  // namespace

std::string EscapeMarkdown(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
      case '~':
      case '!':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') break;
        out += c;
    }
  }
  std::size_t start = out.find_first_not_of(' ');
  if (start == std::string::npos) return "";
  out.erase(0, start);
  return out;
}

std::string EscapeMarkdownBlock(std::string_view text) {
  std::string out = EscapeMarkdown(text);
  // Block syntax counts only at a line's start: a heading ("# "), a list item ("- ", "+ ",
  // "1. ", "1) ") there is neutralised.
  auto marker_ends = [&](std::size_t i) { return i >= out.size() || out[i] == ' '; };
  if (out.empty()) return out;
  if (out[0] == '#') {
    std::size_t end = out.find_first_not_of('#');
    if (marker_ends(end)) out.insert(0, "\\");
  } else if ((out[0] == '-' || out[0] == '+') && marker_ends(1)) {
    out.insert(0, "\\");
  } else if (out[0] >= '0' && out[0] <= '9') {
    std::size_t end = out.find_first_not_of("0123456789");
    if (end != std::string::npos && (out[end] == '.' || out[end] == ')') && marker_ends(end + 1)) {
      out.insert(end, "\\");
    }
  }
  return out;
}

std::string Sparkline(const std::vector<Point>& points, std::size_t width) {
  static constexpr std::array<std::string_view, 8> kBlocks = {"▁", "▂", "▃", "▄",
                                                              "▅", "▆", "▇", "█"};
  if (points.empty() || width == 0) return "";
  std::size_t buckets = std::min(width, points.size());
  std::vector<double> sums(buckets, 0);
  std::vector<std::size_t> counts(buckets, 0);
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].v)) continue;
    std::size_t b = i * buckets / points.size();
    sums[b] += points[i].v;
    ++counts[b];
  }
  double low = std::numeric_limits<double>::infinity(), high = -low;
  for (std::size_t b = 0; b < buckets; ++b) {
    if (counts[b] == 0) continue;
    sums[b] /= static_cast<double>(counts[b]);
    low = std::min(low, sums[b]);
    high = std::max(high, sums[b]);
  }
  std::string out;
  for (std::size_t b = 0; b < buckets; ++b) {
    if (counts[b] == 0) {
      out += ' ';
      continue;
    }
    std::size_t level =
        high > low ? static_cast<std::size_t>(std::lround((sums[b] - low) / (high - low) * 7)) : 3;
    out += kBlocks[std::min<std::size_t>(level, 7)];
  }
  return out;
}

std::string RenderMarkdown(const ReportDocument& document) {
  std::string out;
  out += "# " + EscapeMarkdown(document.title.empty() ? document.name : document.title) + "\n\n";
  out += "Range: " + EscapeMarkdown(FormatWhen(document.start)) + " to " +
         EscapeMarkdown(FormatWhen(document.end)) +
         "  \nGenerated: " + EscapeMarkdown(FormatWhen(document.generated));
  if (!document.source.empty()) out += " · Source: " + EscapeMarkdown(document.source);
  if (!document.host.empty()) out += " · Host: " + EscapeMarkdown(document.host);
  out += "\n\n";
  if (document.sections.empty()) out += "This report has no sections.\n\n";
  for (const ReportSection& section : document.sections) {
    out += "## " + EscapeMarkdown(section.title.empty() ? section.id : section.title) + "\n\n";
    if (!section.error.empty()) {
      out +=
          "> **Error:** this section could not be built: " + EscapeMarkdown(section.error) + "\n\n";
    } else {
      for (const ReportBlock& block : section.blocks) AppendBlock(out, block);
    }
    if (!section.notes.empty()) {
      out += "*Notes:*\n\n";
      for (const std::string& note : section.notes) out += "- " + EscapeMarkdown(note) + "\n";
      out += "\n";
    }
  }
  return out;
}

}  // namespace metricsd::analytics
