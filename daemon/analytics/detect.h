// One refresh of the findings: every detecting method (regressions, gradual degradations,
// possible leaks, resources running out) at context.now, merged and ordered by severity.
//
// Thread-safety: a pure function of its arguments (the engine is thread-safe).
#pragma once

#include <string>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/finding.h"

namespace metricsd::analytics {

struct DetectOutcome {
  std::vector<Finding> findings;
  std::vector<std::string> errors;  // "regressions: <what failed>", one per failed method
};

DetectOutcome DetectAll(const AnalysisContext& context);

}  // namespace metricsd::analytics
