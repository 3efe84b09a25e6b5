// The two-sample Mann-Whitney U test (Wilcoxon rank-sum): does one sample tend to hold larger
// values than the other, without assuming any distribution? Regression detection uses it to
// compare a recent window with its baseline.
//
// Ties get average ranks and the variance its tie correction; p-values come from the normal
// approximation with a continuity correction (scipy.stats.mannwhitneyu's method="asymptotic",
// use_continuity=True). The exact distribution is not computed: above ~20 values per sample
// the approximation is within a few 1e-3 of it, and the callers test 10 values and more.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <span>

namespace metricsd::analytics {

struct MannWhitneyResult {
  std::size_t n_a = 0, n_b = 0;  // finite values used (NaN dropped)
  double u = 0;                  // U of sample A: pairs (a, b) with a > b, ties counting 1/2
  double z = 0;                  // (U - mean) / sd, without continuity correction
  double p_greater = 1;          // one-sided: A tends to be larger than B
  double p_less = 1;             // one-sided: A tends to be smaller than B
  double p_two_sided = 1;
  // The common-language effect size: P(a > b) + P(a == b) / 2 = U / (n_a n_b).
  double effect = 0.5;
  bool valid() const { return n_a > 0 && n_b > 0; }
};

// NaN values are not observations and are dropped. With an empty sample (or all values
// equal) the result says nothing: p-values 1, effect 0.5.
MannWhitneyResult MannWhitney(std::span<const double> a, std::span<const double> b);

}  // namespace metricsd::analytics
