#include "daemon/analytics/robust_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace metricsd::analytics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> SortedFinite(std::span<const double> values) {
  std::vector<double> sorted;
  sorted.reserve(values.size());
  for (double v : values) {
    if (!std::isnan(v)) sorted.push_back(v);
  }
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

double SortedQuantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty() || std::isnan(q)) return kNaN;
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(sorted.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(rank));
  const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double weight = rank - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * weight;
}

}  // namespace

std::vector<double> FiniteValues(std::span<const query::promql::Point> points) {
  std::vector<double> values;
  values.reserve(points.size());
  for (const auto& point : points) {
    if (std::isfinite(point.v)) values.push_back(point.v);
  }
  return values;
}

double Quantile(std::span<const double> values, double q) {
  return SortedQuantile(SortedFinite(values), q);
}

double Median(std::span<const double> values) { return Quantile(values, 0.5); }

double Mad(std::span<const double> values) {
  const std::vector<double> sorted = SortedFinite(values);
  const double median = SortedQuantile(sorted, 0.5);
  if (std::isnan(median)) return kNaN;
  std::vector<double> deviations;
  deviations.reserve(sorted.size());
  for (double v : sorted) deviations.push_back(std::fabs(v - median));
  std::sort(deviations.begin(), deviations.end());
  return SortedQuantile(deviations, 0.5);
}

double Mean(std::span<const double> values) {
  double sum = 0;
  std::size_t n = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++n;
  }
  return n == 0 ? kNaN : sum / static_cast<double>(n);
}

double StdDev(std::span<const double> values) {
  const double mean = Mean(values);
  double squares = 0;
  std::size_t n = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    squares += (v - mean) * (v - mean);
    ++n;
  }
  return n < 2 ? kNaN : std::sqrt(squares / static_cast<double>(n - 1));
}

}  // namespace metricsd::analytics
