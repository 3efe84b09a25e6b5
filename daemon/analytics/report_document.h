// A report as data, independent of its format: sections of paragraphs, key/value lists, tables,
// charts and findings. Each method builds its own section (Build*Section in its file); the
// renderers (render_json, render_markdown, render_html) turn a document into JSON, Markdown or
// self-contained HTML with inline SVG charts.
//
// Thread-safety: plain values.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/analytics/finding.h"
#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

struct ReportParagraph {
  std::string text;  // plain text (renderers escape it)
};

struct ReportKeyValues {
  std::vector<std::pair<std::string, std::string>> items;
};

struct ReportTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each as wide as columns
};

struct ReportChart {
  struct Line {
    std::string name;
    std::vector<query::promql::Point> points;  // ascending by t; NaN is a gap
  };
  // A shaded interval (a forecast's prediction interval, a baseline's p10..p90).
  struct Band {
    std::string name;
    std::vector<query::promql::Point> lower, upper;  // same timestamps
  };
  struct Marker {  // a vertical line: an annotation, a change point
    query::promql::Timestamp t = 0;
    std::string text;
  };
  std::string title;
  std::string unit;  // the y axis ("seconds", "bytes", "ratio", ...)
  std::vector<Line> lines;
  std::vector<Band> bands;
  std::vector<Marker> markers;
  double threshold = std::numeric_limits<double>::quiet_NaN();  // a horizontal line, if finite
};

struct ReportFindings {
  std::vector<Finding> findings;
};

using ReportBlock =
    std::variant<ReportParagraph, ReportKeyValues, ReportTable, ReportChart, ReportFindings>;

struct ReportSection {
  std::string id;     // the name in analytics.reports[].sections ("regressions", "forecasts")
  std::string title;  // "Regressions against baseline"
  std::vector<ReportBlock> blocks;
  // The method's assumptions and limits, printed under the section.
  std::vector<std::string> notes;
  // The section's numbers for machines (the JSON format includes it as "data").
  nlohmann::json data = nlohmann::json::object();
  // Set when the section could not be built (a query failed): shown instead of the blocks.
  std::string error;
};

struct ReportDocument {
  std::string name;   // the report's config name ("daily")
  std::string title;  // "metricsd daily report"
  query::promql::Timestamp start = 0, end = 0, generated = 0;  // ms
  std::string source;  // QueryEngine::Describe(): "local" or the remote URL
  std::string host;    // the host it was made on
  std::vector<ReportSection> sections;
};

}  // namespace metricsd::analytics
