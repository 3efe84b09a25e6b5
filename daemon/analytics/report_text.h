// The text and JSON every report section writes its numbers, times and series with, once, so
// that two sections never show the same number two ways.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

// A number for the JSON `data` of a section: NaN and infinities are not JSON, so they are null.
nlohmann::json NumberOrNull(double value);

// A series' labels for the JSON `data`: {"name": "value", ...}, {} when it has none.
nlohmann::json LabelsJson(const query::promql::Labels& labels);

// `value` with `digits` significant digits ("%.*g"); `missing` for NaN and infinities.
std::string FormatNumber(double value, int digits = 4, std::string_view missing = "n/a");
// A table cell's number: three significant digits, "-" when missing.
inline std::string FormatOrDash(double value, int digits = 3) { return FormatNumber(value, digits, "-"); }

// A change in percent with its sign and one decimal ("+12.5 %"); "n/a" when not finite.
std::string FormatSignedPercent(double percent);

// "2026-12-02 10:42 UTC" (minutes: reports cover hours to weeks).
std::string FormatTimeUtc(query::promql::Timestamp ms);

// A duration in hours below two days, in days from there ("36.0 h", "12.3 d").
std::string FormatSpan(std::int64_t ms);

// A series' labels for a table cell: "(all)" when it has none, else "name=value, name=value".
std::string LabelPairs(const query::promql::Labels& labels);

// `items` joined by `separator` ("a, b, c"): PromQL `by` lists, kinds, error lists.
std::string JoinList(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace metricsd::analytics
