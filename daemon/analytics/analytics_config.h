// The `analytics` section: what is watched, where the data comes from (local history or a
// remote Prometheus-compatible API), each method's options, the cost model and the reports.
//
// Thread-safety: a value; immutable once loaded.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

#include "daemon/analytics/baseline_options.h"
#include "daemon/analytics/bottleneck_options.h"
#include "daemon/analytics/capacity_options.h"
#include "daemon/analytics/cost_model.h"
#include "daemon/analytics/forecast_options.h"
#include "daemon/analytics/impact_options.h"
#include "daemon/analytics/leak_options.h"
#include "daemon/analytics/regression_options.h"
#include "daemon/analytics/remote_source.h"
#include "daemon/analytics/report_config.h"
#include "daemon/analytics/trend_options.h"
#include "daemon/analytics/ux_options.h"
#include "daemon/analytics/watch.h"
#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

struct AnalyticsConfig {
  bool enabled = true;
  // How often findings (regressions, trends, leaks, runway) are refreshed.
  Duration interval = std::chrono::minutes(5);
  // How often the methods that look at days or weeks (trends, leaks, runway) run again; their
  // findings are kept in between.
  Duration slow_interval = std::chrono::hours(1);
  RemoteSource source;  // url empty: the local history
  std::vector<Watch> watches = DefaultWatches();
  BaselineOptions baseline;
  RegressionOptions regression;
  TrendOptions trends;
  ForecastOptions forecast;
  CapacityOptions capacity;
  LeakOptions leaks;
  BottleneckOptions bottlenecks;
  UxOptions ux;
  ImpactOptions impact;
  CostModel cost;
  std::vector<ReportConfig> reports;

  // The watch named `name`, or null.
  const Watch* FindWatch(std::string_view name) const;
};

const config::Section<AnalyticsConfig>& AnalyticsSection();

}  // namespace metricsd::analytics
