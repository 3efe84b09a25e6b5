#include "daemon/analytics/render_html.h"

#include <cmath>
#include <type_traits>

namespace metricsd::analytics {
namespace {

constexpr std::string_view kStyle = R"(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
  margin: 0 auto; max-width: 1000px; padding: 24px; background: #fff; }
header { border-bottom: 2px solid #4e79a7; margin-bottom: 16px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; margin: 0 0 12px; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav a { color: #4e79a7; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f8; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0 16px; }
dl.kv dt { font-weight: 600; color: #444; }
dl.kv dd { margin: 0; }
figure { margin: 12px 0 20px; overflow-x: auto; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.error { background: #fdecea; border-left: 4px solid #d62728; padding: 8px 12px; }
.notes { color: #555; font-size: 13px; }
.sev { display: inline-block; border-radius: 3px; padding: 0 6px; font-size: 12px; color: #fff; }
.sev-critical { background: #d62728; } .sev-warning { background: #e08e0b; }
.sev-info { background: #4e79a7; }
.none { color: #777; font-style: italic; }
td.wrap { word-break: break-word; }
)";

// A section id as an HTML id: letters, digits, '-' and '_' only.
std::string Anchor(std::string_view id, std::size_t index) {
  std::string out = "s" + std::to_string(index) + "-";
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

std::string SeverityClass(std::string_view severity) {
  if (severity == "critical" || severity == "warning" || severity == "info") {
    return "sev sev-" + std::string(severity);
  }
  return "sev sev-info";
}

void AppendTable(std::string& out, const ReportTable& table) {
  out += "<table><thead><tr>";
  for (const std::string& column : table.columns) out += "<th>" + EscapeXml(column) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < std::max(row.size(), table.columns.size()); ++i) {
      out += "<td>" + (i < row.size() ? EscapeXml(row[i]) : std::string()) + "</td>";
    }
    out += "</tr>";
  }
  out += "</tbody></table>";
}

void AppendHtmlFindings(std::string& out, const ReportFindings& block) {
  if (block.findings.empty()) {
    out += "<p class=\"none\">No findings.</p>";
    return;
  }
  out +=
      "<table class=\"findings\"><thead><tr><th>Severity</th><th>Kind</th><th>Watch</th>"
      "<th>Series</th><th>Since</th><th>Magnitude</th><th>Confidence</th><th>Summary</th>"
      "</tr></thead><tbody>";
  for (const Finding& f : block.findings) {
    out += "<tr><td><span class=\"" + SeverityClass(f.severity) + "\">" + EscapeXml(f.severity) +
           "</span></td><td>" + EscapeXml(f.kind) + "</td><td>" + EscapeXml(f.watch) +
           "</td><td class=\"wrap\">" +
           EscapeXml(f.labels.empty() ? "" : query::promql::LabelsToString(f.labels)) +
           "</td><td>" + EscapeXml(FormatWhen(f.start)) + "</td><td>" + EscapeXml(FormatMagnitude(f)) +
           "</td><td>" +
           (std::isfinite(f.confidence) ? FormatReportNumber(f.confidence * 100) + "%" : "n/a") +
           "</td><td class=\"wrap\">" + EscapeXml(f.summary) + "</td></tr>";
  }
  out += "</tbody></table>";
}

void AppendBlock(std::string& out, const ReportBlock& block, const SvgChartOptions& charts) {
  std::visit(
      [&](const auto& b) {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, ReportParagraph>) {
          out += "<p>" + EscapeXml(b.text) + "</p>";
        } else if constexpr (std::is_same_v<B, ReportKeyValues>) {
          out += "<dl class=\"kv\">";
          for (const auto& [key, value] : b.items) {
            out += "<dt>" + EscapeXml(key) + "</dt><dd>" + EscapeXml(value) + "</dd>";
          }
          out += "</dl>";
        } else if constexpr (std::is_same_v<B, ReportTable>) {
          AppendTable(out, b);
        } else if constexpr (std::is_same_v<B, ReportChart>) {
          out += "<figure>";
          if (!b.title.empty()) out += "<figcaption>" + EscapeXml(b.title) + "</figcaption>";
          out += RenderSvgChart(b, charts);
          out += "</figure>";
        } else {
          AppendHtmlFindings(out, b);
        }
      },
      block);
}

}  // namespace

std::string RenderHtml(const ReportDocument& document, const SvgChartOptions& charts) {
  std::string title = document.title.empty() ? document.name : document.title;
  std::string out;
  out.reserve(64 << 10);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"" +
         EscapeXml(kReportContentSecurityPolicy) + "\">";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  out += "<meta name=\"generator\" content=\"metricsd\">";
  out += "<title>" + EscapeXml(title) + "</title><style>";
  out += kStyle;
  out += "</style></head><body>\n<header><h1>" + EscapeXml(title) + "</h1><p class=\"meta\">" +
         EscapeXml(FormatWhen(document.start)) + " to " + EscapeXml(FormatWhen(document.end)) +
         " · generated " + EscapeXml(FormatWhen(document.generated));
  if (!document.source.empty()) out += " · source " + EscapeXml(document.source);
  if (!document.host.empty()) out += " · host " + EscapeXml(document.host);
  out += "</p>";
  if (document.sections.size() > 1) {
    out += "<nav><ul>";
    for (std::size_t i = 0; i < document.sections.size(); ++i) {
      const ReportSection& section = document.sections[i];
      out += "<li><a href=\"#" + Anchor(section.id, i) + "\">" +
             EscapeXml(section.title.empty() ? section.id : section.title) + "</a></li>";
    }
    out += "</ul></nav>";
  }
  out += "</header>\n<main>";
  if (document.sections.empty()) out += "<p class=\"none\">This report has no sections.</p>";
  for (std::size_t i = 0; i < document.sections.size(); ++i) {
    const ReportSection& section = document.sections[i];
    out += "\n<section id=\"" + Anchor(section.id, i) + "\"><h2>" +
           EscapeXml(section.title.empty() ? section.id : section.title) + "</h2>";
    if (!section.error.empty()) {
      out += "<div class=\"error\"><strong>This section could not be built:</strong> " +
             EscapeXml(section.error) + "</div>";
    } else {
      for (const ReportBlock& block : section.blocks) AppendBlock(out, block, charts);
    }
    if (!section.notes.empty()) {
      out += "<div class=\"notes\"><strong>Notes</strong><ul>";
      for (const std::string& note : section.notes) out += "<li>" + EscapeXml(note) + "</li>";
      out += "</ul></div>";
    }
    out += "</section>";
  }
  out += "\n</main></body></html>\n";
  return out;
}

}  // namespace metricsd::analytics
