#include "daemon/analytics/report_config.h"

namespace metricsd::analytics {

const config::Section<ReportConfig>& ReportSectionConfig() {
  static const auto* section = new config::Section<ReportConfig>("A named report.");
  return *section;
}

}  // namespace metricsd::analytics
