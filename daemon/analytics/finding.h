// A finding: something analytics concluded from the data that a person should know (a
// regression, a gradual degradation, a possible leak, a resource running out). Findings are
// listed at /api/v1/analytics/findings, exposed as metricsd_analytics_* gauges (so alert rules
// can use them) and summarised in reports.
//
// Thread-safety: a plain value.
#pragma once

#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

struct Finding {
  // "regression", "degradation", "leak", "exhaustion": also the metric's name part
  // (metricsd_analytics_<kind>).
  std::string kind;
  std::string watch;                  // the watch, capacity resource or process group
  query::promql::Labels labels;       // the affected series, without __name__
  query::promql::Timestamp start = 0;     // when the change began, ms
  query::promql::Timestamp detected = 0;  // the evaluation that found it, ms
  // Signed relative change in percent, positive = worse (regression, degradation, leak); for
  // "exhaustion" the seconds until the limit is reached.
  double magnitude = std::numeric_limits<double>::quiet_NaN();
  double confidence = std::numeric_limits<double>::quiet_NaN();  // 0..1
  std::string severity = "warning";   // "info", "warning", "critical"
  std::string summary;                // one sentence for people
  nlohmann::json details = nlohmann::json::object();  // the method's own numbers
};

// {"kind", "watch", "labels": {...}, "start": unix seconds, "detected", "magnitude",
//  "confidence", "severity", "summary", "details"}; NaN as null.
nlohmann::json FindingToJson(const Finding& finding);

}  // namespace metricsd::analytics
