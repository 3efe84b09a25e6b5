// Gradual degradation (story 30.1.8): per watch and series, a Theil-Sen slope over the last
// trends.range, confirmed by a one-sided Mann-Kendall test in the watch's worse direction.
// With a threshold, a significant slope whose fitted line reaches it within trends.horizon
// while the current fitted level is still on the good side is a "degradation" finding: an
// early warning before the level is critical. Without a threshold, a significant change over
// the range of at least trends.min_change percent of the series' median is one.
//
// AssessTrend is the pure core (tested on synthetic series); DetectTrends and
// BuildTrendsSection query each watch through the engine and call it.
//
// Thread-safety: pure functions of their arguments (the engine is thread-safe).
#pragma once

#include <limits>
#include <span>
#include <string>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/finding.h"
#include "daemon/analytics/mann_kendall.h"
#include "daemon/analytics/report_document.h"
#include "daemon/analytics/theil_sen.h"
#include "daemon/analytics/trend_options.h"
#include "daemon/analytics/watch.h"

namespace metricsd::analytics {

struct TrendAssessment {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  TheilSenFit fit;         // over the series; slope per second, CI at 1 - 2 alpha
  MannKendallResult test;  // over the (bucketed) values
  double median = kNaN;    // the series' median level: the reference of the percentages
  double level = kNaN;     // the fitted level at `now`
  double slope_per_day = kNaN;
  // Signed, positive = worse (per the watch's direction): the slope per day, and the change
  // over the data's span, in percent of |median|; NaN when the median is 0.
  double change_percent_per_day = kNaN;
  double change_percent_range = kNaN;
  double p = kNaN;           // one-sided Mann-Kendall p in the worse direction
  bool significant = false;  // p < alpha and the slope points the worse way
  bool crossed = false;      // the fitted level at `now` is already at or past the threshold
  // Unix seconds when the fitted line reaches the threshold (moving the worse way, not yet
  // crossed; whether or not within the horizon); NaN otherwise.
  double eta = kNaN;
  bool degradation = false;  // a finding
  std::string reason;        // why it is (or is not) a finding, for the report
};

// Fewer finite points than this (after bucketing) are not judged.
inline constexpr std::size_t kTrendMinPoints = 10;

// Judges one series' points (ascending; NaN = gap) against `watch` at time `now` (ms).
TrendAssessment AssessTrend(std::span<const query::promql::Point> points, const Watch& watch,
                            const TrendOptions& options, query::promql::Timestamp now);

// The finding of an assessment that is a degradation (kind "degradation").
Finding TrendFinding(const TrendAssessment& assessment, const Watch& watch,
                     const query::promql::Labels& labels, query::promql::Timestamp start,
                     query::promql::Timestamp now);

// Every watch's series over [now - trends.range, now]. A watch whose query fails is skipped;
// when every watch's query fails, throws std::runtime_error naming the first error.
std::vector<Finding> DetectTrends(const AnalysisContext& context);

// Per watch a table (series, slope per day, change, tau, p, crossing ETA, verdict) and a chart
// (data, fitted lines, threshold) over [end - trends.range, end].
ReportSection BuildTrendsSection(const AnalysisContext& context);

}  // namespace metricsd::analytics
