#include "daemon/analytics/impact_options.h"

namespace metricsd::analytics {

const config::Section<ImpactOptions>& ImpactSection() {
  static const auto* section = [] {
    auto* impact = new config::Section<ImpactOptions>(
        "Impact of annotated changes: every watch before against after an annotation, with "
        "bootstrap confidence intervals.");
    constexpr config::DurationBounds kWindow{std::chrono::minutes(5), std::chrono::hours(24 * 90)};
    impact->Dur("before", &ImpactOptions::before, "window before the annotation's time", kWindow)
        .Dur("after", &ImpactOptions::after, "window after the annotation's end (and settle)", kWindow)
        .Dur("settle", &ImpactOptions::settle, "time skipped after the annotation's end (restarts, warm-up)",
             config::DurationBounds{Duration(0), std::chrono::hours(24 * 7)})
        .Dur("step", &ImpactOptions::step, "range-query step",
             config::DurationBounds{std::chrono::seconds(1), std::chrono::hours(6)})
        .Int("resamples", &ImpactOptions::resamples, 100, 100000, "bootstrap resamples per comparison")
        .Double("confidence", &ImpactOptions::confidence, 0.5, 0.999, "confidence of the bootstrap interval")
        .Double("min_change", &ImpactOptions::min_change, 0, 1000,
                "percent; smaller changes count as no significant change")
        .Int("min_points", &ImpactOptions::min_points, 2, 100000,
             "points each window needs per series; fewer: insufficient data")
        .Int("max_series", &ImpactOptions::max_series, 1, 10000,
             "series listed per watch (the largest changes first)")
        .Int("max_annotations", &ImpactOptions::max_annotations, 1, 1000,
             "annotations a report section covers (the newest first)")
        .Check("step is shorter than each window", [](const ConfigNode& node, ImpactOptions& o) {
          if (o.step >= o.before || o.step >= o.after) node["step"].Fail("must be shorter than before and after");
        });
    return impact;
  }();
  return *section;
}

}  // namespace metricsd::analytics
