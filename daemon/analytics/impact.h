// Impact analysis (30.2.8, 30.4.5): for an annotation (a deploy, an optimization), every watch
// before against after it. The windows are [time - impact.before, time) and
// [time_end + impact.settle, time_end + impact.settle + impact.after] (cut at now), read by
// range queries at impact.step. Per series and per watch (the median across its series at each
// step) the medians of both windows are compared with a moving-block bootstrap interval of the
// change; the verdict follows the watch's direction:
//   "improved" / "worse":    the interval of the difference excludes 0 and the change is at
//                            least impact.min_change percent;
//   "no significant change": otherwise;
//   "insufficient data":     fewer than impact.min_points points in a window.
// Results are stored per annotation (AnalyticsDb::PutImpact) when a database is given.
//
// Assumptions: the windows differ only by the annotated change (other changes in them, and
// load or seasonality that differs between them, are attributed to it: equal windows of a
// whole day or week cancel daily or weekly seasonality); autocorrelation is short compared
// with the block length (about n^(1/3) steps).
//
// Thread-safety: pure functions over their arguments; the engine and database are thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/annotation.h"
#include "daemon/analytics/impact_options.h"
#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

// The two windows compared around an annotation (ms, inclusive start, exclusive end for
// `before`, inclusive both ends for `after`).
struct ImpactWindows {
  Timestamp before_start = 0, before_end = 0;
  Timestamp after_start = 0, after_end = 0;
  bool after_complete = false;  // the whole after window has passed (not cut at now)
};
ImpactWindows WindowsFor(const Annotation& annotation, const ImpactOptions& options, Timestamp now);

inline constexpr char kImproved[] = "improved";
inline constexpr char kWorse[] = "worse";
inline constexpr char kNoChange[] = "no significant change";
inline constexpr char kInsufficient[] = "insufficient data";

// One before/after comparison (a series or a watch's aggregate).
struct Comparison {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::size_t before_points = 0, after_points = 0;
  double before_median = kNaN, after_median = kNaN;
  double change_percent = kNaN;                  // (after / before - 1) * 100
  double change_low = kNaN, change_high = kNaN;  // its bootstrap interval, percent
  double difference_low = kNaN, difference_high = kNaN;  // of after - before, in the unit
  std::string verdict = kInsufficient;
};

// The pure comparison of two windows' values (NaN skipped). `seed` fixes the bootstrap.
Comparison CompareWindows(std::span<const double> before, std::span<const double> after, bool higher_is_worse,
                          const ImpactOptions& options, std::uint64_t seed);

// Bootstrap resamples of each series' comparison (a watch's aggregate gets impact.resamples):
// a report compares up to max_series series per watch, and 200 resamples bound their 95 %
// interval's end points within a few percent of the interval's width, at a fifth of the cost.
inline constexpr std::int64_t kSeriesResamples = 200;

// A watch's comparison, with its series (the largest changes first, at most max_series).
struct WatchImpact {
  std::string watch;
  std::string unit;
  bool higher_is_worse = true;
  Comparison aggregate;  // the median across series at each step
  struct SeriesImpact {
    std::string labels;  // {a="1", ...} without __name__
    Comparison comparison;
  };
  std::vector<SeriesImpact> series;
  std::size_t series_total = 0;  // before the max_series cut
  std::vector<query::promql::Point> aggregate_points;  // for the chart, both windows and between
  std::string error;  // the query failed (then nothing else is set)
};

struct ImpactResult {
  Annotation annotation;
  ImpactWindows windows;
  Timestamp computed_at = 0;
  std::vector<WatchImpact> watches;
};

// Compares every watch of context.config around `annotation`. Never throws for bad data.
ImpactResult ComputeImpact(const AnalysisContext& context, const Annotation& annotation);
nlohmann::json ImpactToJson(const ImpactResult& result);

// ComputeImpact as JSON, stored with PutImpact when context.db is set and the annotation has an
// id (a failed store adds "store_error" rather than throwing):
//   {"annotation": {...}, "computed_at": ms, "windows": {"before": [ms, ms], "after": [ms, ms],
//    "after_complete": bool}, "watches": [{"watch", "unit", "direction", "before_median",
//    "after_median", "change_percent", "change_ci": [lo, hi], "difference_ci": [lo, hi],
//    "verdict", "before_points", "after_points", "series_total", "series": [{"labels", ...}],
//    "error"?}]}
nlohmann::json ImpactOf(const AnalysisContext& context, const Annotation& annotation);

// The medians of the per-step sum of `expr`'s series in each window: what ROI prices.
// NaN when a window has no point; `error` set (and both NaN) when the query fails.
struct WindowMedians {
  double before = Comparison::kNaN, after = Comparison::kNaN;
  std::string error;
};
WindowMedians SummedWindowMedians(QueryEngine& engine, const std::string& expr, const ImpactWindows& windows,
                                  std::int64_t step_ms);

// The "impact" section: each annotation in [context.start, context.end] (the newest
// impact.max_annotations) with a table of every watch and a chart of the watch that changed
// most, its annotation marked.
ReportSection BuildImpactSection(const AnalysisContext& context);

// The annotations in [context.start, context.end] (those tagged `tag` when it is not empty; the
// newest `max`), oldest first, for the impact and ROI sections. False when there are none to
// show, with `section` told why: a paragraph (no database, none in the range) or its error.
bool SectionAnnotations(const AnalysisContext& context, const std::string& tag, std::int64_t max,
                        ReportSection& section, std::vector<Annotation>* out);

}  // namespace metricsd::analytics
