// The options of regression detection (analytics.regression): the recent window compared with
// the baseline, the Mann-Whitney test's level, the smallest change worth a finding, and the
// CUSUM change-point detector's slack and decision interval.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct RegressionOptions {
  // The recent window tested against the baseline (and left out of the baseline).
  Duration window = std::chrono::hours(1);
  // The step of the range queries reading the recent window and its reference weeks.
  Duration step = std::chrono::minutes(1);
  // One-sided level of the Mann-Whitney test in the worse direction.
  double alpha = 0.001;
  // Smallest change, percent of the baseline, reported as a regression.
  double min_change = 5;
  // CUSUM slack k and decision interval h, in standard deviations of the residuals.
  double cusum_k = 0.5;
  double cusum_h = 5;
  // Points after the change start needed before testing it (a shorter burst is not a level
  // shift yet).
  std::int64_t min_points = 10;
  // Kinds of watches tested. Resources are left to trends and runway: a filling disk is
  // always "above its baseline", which says less than when it will be full.
  std::vector<std::string> kinds = {"latency", "throughput", "errors", "ux"};

  bool operator==(const RegressionOptions&) const = default;
};

const config::Section<RegressionOptions>& RegressionSection();

}  // namespace metricsd::analytics
