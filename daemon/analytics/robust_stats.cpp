#include "daemon/analytics/robust_stats.h"
#include "daemon/analytics/numbers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace metricsd::analytics {
namespace {


std::vector<double> Finite(std::span<const double> values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values) {
    if (!std::isnan(v)) out.push_back(v);
  }
  return out;
}

// The q-quantile of `values` (NaN-free), reordering them: selection, not a sort, since every
// method asks for medians and MADs of thousands of windows (a report replays detection over
// a day), and selection is linear.
double SelectQuantile(std::vector<double>& values, double q) {
  if (values.empty() || std::isnan(q)) return kNaN;
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(values.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(rank));
  const double weight = rank - static_cast<double>(lower);
  auto nth = values.begin() + static_cast<std::ptrdiff_t>(lower);
  std::nth_element(values.begin(), nth, values.end());
  const double low = *nth;
  if (weight == 0 || lower + 1 >= values.size()) return low;
  // The next order statistic is the smallest of what selection put after the lower one.
  const double high = *std::min_element(nth + 1, values.end());
  return low + (high - low) * weight;
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

std::vector<double> FiniteValues(std::span<const double> values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values) {
    if (std::isfinite(v)) out.push_back(v);
  }
  return out;
}

double Quantile(std::span<const double> values, double q) {
  std::vector<double> finite = Finite(values);
  return SelectQuantile(finite, q);
}

double Median(std::span<const double> values) { return Quantile(values, 0.5); }

double Mad(std::span<const double> values) {
  std::vector<double> finite = Finite(values);
  const double median = SelectQuantile(finite, 0.5);
  if (std::isnan(median)) return kNaN;
  for (double& v : finite) v = std::fabs(v - median);
  return SelectQuantile(finite, 0.5);
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
