#include "daemon/analytics/forecast_options.h"

#include "daemon/analytics/watch.h"

namespace metricsd::analytics {

const config::Section<ForecastOptions>& ForecastSection() {
  static const auto* section = [] {
    using std::chrono::hours;
    using std::chrono::minutes;
    auto* forecast = new config::Section<ForecastOptions>(
        "Holt-Winters forecasts (additive, daily or weekly season) with prediction intervals, "
        "back-tested on their own history.");
    forecast
        ->Dur("history", &ForecastOptions::history,
              "history a forecast is fitted to (weekly season from 2 weeks, daily from 2 days)",
              config::DurationBounds{hours(1), hours(365 * 24)})
        .Dur("step", &ForecastOptions::step, "spacing of the fitted values (range query step)",
             config::DurationBounds{minutes(1), hours(24)})
        .Dur("horizon", &ForecastOptions::horizon, "how far the forecasts section looks ahead",
             config::DurationBounds{hours(1), hours(365 * 24)})
        .Double("interval", &ForecastOptions::interval, 0.5, 0.999,
                "level of the prediction interval (0.5..0.999)")
        .Dur("backtest", &ForecastOptions::backtest,
             "held out at the end of the history to measure MAPE and coverage; 0: the horizon "
             "(capped at a third of the history)",
             config::DurationBounds{Duration(0), hours(365 * 24)})
        .Bool("damped", &ForecastOptions::damped, "damp the trend (phi fitted in 0.8..0.98)")
        .Strings("kinds", &ForecastOptions::kinds,
                 "kinds of watches forecast: latency, throughput, resource, errors, ux")
        .Int("max_series", &ForecastOptions::max_series, 1, 100,
             "series forecast per watch (the highest latest values)")
        .Check("history / step is at most 20000 points; kinds are watch kinds",
               [](const ConfigNode& node, ForecastOptions& options) {
                 if (options.history / options.step > 20000) {
                   node["history"].Fail("history / step must be at most 20000 points");
                 }
                 CheckWatchKinds(node["kinds"], options.kinds);
               });
    return forecast;
  }();
  return *section;
}

}  // namespace metricsd::analytics
