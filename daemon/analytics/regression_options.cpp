#include "daemon/analytics/regression_options.h"

#include "daemon/analytics/watch.h"

namespace metricsd::analytics {

const config::Section<RegressionOptions>& RegressionSection() {
  static const auto* section = [] {
    auto* regression = new config::Section<RegressionOptions>(
        "Regression detection: the recent window of each watched series against its baseline, "
        "with a Mann-Whitney U test and a CUSUM change-point detector that must both agree.");
    regression
        ->Dur("window", &RegressionOptions::window,
              "recent window tested against the baseline (and left out of it)",
              config::DurationBounds{std::chrono::minutes(5), std::chrono::hours(24)})
        .Dur("step", &RegressionOptions::step, "step of the range queries reading the window",
             config::DurationBounds{std::chrono::seconds(1), std::chrono::hours(1)})
        .Double("alpha", &RegressionOptions::alpha, 1e-12, 0.5,
                "one-sided Mann-Whitney level in the worse direction")
        .Double("min_change", &RegressionOptions::min_change, 0, 1000,
                "smallest change (percent of the baseline median) reported")
        .Double("cusum_k", &RegressionOptions::cusum_k, 0, 10,
                "CUSUM slack, in standard deviations (half the shift to detect)")
        .Double("cusum_h", &RegressionOptions::cusum_h, 0.1, 100,
                "CUSUM decision interval, in standard deviations")
        .Int("min_points", &RegressionOptions::min_points, 3, 100000,
             "points after the change start needed before it is tested")
        .Strings("kinds", &RegressionOptions::kinds,
                 "kinds of watches tested (resources are left to trends and runway: a filling "
                 "disk is always above its baseline)")
        .Check("step <= window / 5; kinds are watch kinds",
               [](const ConfigNode& node, RegressionOptions& options) {
                 if (options.step * 5 > options.window) {
                   node["step"].Fail("must be at most a fifth of window (" +
                                     FormatDuration(options.window) + ")");
                 }
                 CheckWatchKinds(node["kinds"], options.kinds);
               });
    return regression;
  }();
  return *section;
}

}  // namespace metricsd::analytics
