// Comparative analysis (30.4.4): each watch graded against the industry reference that applies
// (industry_references.h): good, acceptable or poor, with the margin to the reference's good
// line. The value graded is the watch's 95th percentile over the report range (the 5th for
// lower-is-worse watches: the bad tail either way), per series.
//
// Thread-safety: pure functions over the engine (thread-safe itself).
#pragma once

#include <string_view>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/industry_references.h"
#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

enum class Grade { kGood, kAcceptable, kPoor, kUnknown };
std::string_view GradeName(Grade grade);

struct Grading {
  Grade grade = Grade::kUnknown;
  // Distance to the good line in the reference's unit, positive = better than it.
  double margin = 0;
  // The margin in percent of the good line.
  double margin_percent = 0;
};
// `value` (in the reference's unit) against `reference`: good when no worse than
// reference.good, acceptable when no worse than reference.acceptable, else poor; unknown for
// NaN. A value exactly on a line belongs to the better grade.
Grading GradeValue(double value, const Reference& reference);

// The "comparison" report section.
ReportSection BuildComparisonSection(const AnalysisContext& context);

}  // namespace metricsd::analytics
