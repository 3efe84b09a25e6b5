#include "daemon/analytics/mann_kendall.h"

#include <algorithm>
#include <cmath>

#include "daemon/analytics/normal_distribution.h"
#include "daemon/analytics/robust_stats.h"

namespace metricsd::analytics {
namespace {

// Sizes of the groups of equal values (only groups of 2 or more matter to the variance).
std::vector<std::size_t> TieGroups(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::vector<std::size_t> groups;
  for (std::size_t i = 0; i < values.size();) {
    std::size_t j = i + 1;
    while (j < values.size() && values[j] == values[i]) ++j;
    if (j - i > 1) groups.push_back(j - i);
    i = j;
  }
  return groups;
}

}  // namespace

double MannKendallVariance(std::size_t n, std::span<const std::size_t> tie_groups) {
  const auto v = [](std::size_t k) {
    const double t = static_cast<double>(k);
    return t * (t - 1) * (2 * t + 5);
  };
  double var = v(n);
  for (std::size_t t : tie_groups) var -= v(t);
  return var / 18.0;
}

double MannKendallVariance(std::span<const double> values) {
  return MannKendallVariance(values.size(), TieGroups({values.begin(), values.end()}));
}

MannKendallResult MannKendall(std::span<const double> values) {
  const std::vector<double> y = FiniteValues(values);
  MannKendallResult result;
  result.n = y.size();
  if (y.size() < 3) return result;
  std::int64_t s = 0;
  for (std::size_t i = 0; i + 1 < y.size(); ++i) {
    for (std::size_t j = i + 1; j < y.size(); ++j) s += (y[j] > y[i]) - (y[j] < y[i]);
  }
  result.s = static_cast<double>(s);
  result.var_s = MannKendallVariance(y);
  const double n = static_cast<double>(y.size());
  result.tau = result.s / (n * (n - 1) / 2);
  if (!(result.var_s > 0)) {  // every value equal: no evidence either way
    result.z = 0;
    result.p_two_sided = result.p_increasing = result.p_decreasing = 1;
    return result;
  }
  const double sd = std::sqrt(result.var_s);
  result.z = s > 0 ? (result.s - 1) / sd : s < 0 ? (result.s + 1) / sd : 0.0;
  result.p_two_sided = std::min(1.0, 2 * normal::UpperTail(std::fabs(result.z)));
  result.p_increasing = normal::UpperTail(result.z);
  result.p_decreasing = normal::UpperTail(-result.z);
  return result;
}

std::vector<query::promql::Point> BucketMedians(std::span<const query::promql::Point> points,
                                                std::int64_t bucket_ms) {
  std::vector<query::promql::Point> out;
  if (bucket_ms <= 0) {
    for (const auto& p : points) {
      if (std::isfinite(p.v)) out.push_back(p);
    }
    return out;
  }
  const auto bucket_of = [bucket_ms](query::promql::Timestamp t) {
    // Floor division, so times before the epoch bucket consistently too.
    return t >= 0 ? t / bucket_ms : -((-t + bucket_ms - 1) / bucket_ms);
  };
  std::vector<double> values;
  for (std::size_t i = 0; i < points.size();) {
    const std::int64_t bucket = bucket_of(points[i].t);
    values.clear();
    std::size_t j = i;
    for (; j < points.size() && bucket_of(points[j].t) == bucket; ++j) {
      if (std::isfinite(points[j].v)) values.push_back(points[j].v);
    }
    if (!values.empty()) out.push_back({bucket * bucket_ms + bucket_ms / 2, Median(values)});
    i = j;
  }
  return out;
}

}  // namespace metricsd::analytics
