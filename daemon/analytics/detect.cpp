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

using Detector = std::function<std::vector<Finding>(const AnalysisContext&)>;
struct NamedDetector {
  const char* name;
  Detector detect;
};

const std::vector<NamedDetector>& FastDetectors() {
  static const auto* detectors = new std::vector<NamedDetector>{
      {"regressions", [](const AnalysisContext& c) { return DetectRegressions(c); }}};
  return *detectors;
}

const std::vector<NamedDetector>& SlowDetectors() {
  static const auto* detectors = new std::vector<NamedDetector>{
      {"trends", DetectTrends}, {"leaks", DetectLeaks}, {"capacity", DetectExhaustion}};
  return *detectors;
}

void Run(const std::vector<NamedDetector>& detectors, const AnalysisContext& context,
         std::vector<Finding>& findings, std::vector<std::string>& errors) {
  for (const auto& [name, detect] : detectors) {
    try {
      std::vector<Finding> found = detect(context);
      std::move(found.begin(), found.end(), std::back_inserter(findings));
    } catch (const std::exception& e) {
      // A method's failure (a query it could not run) costs only its own findings.
      errors.push_back(std::string(name) + ": " + e.what());
    }
  }
}

void SortBySeverity(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return SeverityRank(a.severity) < SeverityRank(b.severity);
  });
}

}  // namespace

DetectOutcome DetectAll(const AnalysisContext& context) {
  DetectOutcome outcome;
  Run(FastDetectors(), context, outcome.findings, outcome.errors);
  Run(SlowDetectors(), context, outcome.findings, outcome.errors);
  SortBySeverity(outcome.findings);
  return outcome;
}

DetectOutcome FindingsRefresher::Refresh(const AnalysisContext& context) {
  DetectOutcome outcome;
  Run(FastDetectors(), context, outcome.findings, outcome.errors);
  if (last_slow_ == kNever || context.now - last_slow_ >= slow_every_ms_) {
    std::vector<Finding> slow;
    std::vector<std::string> errors;
    Run(SlowDetectors(), context, slow, errors);
    slow_findings_ = std::move(slow);
    last_slow_ = context.now;
    std::move(errors.begin(), errors.end(), std::back_inserter(outcome.errors));
  }
  outcome.findings.insert(outcome.findings.end(), slow_findings_.begin(), slow_findings_.end());
  SortBySeverity(outcome.findings);
  return outcome;
}

}  // namespace metricsd::analytics
