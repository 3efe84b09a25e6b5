#include "daemon/analytics/detect.h"

#include <algorithm>
#include <exception>
#include <functional>

#include "daemon/analytics/capacity.h"
#include "daemon/analytics/leak.h"
#include "daemon/analytics/regression.h"
#include "daemon/analytics/trend.h"

namespace metricsd::analytics {
namespace {

int SeverityRank(const std::string& severity) {
  if (severity == "critical") return 0;
  if (severity == "warning") return 1;
  return 2;
}

}  // namespace

DetectOutcome DetectAll(const AnalysisContext& context) {
  using Detector = std::function<std::vector<Finding>(const AnalysisContext&)>;
  const std::pair<const char*, Detector> detectors[] = {
      {"regressions", DetectRegressions},
      {"trends", DetectTrends},
      {"leaks", DetectLeaks},
      {"capacity", DetectExhaustion},
  };
  DetectOutcome outcome;
  for (const auto& [name, detect] : detectors) {
    try {
      std::vector<Finding> found = detect(context);
      std::move(found.begin(), found.end(), std::back_inserter(outcome.findings));
    } catch (const std::exception& e) {
      // A method's failure (a query it could not run) costs only its own findings.
      outcome.errors.push_back(std::string(name) + ": " + e.what());
    }
  }
  std::stable_sort(outcome.findings.begin(), outcome.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     return SeverityRank(a.severity) < SeverityRank(b.severity);
                   });
  return outcome;
}

}  // namespace metricsd::analytics
