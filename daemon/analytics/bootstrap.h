// Percentile bootstrap confidence intervals for the change of a statistic (median or mean)
// between two samples, "before" and "after": the difference (after - before) and the ratio
// (after / before). Each resample draws both samples again with replacement; the interval is
// the (1-c)/2 and (1+c)/2 quantiles of the resampled differences (Efron's percentile method).
//
// Time series are autocorrelated, and resampling single points of such a series makes the
// interval too narrow; with `block` > 1 the draws are moving blocks of that many consecutive
// points (Künsch's moving block bootstrap), which keeps short-range dependence. Impact analysis
// uses a block of about n^(1/3) points.
//
//   BootstrapOptions options;  // median, 1000 resamples, 95 %
//   BootstrapResult r = BootstrapChange(before, after, options);
//   bool significant = r.difference_low > 0 || r.difference_high < 0;
//
// Thread-safety: pure functions (the RNG is local, seeded from the options).
#pragma once

#include <cstdint>
#include <limits>
#include <span>

namespace metricsd::analytics {

enum class BootstrapStatistic { kMedian, kMean };

struct BootstrapOptions {
  BootstrapStatistic statistic = BootstrapStatistic::kMedian;
  std::int64_t resamples = 1000;  // clamped to [10, kMaxBootstrapResamples]
  double confidence = 0.95;       // clamped to [0.5, 0.9999]
  std::uint64_t seed = 1;         // the same seed, the same interval
  std::int64_t block = 1;         // points per drawn block; 1: the ordinary bootstrap
};

inline constexpr std::int64_t kMaxBootstrapResamples = 100000;
// Each sample is used up to this many values (the newest ones): bounds a resample's cost.
inline constexpr std::size_t kMaxBootstrapSample = 100000;

// NaN where undefined (an empty sample; the ratio when the before statistic is 0).
struct BootstrapResult {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double before = kNaN, after = kNaN;  // the statistic of each sample as given
  double difference = kNaN;            // after - before
  double difference_low = kNaN, difference_high = kNaN;
  double ratio = kNaN;                 // after / before
  double ratio_low = kNaN, ratio_high = kNaN;
  std::int64_t resamples = 0;          // drawn
  bool valid() const { return resamples > 0; }
  // The difference interval excludes 0.
  bool significant() const { return difference_low > 0 || difference_high < 0; }
};

// Non-finite values are dropped first. Invalid (resamples 0) when a sample has no value.
BootstrapResult BootstrapChange(std::span<const double> before, std::span<const double> after,
                                const BootstrapOptions& options);

// The moving-block length impact analysis uses for a sample of n points: round(n^(1/3)), at
// least 1.
std::int64_t DefaultBlockLength(std::size_t n);

}  // namespace metricsd::analytics
