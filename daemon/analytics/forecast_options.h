// The options of Holt-Winters forecasts (`analytics.forecast`): how much history a forecast
// is fitted to and at which step, how far it looks ahead, the prediction interval's level,
// how much of the history is held out to back-test accuracy, and which watches are forecast.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct ForecastOptions {
  Duration history = std::chrono::hours(14 * 24);  // fitted to; weekly season from 2 weeks
  Duration step = std::chrono::hours(1);           // the range query's step
  Duration horizon = std::chrono::hours(7 * 24);   // how far the report's forecasts look
  double interval = 0.95;                          // the prediction interval's level
  // Held out at the end of the history to measure accuracy; 0: the horizon. Capped at a
  // third of the history either way.
  Duration backtest{0};
  bool damped = false;  // damp the trend (phi fitted in 0.8..0.98)
  // The kinds of watches the forecasts section covers (names of WatchKind).
  std::vector<std::string> kinds = {"resource", "throughput", "latency"};
  int max_series = 5;  // series forecast per watch (those with the highest latest value)

  bool operator==(const ForecastOptions&) const = default;
};

const config::Section<ForecastOptions>& ForecastSection();

}  // namespace metricsd::analytics
