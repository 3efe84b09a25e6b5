// Inline SVG charts for the HTML report (report_document.h's ReportChart): lines, shaded bands,
// vertical markers with labels, a horizontal threshold, and axes with readable ticks (UTC time,
// values in the chart's unit: seconds as ms/s, bytes as KiB/MiB/GiB, ratio as %). The SVG uses
// presentation attributes only (no CSS classes, scripts or external references), so it renders
// the same inline in HTML or as a file of its own. Long lines are reduced to min/max per bucket
// so a week of minutely points draws as at most SvgChartOptions::max_points_per_line vertices.
//
// Also the number, unit, time and XML-escaping helpers every renderer shares.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

// Text for XML and HTML content and attribute values: & < > " ' escaped, characters XML does
// not allow (C0 controls but tab, newline, carriage return) dropped, invalid UTF-8 replaced by
// U+FFFD.
std::string EscapeXml(std::string_view text);

// 3 significant digits without exponent for everyday magnitudes ("0.0123", "12.3", "1234");
// NaN "n/a", infinities "+Inf"/"-Inf".
std::string FormatReportNumber(double value);

// A value in its unit: "seconds" as µs/ms/s/min/h/d, "bytes" as B/KiB/MiB/GiB/TiB, "ratio" as %,
// "percent" with %, anything else as a number (k/M/G for large ones) followed by the unit.
std::string FormatValue(double value, std::string_view unit);

// "2026-12-03 06:05 UTC" (seconds shown when not zero).
std::string FormatUtc(query::promql::Timestamp ms);
// A time for people in a report; 0 is "not known" (a finding without a start), not 1970.
inline std::string FormatWhen(query::promql::Timestamp ms) { return ms > 0 ? FormatUtc(ms) : "n/a"; }

// A finding's magnitude for people: "in 3.5 d" for an exhaustion (seconds until the limit),
// else the signed change in percent ("+12.3%"); "n/a" when unknown.
std::string FormatMagnitude(const Finding& finding);

// `points` (ascending by t; NaN is a gap) reduced to the minimum and the maximum of each of
// `buckets` equal time buckets over [start, end]: at most 2 * buckets finite points, plus NaN
// points where a bucket held a gap. Returned unchanged when already small enough.
std::vector<query::promql::Point> DownsampleMinMax(const std::vector<query::promql::Point>& points,
                                                   query::promql::Timestamp start,
                                                   query::promql::Timestamp end,
                                                   std::size_t buckets);

struct SvgChartOptions {
  int width = 760;
  int height = 260;  // plot and axes; the legend and marker rows add to it
  std::size_t max_points_per_line = 1000;
  std::size_t max_lines = 100;  // further lines are counted in the legend, not drawn
};

// A complete <svg> element (with xmlns) for `chart`; "no data" when nothing is finite.
std::string RenderSvgChart(const ReportChart& chart, const SvgChartOptions& options = {});

}  // namespace metricsd::analytics
