#include "daemon/analytics/finding.h"

#include <cmath>

#include "daemon/analytics/report_text.h"

namespace metricsd::analytics {
nlohmann::json FindingToJson(const Finding& finding) {
  return {{"kind", finding.kind},
          {"watch", finding.watch},
          {"labels", LabelsJson(finding.labels)},
          {"start", static_cast<double>(finding.start) / 1000},
          {"detected", static_cast<double>(finding.detected) / 1000},
          {"magnitude", NumberOrNull(finding.magnitude)},
          {"confidence", NumberOrNull(finding.confidence)},
          {"severity", finding.severity},
          {"summary", finding.summary},
          {"details", finding.details}};
}

}  // namespace metricsd::analytics
