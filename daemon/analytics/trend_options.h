// The `analytics.trends` options: gradual degradation found by a Theil-Sen slope confirmed by
// a Mann-Kendall test (trend.h).
//
// Thread-safety: a value; immutable once loaded.
#pragma once

#include <chrono>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

struct TrendOptions {
  // The window each watch's series are judged over, ending at the evaluation time.
  Duration range = std::chrono::hours(24 * 7);
  // The range query's step: one value per step (the expression's own windows smooth it).
  Duration step = std::chrono::hours(1);
  // The one-sided Mann-Kendall level a slope in the worse direction must reach.
  double alpha = 0.01;
  // How far ahead the fitted line may cross the watch's threshold to be an early warning.
  Duration horizon = std::chrono::hours(24 * 14);
  // Without a threshold: the least change over `range` (percent of the series' median level)
  // that is reported.
  double min_change = 10;
  // The autocorrelation guard: Mann-Kendall runs over medians of buckets this long; 0: over
  // every step (the default step of 1h is already hourly).
  Duration test_bucket{0};

  bool operator==(const TrendOptions&) const = default;
};

const config::Section<TrendOptions>& TrendSection();

}  // namespace metricsd::analytics
