// Memory leaks (story 30.2.4): steady growth of a process group's resident memory between its
// restarts. Each group's series is cut into segments at restarts (a change of the group's
// oldest start time, or a fall of memory by more than leaks.reset_drop percent in one step);
// the most recent segment lasting at least leaks.min_duration is judged on its LATTER HALF:
// a one-sided Mann-Kendall test (rising, over leaks.test_bucket medians) at leaks.alpha and a
// Theil-Sen growth of at least leaks.min_growth percent of the half's median per day. Judging
// only the latter half is the warm-up rule: memory that grows while caches fill and then
// flattens (a plateau) has a flat latter half and is not a leak; a sawtooth (grows, restarts,
// grows) is one within its segments. Growth that keeps slowing without flattening (a + b ln t)
// is reported when its latter half still rises by min_growth: it cannot be told from a leak
// behind a long warm-up (measured: the latter half's slope over the first half's is 0.35 for
// a + b ln(1 + t/1h) over 24 h, 0.48 for a 2 h warm-up before a linear leak, 1.0 for a
// linear leak), so that ratio is reported (`steadiness`) but does not decide.
//
// AssessLeak and SplitAtRestarts are the pure core; DetectLeaks and BuildLeaksSection query
// through the engine: sum by (group_by) (leaks.memory) and min by (group_by) (leaks.start_time).
//
// Thread-safety: pure functions of their arguments (the engine is thread-safe).
#pragma once

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/finding.h"
#include "daemon/analytics/leak_options.h"
#include "daemon/analytics/mann_kendall.h"
#include "daemon/analytics/report_document.h"
#include "daemon/analytics/theil_sen.h"

namespace metricsd::analytics {

// Points [begin, end) of a memory series between two restarts.
struct LeakSegment {
  std::size_t begin = 0, end = 0;
  bool operator==(const LeakSegment&) const = default;
};

// The segments of `memory` (ascending; NaN = gap). A restart is a point whose start time (the
// newest `start_times` point at or before it) differs from the previous point's by more than
// half a second, or whose value is below the previous finite value by more than
// `reset_drop_percent`. Segments are never empty.
std::vector<LeakSegment> SplitAtRestarts(std::span<const query::promql::Point> memory,
                                         std::span<const query::promql::Point> start_times,
                                         double reset_drop_percent);

struct LeakAssessment {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::vector<LeakSegment> segments;
  bool tested = false;  // a segment of at least min_duration was found
  LeakSegment segment;  // the one judged
  query::promql::Timestamp segment_start = 0, segment_end = 0;  // ms
  query::promql::Timestamp tested_start = 0;                    // the latter half's first point, ms
  TheilSenFit fit;         // over the latter half; slope in bytes per second
  MannKendallResult test;  // over the latter half's bucket medians
  double median = kNaN;    // bytes, the latter half's median
  double bytes_per_hour = kNaN;
  double percent_per_day = kNaN;  // of the median
  double p = kNaN;                // one-sided (rising)
  // The latter half's Theil-Sen slope over the first half's (NaN when the first half does
  // not rise): about 1 for a linear leak, well under 1 for growth that slows down.
  double steadiness = kNaN;
  bool leak = false;
  std::string reason;
};

LeakAssessment AssessLeak(std::span<const query::promql::Point> memory,
                          std::span<const query::promql::Point> start_times,
                          const LeakOptions& options);

// The finding of an assessment that is a leak (kind "leak"); `group` names the process group.
Finding LeakFinding(const LeakAssessment& assessment, const std::string& group,
                    const query::promql::Labels& labels, query::promql::Timestamp now);

// Every group over [now - leaks.range, now]. Throws std::runtime_error when the memory query
// fails (a failed start time query only loses restart detection by start time, noted).
std::vector<Finding> DetectLeaks(const AnalysisContext& context);

// A table per group (restarts, segment, growth per hour and per day, tau, p, verdict) and a
// chart of memory with the fitted growth and restart markers, over [end - leaks.range, end].
ReportSection BuildLeaksSection(const AnalysisContext& context);

}  // namespace metricsd::analytics
