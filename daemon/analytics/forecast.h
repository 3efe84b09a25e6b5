// Forecasts: Holt-Winters (holt_winters.h) over a series' history, with a prediction interval
// and the accuracy the same method had on this very history (back-test: the last part held
// out, the rest fitted, the held-out part forecast and compared), shown beside every forecast.
// ForecastPoints is the pure part; ForecastExpr queries through the engine (the scaling
// advisor and capacity runway call it too); BuildForecastsSection is the report's section.
//
// Thread-safety: pure functions, and functions of an AnalysisContext whose engine is
// thread-safe; nothing is shared between calls.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/forecast_options.h"
#include "daemon/analytics/report_document.h"
#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

struct ForecastResult {
  promql::Labels labels;  // the series (without __name__)
  std::int64_t step_ms = 0;
  // The values fitted, one per step from the first point to the last (NaN: a gap, imputed
  // with the model's own one-step prediction).
  std::vector<promql::Point> history;
  // From one step after the last history point to the horizon: the point forecast and the
  // prediction interval at `interval`.
  std::vector<promql::Point> predicted, lower, upper;
  double interval = 0.95;
  // Back-test on the history: mean absolute percentage error of the held-out part (actual
  // values of 0 skipped), and the share of held-out values inside the interval.
  double mape = std::numeric_limits<double>::quiet_NaN();
  double coverage = std::numeric_limits<double>::quiet_NaN();
  std::size_t backtest_points = 0;  // held out (0: history too short to back-test)
  std::string model;                // DescribeModel: method, season, damping
  int season = 0;                   // steps; 0: none
  double alpha = 0, beta = 0, gamma = 0, phi = 1;
  double sigma = std::numeric_limits<double>::quiet_NaN();  // one-step residual sd
  double fit_ms = 0;  // wall time of the fit and the back-test
  std::string error;  // set (and the rest empty) when there is too little data

  bool ok() const { return error.empty(); }
  // The newest finite history value, or NaN.
  double Latest() const;
};

// Forecasts `points` (ascending, `step_ms` apart, missing steps allowed) `horizon_ms` past the
// last one. Needs 3 finite values.
ForecastResult ForecastPoints(const promql::Labels& labels, std::span<const promql::Point> points,
                              std::int64_t step_ms, std::int64_t horizon_ms,
                              const ForecastOptions& options);

// A range query of `expr` over `forecast.history` before `now` at `forecast.step`, each result
// series forecast `horizon` ahead. On a query error: empty, with `*error` set (if given).
// `max_series` > 0: only that many series are fitted, those with the highest latest values
// (the lowest with `lowest`), in that order; 0: every series, in the query's order.
std::vector<ForecastResult> ForecastExpr(const AnalysisContext& context, const std::string& expr,
                                         Timestamp now, Duration horizon, std::string* error,
                                         std::size_t max_series = 0, bool lowest = false);

// Per watch of a kind in forecast.kinds, its `max_series` series with the worst latest value
// (highest, or lowest for a watch where lower is worse): a chart (history, forecast, interval band,
// the watch's threshold) and a table row with the back-test's MAPE and coverage beside the
// forecast.
ReportSection BuildForecastsSection(const AnalysisContext& context);

}  // namespace metricsd::analytics
