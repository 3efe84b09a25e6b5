// One refresh of the findings: every detecting method (regressions, gradual degradations,
// possible leaks, resources running out) at context.now, merged and ordered by severity.
//
// Thread-safety: a pure function of its arguments (the engine is thread-safe).
#pragma once

#include <cstdint>
#include <limits>
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

// The daemon's refreshes: regressions every refresh (they must be found within minutes);
// trends, leaks and runway, which look at days or weeks, at most once per `slow_every`,
// their last findings kept in between. Costs a fraction of re-running every method each
// time over weeks of data.
// Thread-safety: not thread-safe; one refresh thread owns it.
class FindingsRefresher {
 public:
  explicit FindingsRefresher(std::int64_t slow_every_ms = 3600 * 1000)
      : slow_every_ms_(slow_every_ms) {}
  DetectOutcome Refresh(const AnalysisContext& context);

 private:
  static constexpr Timestamp kNever = std::numeric_limits<Timestamp>::min();
  std::int64_t slow_every_ms_;
  Timestamp last_slow_ = kNever;
  std::vector<Finding> slow_findings_;
};

}  // namespace metricsd::analytics
