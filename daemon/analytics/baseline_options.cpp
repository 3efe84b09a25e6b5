#include "daemon/analytics/baseline_options.h"

namespace metricsd::analytics {

const config::Section<BaselineOptions>& BaselineSection() {
  static const auto* section = [] {
    auto* baseline = new config::Section<BaselineOptions>(
        "Baselines: robust statistics (median, p90, p99, MAD) of each watched series per "
        "hour-of-week slot (UTC) over the last weeks, and a flat baseline over all of them.");
    baseline
        ->Int("weeks", &BaselineOptions::weeks, 1, 52,
              "weeks of history summarised (the newest regression.window left out)")
        .Int("min_weeks", &BaselineOptions::min_weeks, 1, 52,
             "full weeks of history before hour-of-week slots are used; less: the flat baseline")
        .Dur("step", &BaselineOptions::step, "step of the range query reading the history",
             config::DurationBounds{std::chrono::seconds(10), std::chrono::hours(1)})
        .Int("min_samples_per_slot", &BaselineOptions::min_samples_per_slot, 1, 100000,
             "samples an hour-of-week slot needs; fewer: that slot uses the flat baseline")
        .Dur("refresh", &BaselineOptions::refresh,
             "how long a stored baseline is reused before it is computed and stored again",
             config::DurationBounds{std::chrono::minutes(1), std::chrono::hours(24 * 28)})
        .Check("min_weeks <= weeks", [](const ConfigNode& node, BaselineOptions& options) {
          if (options.min_weeks > options.weeks) {
            node["min_weeks"].Fail("must not exceed weeks (" + std::to_string(options.weeks) + ")");
          }
        });
    return baseline;
  }();
  return *section;
}

}  // namespace metricsd::analytics
