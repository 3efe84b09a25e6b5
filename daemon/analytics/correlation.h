// Correlation (30.4.6) between technical watches and player-satisfaction signals: Pearson's r
// (linear) and Spearman's rho (monotone: Pearson over ranks, ties given their average rank),
// searched over lags, with a two-sided p-value from the t approximation
// t = r * sqrt((n - 2) / (1 - r^2)) with n - 2 degrees of freedom (exact for Pearson under
// bivariate normality, the usual large-sample approximation for Spearman), Bonferroni-adjusted
// for the number of lags tried (p * lags, at most 1). Correlation is not causation; series with
// a shared daily rhythm correlate without causing each other.
//
// Lag convention: lag L pairs x[i] with y[i + L], so L > 0 means y (satisfaction) follows x
// (the technical watch) by L steps.
//
// Thread-safety: pure functions, except CorrelateWatches (the engine is thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "daemon/analytics/query_engine.h"
#include "daemon/analytics/watch.h"

namespace metricsd::analytics {

// Over equal-length finite values; NaN below 3 pairs or when either side is constant.
double Pearson(std::span<const double> x, std::span<const double> y);
// 1-based ranks, ties sharing their average rank.
std::vector<double> Ranks(std::span<const double> values);
double Spearman(std::span<const double> x, std::span<const double> y);
// Two-sided p-value of a correlation `r` over `n` pairs (t approximation, n - 2 df); NaN below
// 3 pairs.
double CorrelationPValue(double r, std::size_t n);
// The regularized incomplete beta function I_x(a, b) (the Student t tail rests on it).
double RegularizedIncompleteBeta(double a, double b, double x);

struct Pairs {
  std::vector<double> x, y;
};
// The points of `a` and `b` at equal timestamps (inner join), pairs with NaN dropped.
Pairs InnerJoin(std::span<const promql::Point> a, std::span<const promql::Point> b);
// `points` on the grid start + k * step (k < n), NaN where a step has no point.
std::vector<double> OnGrid(std::span<const promql::Point> points, Timestamp start,
                           std::int64_t step_ms, std::size_t n);

struct LagCorrelation {
  int lag = 0;            // steps, see the lag convention above
  std::size_t n = 0;      // pairs at that lag
  double pearson = 0, spearman = 0;  // NaN when not computable
  double p_value = 0;     // of spearman at that lag, unadjusted
  double p_adjusted = 0;  // Bonferroni: p_value * lags_tried, at most 1
  int lags_tried = 0;     // lags with at least min_pairs pairs
};
// Tries every lag in -max_lag..max_lag over grid-aligned series (NaN = missing) and keeps the
// one with the largest |Spearman| (ties: the smaller |lag|). Lags with fewer than `min_pairs`
// finite pairs are skipped. lags_tried == 0 when no lag had enough pairs.
LagCorrelation SearchLag(std::span<const double> x, std::span<const double> y, int max_lag,
                         std::size_t min_pairs = 10);

// One technical series against one satisfaction series.
struct CorrelationPair {
  std::string technical, satisfaction;                 // watch names
  promql::Labels technical_labels, satisfaction_labels;  // the series (no __name__)
  LagCorrelation result;
  std::int64_t lag_ms = 0;
};
struct CorrelationRun {
  std::vector<CorrelationPair> pairs;  // sorted by |spearman| descending
  std::vector<std::string> errors;     // "watch: message" for each failed query
  bool truncated = false;              // kMaxCorrelationPairs was reached
};
inline constexpr std::size_t kMaxCorrelationPairs = 400;

// Each non-satisfaction watch's series against each satisfaction watch's series over
// [start, end] at `step_ms`, lags up to `max_lag_steps`.
CorrelationRun CorrelateWatches(QueryEngine& engine, const std::vector<Watch>& watches,
                                Timestamp start, Timestamp end, std::int64_t step_ms,
                                int max_lag_steps);

}  // namespace metricsd::analytics
