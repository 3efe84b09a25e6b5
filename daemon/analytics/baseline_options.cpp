#include "daemon/analytics/baseline_options.h"

namespace metricsd::analytics {

const config::Section<BaselineOptions>& BaselineSection() {
  static const auto* section = new config::Section<BaselineOptions>("Baselines: robust statistics per hour-of-week season.");
  return *section;
}

}  // namespace metricsd::analytics
