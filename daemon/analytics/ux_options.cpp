#include "daemon/analytics/ux_options.h"

namespace metricsd::analytics {

const config::Section<UxOptions>& UxSection() {
  static const auto* section = new config::Section<UxOptions>("User experience: Apdex, frame smoothness, correlation.");
  return *section;
}

}  // namespace metricsd::analytics
