#include "daemon/analytics/ux_options.h"

#include "daemon/query/promql_key.h"

namespace metricsd::analytics {

const config::Section<UxOptions>& UxSection() {
  static const auto* section = [] {
    auto* ux = new config::Section<UxOptions>(
        "User experience: Apdex from latency histograms, frame smoothness, and the correlation "
        "of technical watches with player-satisfaction watches.");
    ux->Double("apdex_t", &UxOptions::apdex_t, 0.001, 3600,
               "Apdex's T in seconds for watches without apdex_t or a reference in seconds "
               "(default: RAIL's 100 ms)")
        .String("frame_histogram", &UxOptions::frame_histogram,
                "the frame-time histogram's _bucket selector (PromQL); empty: no frame smoothness")
        .Dur("step", &UxOptions::step, "the correlation grid: both series are read at this step",
             config::DurationBounds{std::chrono::seconds(10), std::chrono::hours(24)})
        .Dur("max_lag", &UxOptions::max_lag,
             "the correlation's lag search tries -max_lag..+max_lag in steps (Bonferroni for each)",
             config::DurationBounds{Duration(0), std::chrono::hours(24 * 7)})
        .Dur("window", &UxOptions::window,
             "Apdex and frame shares over this window ending at the report's end; 0s: the "
             "report range",
             config::DurationBounds{Duration(0), std::chrono::hours(24 * 90)})
        .Check("frame_histogram is valid PromQL; max_lag is at most 500 steps",
               [](const ConfigNode& node, UxOptions& options) {
                 query::CheckPromQL(node["frame_histogram"], options.frame_histogram);
                 if (options.max_lag.count() / options.step.count() > 500) {
                   node["max_lag"].Fail("max_lag must be at most 500 steps");
                 }
               });
    return ux;
  }();
  return *section;
}

}  // namespace metricsd::analytics
