#include "daemon/analytics/regression_options.h"

namespace metricsd::analytics {

const config::Section<RegressionOptions>& RegressionSection() {
  static const auto* section = new config::Section<RegressionOptions>("Regression detection against the baseline.");
  return *section;
}

}  // namespace metricsd::analytics
