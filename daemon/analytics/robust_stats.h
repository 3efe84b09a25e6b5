// Order statistics every method shares: median, quantiles, the median absolute deviation, mean
// and standard deviation, over plain values. NaN values are skipped (a gap or a staleness
// marker is not an observation); an empty input gives NaN.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <vector>

#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

// The finite values of `points` (NaN and infinities dropped), in time order.
std::vector<double> FiniteValues(std::span<const query::promql::Point> points);
// The finite values of `values`, in order.
std::vector<double> FiniteValues(std::span<const double> values);

// The q-quantile (0 <= q <= 1) by linear interpolation between closest ranks (R's type 7,
// numpy's default, Prometheus's quantile_over_time).
double Quantile(std::span<const double> values, double q);
double Median(std::span<const double> values);
// Median absolute deviation from the median, unscaled (multiply by 1.4826 for a normal sigma).
double Mad(std::span<const double> values);
inline constexpr double kMadToSigma = 1.4826;
double Mean(std::span<const double> values);
// Sample standard deviation (n - 1); NaN below two values.
double StdDev(std::span<const double> values);

}  // namespace metricsd::analytics
