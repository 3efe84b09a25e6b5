// A report as one self-contained HTML page: inline CSS, inline SVG charts (svg_chart.h), no
// scripts and no external requests, which its Content-Security-Policy (default-src 'none';
// style-src 'unsafe-inline'; img-src data:) enforces in the browser as well. Every text from
// the document is escaped, so a hostile label value stays text. A section's error is shown
// instead of its blocks; its notes (the method's assumptions and limits) follow it.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "daemon/analytics/report_document.h"
#include "daemon/analytics/svg_chart.h"

namespace metricsd::analytics {

// The policy in the page's <meta http-equiv="Content-Security-Policy">; an HTTP handler serving
// the page should send it as a header too.
inline constexpr std::string_view kReportContentSecurityPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

std::string RenderHtml(const ReportDocument& document, const SvgChartOptions& charts = {});

}  // namespace metricsd::analytics
