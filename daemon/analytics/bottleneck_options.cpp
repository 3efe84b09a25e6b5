#include "daemon/analytics/bottleneck_options.h"

namespace metricsd::analytics {

const config::Section<BottleneckOptions>& BottleneckSection() {
  static const auto* section = new config::Section<BottleneckOptions>("Bottlenecks: top operations.");
  return *section;
}

}  // namespace metricsd::analytics
