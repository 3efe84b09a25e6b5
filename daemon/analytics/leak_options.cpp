#include "daemon/analytics/leak_options.h"

namespace metricsd::analytics {

const config::Section<LeakOptions>& LeakSection() {
  static const auto* section = new config::Section<LeakOptions>("Memory leak detection per process group.");
  return *section;
}

}  // namespace metricsd::analytics
