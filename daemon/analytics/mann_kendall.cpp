#include "daemon/analytics/mann_kendall.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "daemon/analytics/robust_stats.h"

namespace metricsd::analytics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

namespace normal {

double UpperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

double Quantile(double p) {
  if (!(p > 0 && p < 1)) return kNaN;
  // Acklam's coefficients (central and tail regions).
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step against the exact CDF (erfc) takes the error from 1e-9 to about 1e-15.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

}  // namespace normal

MannKendallResult MannKendall(std::span<const double> values) {
  std::vector<double> y;
  y.reserve(values.size());
  for (double v : values) {
    if (std::isfinite(v)) y.push_back(v);
  }
  MannKendallResult result;
  result.n = y.size();
  if (y.size() < 3) return result;
  std::int64_t s = 0;
  for (std::size_t i = 0; i + 1 < y.size(); ++i) {
    for (std::size_t j = i + 1; j < y.size(); ++j) s += (y[j] > y[i]) - (y[j] < y[i]);
  }
  result.s = static_cast<double>(s);
  const std::vector<std::size_t> ties = TieGroups(y);
  result.var_s = MannKendallVariance(y.size(), ties);
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
