// An annotation: a marked moment or interval (a deploy, an optimization, a config change) that
// impact analysis compares before and after. Its JSON is Grafana's annotation shape
// (https://grafana.com/docs/grafana/latest/developers/http_api/annotations/): "id", "time",
// "timeEnd" (ms), "tags", "text", "dashboardUID", "panelId".
//
// Thread-safety: a plain value; the functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

using query::promql::Timestamp;  // ms since the Unix epoch

struct Annotation {
  std::int64_t id = 0;                  // assigned by AnalyticsDb::AddAnnotation
  Timestamp time = 0, time_end = 0;     // ms; time_end == time: a point in time
  std::vector<std::string> tags;
  std::string text;
  std::string source = "api";           // "api" | "dogstatsd"
  std::string dashboard_uid;
  std::int64_t panel_id = 0;
  bool operator==(const Annotation&) const = default;
};

// Limits on what is stored (a request over them is refused, not truncated).
inline constexpr std::size_t kMaxAnnotationText = 64 * 1024;  // bytes
inline constexpr std::size_t kMaxAnnotationTags = 64;
inline constexpr std::size_t kMaxAnnotationTagBytes = 256;

// {"id", "time", "timeEnd", "tags", "text", "dashboardUID", "panelId", "source"}.
nlohmann::json AnnotationToJson(const Annotation& annotation);

// Parses a POST body's JSON object ({"time", "timeEnd"?, "tags"?, "text"?, "dashboardUID"?,
// "panelId"?}); `now` fills a missing "time" (Grafana does the same). Returns an empty string
// on success, or a message for a 400 ("annotation needs \"text\" or \"tags\"", "\"time\" must be
// a number of milliseconds", "text is over 65536 bytes").
std::string AnnotationFromJson(const nlohmann::json& body, Timestamp now, Annotation* out);

// Why `annotation` cannot be stored (limits, timeEnd before time, neither text nor tags), or
// empty when it can.
std::string ValidateAnnotation(const Annotation& annotation);

}  // namespace metricsd::analytics
