#include "daemon/analytics/trend_options.h"

namespace metricsd::analytics {

const config::Section<TrendOptions>& TrendSection() {
  static const auto* section = [] {
    auto* trends = new config::Section<TrendOptions>(
        "Trends: a Theil-Sen slope confirmed by a Mann-Kendall test; a significant slope in "
        "the worse direction that reaches the watch's threshold within the horizon is a "
        "\"degradation\" finding (an early warning).");
    trends
        ->Dur("range", &TrendOptions::range, "the window judged, ending now",
              config::DurationBounds{std::chrono::hours(1), std::chrono::hours(24 * 365)})
        .Dur("step", &TrendOptions::step, "one value per step (the range query's step)",
             config::DurationBounds{std::chrono::seconds(1), std::chrono::hours(24)})
        .Double("alpha", &TrendOptions::alpha, 1e-9, 0.5,
                "one-sided Mann-Kendall significance level in the worse direction")
        .Dur("horizon", &TrendOptions::horizon,
             "how far ahead the fitted line may cross the watch's threshold",
             config::DurationBounds{std::chrono::hours(1), std::chrono::hours(24 * 3650)})
        .Double("min_change", &TrendOptions::min_change, 0, 1e9,
                "watches without a threshold: least change over range, percent of the median")
        .Dur("test_bucket", &TrendOptions::test_bucket,
             "Mann-Kendall over medians of buckets this long (autocorrelation guard); 0: every "
             "step",
             config::DurationBounds{std::chrono::seconds(0), std::chrono::hours(24 * 30)})
        .Check("range holds at least 3 steps", [](const ConfigNode& node, TrendOptions& o) {
          if (o.range < 3 * o.step) node["step"].Fail("must be at most a third of range");
          if (o.test_bucket.count() != 0 && o.range < 3 * o.test_bucket) {
            node["test_bucket"].Fail("must be at most a third of range");
          }
        });
    return trends;
  }();
  return *section;
}

}  // namespace metricsd::analytics
