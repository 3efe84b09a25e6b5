// The options of user experience analysis (`analytics.ux`): Apdex's default T, the frame-time
// histogram, and the grid and lags of the correlation search.
#pragma once

#include <chrono>
#include <string>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct UxOptions {
  // Apdex's T in seconds for latency watches that set neither apdex_t nor a reference in
  // seconds: RAIL's 100 ms response.
  double apdex_t = 0.1;
  // The frame-time histogram's _bucket series (a selector); empty: no frame smoothness.
  std::string frame_histogram = "game_ui_frame_seconds_bucket";
  // The correlation grid: both series are read at this step.
  Duration step = std::chrono::minutes(5);
  // Lags tried: -max_lag..+max_lag in steps.
  Duration max_lag = std::chrono::hours(2);
  // Apdex and frame shares over this window ending at the report's end; 0: the report range.
  Duration window{0};

  bool operator==(const UxOptions&) const = default;
};

const config::Section<UxOptions>& UxSection();

}  // namespace metricsd::analytics
