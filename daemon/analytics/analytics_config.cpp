#include "daemon/analytics/analytics_config.h"

#include <set>

namespace metricsd::analytics {

const Watch* AnalyticsConfig::FindWatch(std::string_view name) const {
  for (const Watch& watch : watches) {
    if (watch.name == name) return &watch;
  }
  return nullptr;
}

const config::Section<AnalyticsConfig>& AnalyticsSection() {
  static const auto* section = [] {
    auto* analytics = new config::Section<AnalyticsConfig>(
        "Analytics over history: baselines, regressions, trends, forecasts, capacity runway, "
        "leaks, bottlenecks, user experience, impact of changes, ROI, and reports.");
    analytics->Bool("enabled", &AnalyticsConfig::enabled, "refresh findings and serve reports")
        .Dur("interval", &AnalyticsConfig::interval,
             "how often findings (regressions, trends, leaks, runway) are refreshed",
             config::DurationBounds{std::chrono::seconds(10), std::chrono::hours(24)})
        .Dur("slow_interval", &AnalyticsConfig::slow_interval,
             "how often trends, leaks and runway (which look at days or weeks) are refreshed; "
             "their findings are kept in between",
             config::DurationBounds{std::chrono::seconds(10), std::chrono::hours(24)})
        .Block("source", &AnalyticsConfig::source, RemoteSourceSection(), RemoteSourceSection().doc())
        .List("watches", &AnalyticsConfig::watches, WatchSection(), WatchSection().doc())
        .Block("baseline", &AnalyticsConfig::baseline, BaselineSection(), BaselineSection().doc())
        .Block("regression", &AnalyticsConfig::regression, RegressionSection(),
               RegressionSection().doc())
        .Block("trends", &AnalyticsConfig::trends, TrendSection(), TrendSection().doc())
        .Block("forecast", &AnalyticsConfig::forecast, ForecastSection(), ForecastSection().doc())
        .Block("capacity", &AnalyticsConfig::capacity, CapacitySection(), CapacitySection().doc())
        .Block("leaks", &AnalyticsConfig::leaks, LeakSection(), LeakSection().doc())
        .Block("bottlenecks", &AnalyticsConfig::bottlenecks, BottleneckSection(),
               BottleneckSection().doc())
        .Block("ux", &AnalyticsConfig::ux, UxSection(), UxSection().doc())
        .Block("impact", &AnalyticsConfig::impact, ImpactSection(), ImpactSection().doc())
        .Block("cost", &AnalyticsConfig::cost, CostModelSection(), CostModelSection().doc())
        .List("reports", &AnalyticsConfig::reports, ReportSectionConfig(),
              ReportSectionConfig().doc())
        .Check("watch names are unique", [](const ConfigNode& node, AnalyticsConfig& config) {
          std::set<std::string> names;
          auto items = node["watches"].Items();
          for (std::size_t i = 0; i < config.watches.size(); ++i) {
            if (!names.insert(config.watches[i].name).second) {
              const ConfigNode& at = i < items.size() ? items[i]["name"] : node["watches"];
              at.Fail("duplicate watch name \"" + config.watches[i].name + "\"");
            }
          }
        });
    return analytics;
  }();
  return *section;
}

}  // namespace metricsd::analytics
