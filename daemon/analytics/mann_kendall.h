// The Mann-Kendall trend test (Mann 1945, Kendall 1975): is a series monotonically rising or
// falling, without assuming linearity or normality? S counts concordant minus discordant pairs;
// its variance carries the tie correction, Z the continuity correction, and p comes from the
// normal approximation (good from about n = 10; exact tables are not used).
//
// Serial correlation inflates the significance (neighbouring samples are not independent):
// callers aggregate to bucket medians first (BucketMedians) so neighbours are further apart.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

struct MannKendallResult {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::size_t n = 0;    // finite values tested
  double s = 0;         // sum of sign(y_j - y_i) over i < j
  double var_s = kNaN;  // Var(S) with the tie correction
  double z = kNaN;      // (S -/+ 1) / sqrt(Var(S)); 0 when S == 0
  double p_two_sided = kNaN;
  double p_increasing = kNaN;  // one-sided: H1 "rising"
  double p_decreasing = kNaN;  // one-sided: H1 "falling"
  double tau = kNaN;           // Kendall's tau-a: S / (n (n - 1) / 2)

  // The one-sided p in the direction asked for.
  double p(bool increasing) const { return increasing ? p_increasing : p_decreasing; }
};

// The test over `values` in time order; NaN and infinities are skipped (gaps). Fewer than 3
// finite values give n < 3 and NaN p-values.
MannKendallResult MannKendall(std::span<const double> values);

// Var(S) of n values with tie groups of the given sizes:
// (n(n-1)(2n+5) - sum t(t-1)(2t+5)) / 18.
double MannKendallVariance(std::size_t n, std::span<const std::size_t> tie_groups);
// Var(S) of these (finite) values, their ties found by sorting a copy; Theil-Sen's slope
// interval takes its width from the same variance.
double MannKendallVariance(std::span<const double> values);

// The autocorrelation guard: the median value of each time bucket [k*bucket, (k+1)*bucket)
// (ms, aligned to the epoch) at the bucket's middle; buckets without a finite value are
// dropped. bucket_ms <= 0 returns the finite points unchanged.
std::vector<query::promql::Point> BucketMedians(std::span<const query::promql::Point> points,
                                                std::int64_t bucket_ms);

}  // namespace metricsd::analytics
