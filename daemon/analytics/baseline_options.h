// The options of baselines (analytics.baseline): how much history a baseline summarises, at
// which step it is read, when an hour-of-week slot has enough samples to stand on its own, and
// how long a stored baseline is reused before it is computed again.
#pragma once

#include <chrono>
#include <cstdint>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct BaselineOptions {
  // Weeks of history summarised (the most recent regression.window excluded).
  std::int64_t weeks = 4;
  // Full weeks of history needed before the hour-of-week (seasonal) baseline is used; with
  // less, every slot uses the flat baseline.
  std::int64_t min_weeks = 1;
  // The step of the range query that reads the history.
  Duration step = std::chrono::minutes(5);
  // Samples an hour-of-week slot needs; a slot with fewer uses the flat baseline.
  std::int64_t min_samples_per_slot = 3;
  // How long a stored baseline is reused before it is computed (and stored) again.
  Duration refresh = std::chrono::hours(24);

  bool operator==(const BaselineOptions&) const = default;
};

const config::Section<BaselineOptions>& BaselineSection();

}  // namespace metricsd::analytics
