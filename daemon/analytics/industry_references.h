// The industry references watches are graded against (30.4.4): published response-time,
// frame-time, Apdex and Core Web Vitals thresholds, common SLOs, and utilisation headroom
// conventions, each with the publication it comes from (or marked as a convention when no
// single publication defines it). The table ships with the daemon; a watch picks its row by
// Watch::reference, or else by its kind and unit (ReferenceFor).
//
// Thread-safety: the table is immutable static data; all functions are pure.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "daemon/analytics/watch.h"

namespace metricsd::analytics {

struct Reference {
  std::string_view id;    // what Watch::reference names ("rail_response")
  std::string_view name;  // for people ("RAIL response")
  WatchKind kind;         // the watch kind it applies to when none is named
  std::string_view unit;  // "seconds", "ratio", "apdex" (a score 0..1)
  // A value is good when no worse than `good`, acceptable when no worse than `acceptable`,
  // poor otherwise; "worse" follows `direction`.
  double good = 0;
  double acceptable = 0;
  Direction direction = Direction::kHigherIsWorse;
  // The publication and its address, or "convention: ..." saying whose practice it is.
  std::string_view source;
};

// Every shipped reference.
std::span<const Reference> IndustryReferences();

// The reference called `id`, or null.
const Reference* FindReference(std::string_view id);

// The reference a watch is graded against: Watch::reference when set (null if unknown), else
// the first row of the watch's kind whose unit the watch's unit converts to; null when none
// applies (throughput has no industry reference).
const Reference* ReferenceFor(const Watch& watch);

// `value` in `from` units expressed in `to` units: seconds <- milliseconds/microseconds,
// ratio <- percent; NaN when the units do not convert.
double ConvertUnit(double value, std::string_view from, std::string_view to);

// A number for tables: 4 significant digits, seconds below 1 s as milliseconds, ratios as
// percent ("12.5 ms", "0.931", "71.2 %"); "n/a" for NaN.
std::string FormatQuantity(double value, std::string_view unit);

}  // namespace metricsd::analytics
