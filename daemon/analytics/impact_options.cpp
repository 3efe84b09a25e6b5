#include "daemon/analytics/impact_options.h"

namespace metricsd::analytics {

const config::Section<ImpactOptions>& ImpactSection() {
  static const auto* section = new config::Section<ImpactOptions>("Impact of annotated changes.");
  return *section;
}

}  // namespace metricsd::analytics
