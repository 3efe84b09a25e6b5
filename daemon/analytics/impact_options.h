// The options of impact analysis (`analytics.impact`): the windows compared around an
// annotation, the range-query step, and the bootstrap's size and confidence.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct ImpactOptions {
  Duration before = std::chrono::hours(24);   // the window before the annotation's time
  Duration after = std::chrono::hours(24);    // the window after its end (plus settle)
  Duration settle = std::chrono::minutes(10); // skipped after the end: restarts, warm-up
  Duration step = std::chrono::minutes(5);    // range-query resolution
  std::int64_t resamples = 1000;              // bootstrap resamples
  double confidence = 0.95;                   // of the bootstrap interval
  // A change smaller than this (percent of the before median) is "no significant change" even
  // when the interval excludes zero: statistically real but too small to matter.
  double min_change = 1.0;
  std::int64_t min_points = 6;      // per window and series; fewer: "insufficient data"
  std::int64_t max_series = 20;     // per watch, listed (the largest changes first)
  std::int64_t max_annotations = 20;  // per report section (the newest first)
  bool operator==(const ImpactOptions&) const = default;
};

const config::Section<ImpactOptions>& ImpactSection();

}  // namespace metricsd::analytics
