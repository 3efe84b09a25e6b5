// Regression detection: is a watched series worse now than its baseline says it should be?
// For each series the recent window (regression.window at regression.step) is compared with
// the same hour-of-week windows of the previous baseline.weeks weeks (or, for a flat baseline,
// the day before the window), both season-adjusted by the baseline's expected value
// (ratio = value / Expected(t)):
//   - a two-sided tabular CUSUM on the ratios, centred on the reference median, scaled by
//     1.4826 x the reference MAD and clipped at 4 (one outlier is not a shift), finds an
//     ongoing level shift in the worse direction and when it began;
//   - a one-sided Mann-Whitney U test of the ratios since that start against the reference
//     confirms it at regression.alpha (its p Bonferroni-adjusted over the starts the CUSUM
//     could have picked, since it picked the worst-looking one);
//   - the shift's magnitude (median ratio since the start over the reference median, in percent)
//     must reach regression.min_change.
// All three agreeing makes a finding of kind "regression".
//
// The pure layer (RatiosAgainst, ReferenceWindow, AnalyzeSeries) works on points; the rest
// queries through the context's engine.
//
// Thread-safety: pure or reentrant functions (the engine and the database are thread-safe).
#pragma once

#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/baseline.h"
#include "daemon/analytics/finding.h"
#include "daemon/analytics/regression_options.h"
#include "daemon/analytics/report_document.h"
#include "daemon/analytics/watch.h"

namespace metricsd::analytics {

// What AnalyzeSeries found for one series at one evaluation, regression or not.
struct RegressionAnalysis {
  bool regression = false;
  // Why not, when not ("no ongoing shift in the worse direction", "p=0.02 >= alpha", ...).
  std::string reason;
  Timestamp start = 0;          // first point of the shifted level (CUSUM), ms
  Timestamp alarm = 0;          // where the CUSUM reached h, ms
  std::size_t cusum_index = 0;  // index of `start` in the recent points
  // Signed percent change of the median since `start` against the reference, positive = worse.
  double magnitude = std::numeric_limits<double>::quiet_NaN();
  // One-sided Mann-Whitney p-value in the worse direction, U, z, and the effect size oriented
  // the same way (probability that a value since the start is worse than a reference one).
  double p = std::numeric_limits<double>::quiet_NaN();
  double u = std::numeric_limits<double>::quiet_NaN();
  double z = std::numeric_limits<double>::quiet_NaN();
  double effect = std::numeric_limits<double>::quiet_NaN();
  double sigma = std::numeric_limits<double>::quiet_NaN();  // of the ratios (CUSUM scale)
  // Medians in the watch's unit: the baseline's expected values and the values since `start`.
  double baseline_median = std::numeric_limits<double>::quiet_NaN();
  double recent_median = std::numeric_limits<double>::quiet_NaN();
  std::size_t recent_points = 0, reference_points = 0;  // finite ratios compared

  nlohmann::json ToJson() const;
};

// value / baseline.Expected(t) for each point; NaN where either is not finite or the expected
// value is not positive (a relative change is then undefined).
std::vector<double> RatiosAgainst(const Baseline& baseline, std::span<const promql::Point> points);

// The points of `history` (ascending) in the windows (t - k*week - window, t - k*week] for
// k = 1..weeks: the same hours of the week as the window ending at `t`.
std::vector<promql::Point> ReferenceWindow(std::span<const promql::Point> history, Timestamp t,
                                           Timestamp window, std::int64_t weeks);

// The points of `history` (ascending) in (from, to].
std::span<const promql::Point> Slice(std::span<const promql::Point> history, Timestamp from,
                                     Timestamp to);

// The test for one series: `recent` the window under test (ascending), `reference` what it is
// compared with (the same hours in earlier weeks, or the day before the window for a flat
// baseline). Never throws; NaN and gaps are skipped.
RegressionAnalysis AnalyzeSeries(const Baseline& baseline, std::span<const promql::Point> recent,
                                 std::span<const promql::Point> reference, bool higher_is_worse,
                                 const RegressionOptions& options);

// The finding of a positive analysis: severity "critical" when the magnitude is at least
// 3 x regression.min_change or the recent median is past the watch's threshold, else
// "warning"; confidence 1 - p.
Finding MakeRegressionFinding(const Watch& watch, const promql::Labels& labels,
                              const RegressionAnalysis& analysis, Timestamp detected,
                              const RegressionOptions& options);

// Every watch's series at context.now against its baseline (BaselinesFor: stored ones reused).
// A watch whose queries fail is skipped; when every watch fails, throws std::runtime_error
// naming the failures (DetectAll reports it). Bad data never throws.
std::vector<Finding> DetectRegressions(const AnalysisContext& context);
// The same, with the failures in *errors instead of thrown.
std::vector<Finding> DetectRegressions(const AnalysisContext& context,
                                       std::vector<std::string>* errors);

// The report's "regressions" section: detection replayed every regression.window over
// [context.start, context.end] against baselines ending at context.start, one finding per
// episode, a chart per finding (the series, its baseline median..p90 band, a marker at the
// start).
ReportSection BuildRegressionsSection(const AnalysisContext& context);

}  // namespace metricsd::analytics
