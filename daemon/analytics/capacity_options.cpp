#include "daemon/analytics/capacity_options.h"

namespace metricsd::analytics {

const config::Section<CapacityOptions>& CapacitySection() {
  static const auto* section = new config::Section<CapacityOptions>("Capacity runway: time to exhaustion.");
  return *section;
}

}  // namespace metricsd::analytics
