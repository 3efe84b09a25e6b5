// A report as JSON for machines: the document's header, then every section with its blocks
// (typed: paragraph, key_values, table, chart, findings), notes, error and the method's `data`.
// Times are Unix seconds (as Prometheus's API), NaN is null, chart points are [t, v] pairs:
// at full resolution up to kJsonChartPoints per line, beyond that the minimum and maximum per
// time bucket (the chart is presentation; a section's `data` and the query API have the
// numbers), so a week of minutely series cannot make a report of hundreds of megabytes. Text
// that is not valid UTF-8 is replaced (U+FFFD), never an exception.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

inline constexpr std::size_t kJsonChartPoints = 2000;

nlohmann::json ReportToJson(const ReportDocument& document);

// ReportToJson, serialised (indented by 1 space: readable, not much larger).
std::string RenderJson(const ReportDocument& document);

}  // namespace metricsd::analytics
