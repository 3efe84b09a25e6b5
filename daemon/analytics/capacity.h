// Capacity runway: when each resource (capacity.resources: filesystems, memory, CPU
// saturation, AO throughput per player) reaches its limit, from its Holt-Winters forecast
// (forecast.h) with an earliest/latest range from the prediction interval and a confidence;
// and growth scenarios: usage regressed on a driver (players online) with Theil-Sen, then "at
// +X % players per week (compounding), cpu reaches its limit in N days".
// The pure parts (ComputeRunway, FitUsageOnDriver, ScenarioDays) sit apart from the querying ones.
//
// Thread-safety: pure functions, and functions of an AnalysisContext whose engine is
// thread-safe; nothing is shared between calls.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/capacity_options.h"
#include "daemon/analytics/finding.h"
#include "daemon/analytics/forecast.h"
#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

// Where a forecast reaches a limit (crossings interpolated linearly between steps).
struct Runway {
  double current = std::numeric_limits<double>::quiet_NaN();  // the newest value
  bool exhausted_now = false;         // the newest value is already at or over the limit
  std::optional<Timestamp> at;        // the point forecast reaches the limit
  std::optional<Timestamp> earliest;  // the interval's upper bound does
  std::optional<Timestamp> latest;    // its lower bound does (none: maybe never in the horizon)
  // The largest predictive probability, over the forecast up to `until`, that usage is at or
  // over the limit (normal predictive distribution whose sd is read back from the interval).
  // 1 when already exhausted.
  double confidence = 0;
};

// The runway of `forecast` against `limit` (an infinite or NaN limit: never reached).
Runway ComputeRunway(const ForecastResult& forecast, double limit, Timestamp until);

// usage = slope * driver + intercept.
struct LinearFit {
  double slope = std::numeric_limits<double>::quiet_NaN();
  double intercept = std::numeric_limits<double>::quiet_NaN();
  std::size_t points = 0;  // finite pairs used
  // Spearman's rho of the pairs (correlation.h): whether usage follows the driver at all
  // (scenario sentences are written only from 0.5 up).
  double correlation = std::numeric_limits<double>::quiet_NaN();
  bool ok() const { return std::isfinite(slope) && std::isfinite(intercept); }
};

// Usage (y) on the driver (x) by Theil-Sen (theil_sen.h: the median of the pairwise slopes,
// pairs with equal x skipped; the intercept the median of y - slope x; robust to 29 %
// outliers), over at most 400 points (bucket medians beyond), so its cost is bounded.
LinearFit FitUsageOnDriver(std::span<const double> x, std::span<const double> y);

// Days until fit(driver) reaches `limit` when the driver grows from `base` by
// `growth_percent` per week, compounding: 7 ln(D*/base) / ln(1 + g/100) with D* = (limit -
// intercept) / slope. 0 when already reached at `base`; NaN when never (a slope <= 0, a
// driver <= 0, an infinite limit).
double ScenarioDays(const LinearFit& fit, double base, double limit, double growth_percent);

// One series of one resource: its forecast, runway and growth scenarios.
struct CapacityRunway {
  std::string resource;
  double limit = 1.0;
  std::string unit;
  ForecastResult forecast;
  Runway runway;
  LinearFit driver_fit;                                           // usage on the driver
  double driver_base = std::numeric_limits<double>::quiet_NaN();  // p95 of the last week
  std::vector<double> scenario_days;                              // per capacity.scenarios
};

// Every resource's series at `now`; `errors` receives "resource: message" per failed query.
std::vector<CapacityRunway> CapacityRunways(const AnalysisContext& context, Timestamp now,
                                            std::vector<std::string>* errors);

// "exhaustion" findings: the point forecast reaches the limit within capacity.warn_within
// of context.now (critical within capacity.critical_within); magnitude: seconds until then.
std::vector<Finding> DetectExhaustion(const AnalysisContext& context);

// The runway table (ETA, earliest, latest, confidence, back-test accuracy), the growth
// scenarios, a chart per resource series (at most 3 per resource), and the findings.
ReportSection BuildCapacitySection(const AnalysisContext& context);

}  // namespace metricsd::analytics
