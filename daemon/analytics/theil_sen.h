// The Theil-Sen line (Theil 1950, Sen 1968): the slope is the median of the slopes between
// every pair of points, the intercept the median of y - slope * x. Robust to outliers (up to
// 29 % of the points) and to non-normal noise, which is why trends and leaks use it instead of
// least squares. The slope's confidence interval is Sen's rank-based one (Hollander & Wolfe),
// whose width comes from the Mann-Kendall variance of S.
//
// Exact: all n(n-1)/2 pairs. Above `max_points` points the series is first reduced to
// max_points bucket medians (contiguous runs of points), which keeps the cost bounded (2,000
// points: 2 million pairs, 16 MB for a moment) and the interval honest for the fewer points.
//
// Thread-safety: pure functions.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

struct TheilSenFit {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double slope = kNaN;        // y per x (per second when x is seconds)
  double intercept = kNaN;    // the fitted y at x == origin
  double origin = 0;          // x of the intercept (the first x: keeps epoch seconds precise)
  double slope_lower = kNaN;  // Sen's confidence interval of the slope (NaN: too few points)
  double slope_upper = kNaN;
  double confidence = 0.95;  // of that interval
  std::size_t n = 0;         // points fitted (after downsampling)
  bool downsampled = false;  // the input had more than max_points finite points

  bool ok() const { return n >= 2 && std::isfinite(slope); }
  double At(double x) const { return intercept + slope * (x - origin); }
};

inline constexpr std::size_t kTheilSenMaxPoints = 2000;

// The fit of y over x (equal lengths; pairs with a non-finite x or y are skipped; pairs of
// points with equal x give no slope). Fewer than 2 usable points: n < 2 and NaN slope.
TheilSenFit TheilSen(std::span<const double> x, std::span<const double> y, double confidence = 0.95,
                     std::size_t max_points = kTheilSenMaxPoints);

// The same over a series: x = seconds since `points`' first timestamp (so the slope is per
// second and origin the first timestamp in seconds), y = values.
TheilSenFit TheilSenSeries(std::span<const query::promql::Point> points, double confidence = 0.95,
                           std::size_t max_points = kTheilSenMaxPoints);

// The fitted level at `t` (ms) of a fit from TheilSenSeries.
double FittedAt(const TheilSenFit& fit, query::promql::Timestamp t);

// `points`' finite points reduced to at most `max_points` by medians of contiguous runs
// (median t, median v); fewer points are returned as they are.
std::vector<query::promql::Point> DownsampleMedians(std::span<const query::promql::Point> points,
                                                    std::size_t max_points);

}  // namespace metricsd::analytics
