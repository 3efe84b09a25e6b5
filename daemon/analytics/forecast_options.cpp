#include "daemon/analytics/forecast_options.h"

namespace metricsd::analytics {

const config::Section<ForecastOptions>& ForecastSection() {
  static const auto* section = new config::Section<ForecastOptions>("Holt-Winters forecasts.");
  return *section;
}

}  // namespace metricsd::analytics
