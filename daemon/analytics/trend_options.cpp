#include "daemon/analytics/trend_options.h"

namespace metricsd::analytics {

const config::Section<TrendOptions>& TrendSection() {
  static const auto* section = new config::Section<TrendOptions>("Trends: Theil-Sen slope with a Mann-Kendall test.");
  return *section;
}

}  // namespace metricsd::analytics
