#include "daemon/analytics/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "daemon/analytics/robust_stats.h"

namespace metricsd::analytics {
namespace {

std::vector<double> Finite(std::span<const double> values) {
  std::vector<double> out;
  out.reserve(std::min(values.size(), kMaxBootstrapSample));
  // The newest values when there are too many (samples are in time order).
  const std::size_t first = values.size() > kMaxBootstrapSample ? values.size() - kMaxBootstrapSample : 0;
  for (std::size_t i = first; i < values.size(); ++i) {
    if (std::isfinite(values[i])) out.push_back(values[i]);
  }
  return out;
}

double Statistic(std::span<const double> values, BootstrapStatistic statistic) {
  return statistic == BootstrapStatistic::kMean ? Mean(values) : Median(values);
}

// The median of a resample, reordering it: the hot loop's statistic. robust_stats' Median
// copies and sorts; selection in place is several times faster, and gives the same value (the
// mean of the two middle values for an even count, as type 7 does). `values` are finite.
double MedianInPlace(std::vector<double>& values) {
  const std::size_t n = values.size();
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (n % 2 == 1) return *middle;
  return (*std::max_element(values.begin(), middle) + *middle) / 2;
}

double ResampledStatistic(std::vector<double>& values, BootstrapStatistic statistic) {
  return statistic == BootstrapStatistic::kMean ? Mean(values) : MedianInPlace(values);
}

// One resample of `sample` into `out` (same size), blocks of `block` consecutive values starting
// anywhere (moving blocks), the last block cut to fit.
void Resample(const std::vector<double>& sample, std::size_t block, std::mt19937_64& rng, std::vector<double>& out) {
  out.clear();
  const std::size_t n = sample.size();
  block = std::clamp<std::size_t>(block, 1, n);
  std::uniform_int_distribution<std::size_t> start(0, n - block);
  while (out.size() < n) {
    const std::size_t s = start(rng);
    for (std::size_t i = 0; i < block && out.size() < n; ++i) out.push_back(sample[s + i]);
  }
}

}  // namespace

std::int64_t DefaultBlockLength(std::size_t n) {
  return std::max<std::int64_t>(1, std::llround(std::cbrt(static_cast<double>(n))));
}

BootstrapResult BootstrapChange(std::span<const double> before_values, std::span<const double> after_values,
                                const BootstrapOptions& options) {
  BootstrapResult result;
  const std::vector<double> before = Finite(before_values), after = Finite(after_values);
  if (before.empty() || after.empty()) return result;
  result.before = Statistic(before, options.statistic);
  result.after = Statistic(after, options.statistic);
  result.difference = result.after - result.before;
  result.ratio = result.before != 0 ? result.after / result.before : BootstrapResult::kNaN;

  const std::int64_t resamples = std::clamp<std::int64_t>(options.resamples, 10, kMaxBootstrapResamples);
  const double confidence = std::clamp(options.confidence, 0.5, 0.9999);
  const auto block = static_cast<std::size_t>(std::max<std::int64_t>(1, options.block));
  std::mt19937_64 rng(options.seed);
  std::vector<double> differences, ratios, draw_before, draw_after;
  differences.reserve(static_cast<std::size_t>(resamples));
  ratios.reserve(static_cast<std::size_t>(resamples));
  for (std::int64_t i = 0; i < resamples; ++i) {
    Resample(before, block, rng, draw_before);
    Resample(after, block, rng, draw_after);
    const double b = ResampledStatistic(draw_before, options.statistic);
    const double a = ResampledStatistic(draw_after, options.statistic);
    differences.push_back(a - b);
    if (b != 0) ratios.push_back(a / b);
  }
  std::sort(differences.begin(), differences.end());
  std::sort(ratios.begin(), ratios.end());
  const double low_q = (1 - confidence) / 2, high_q = 1 - low_q;
  result.difference_low = Quantile(differences, low_q);
  result.difference_high = Quantile(differences, high_q);
  // The ratio's interval only when (nearly) every resample had a non-zero before statistic.
  if (ratios.size() * 100 >= differences.size() * 99) {
    result.ratio_low = Quantile(ratios, low_q);
    result.ratio_high = Quantile(ratios, high_q);
  }
  result.resamples = resamples;
  return result;
}

}  // namespace metricsd::analytics
