#include "daemon/analytics/theil_sen.h"

#include <algorithm>
#include <cmath>

#include "daemon/analytics/mann_kendall.h"
#include "daemon/analytics/normal_distribution.h"
#include "daemon/analytics/robust_stats.h"

namespace metricsd::analytics {
namespace {

using query::promql::Point;

// The k-th smallest (0-based) of `values`, which it reorders.
double KthSmallest(std::vector<double>& values, std::size_t k) {
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

// The median of the pairwise slopes (Quantile's definition at 0.5) by selection: there are up
// to 2 million of them, and sorting them all (as Median does) costs three times as long.
double MedianBySelection(std::vector<double>& values) {
  const std::size_t half = values.size() / 2;
  const double upper = KthSmallest(values, half);
  if (values.size() % 2 == 1) return upper;
  // nth_element left the smaller half in front: its largest is the lower middle value.
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(half));
  return (lower + upper) / 2;
}

TheilSenFit Fit(const std::vector<double>& x, const std::vector<double>& y, double confidence) {
  TheilSenFit fit;
  fit.confidence = confidence;
  fit.n = x.size();
  if (x.size() < 2) return fit;
  fit.origin = *std::min_element(x.begin(), x.end());
  std::vector<double> slopes;
  slopes.reserve(x.size() * (x.size() - 1) / 2);
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      const double dx = x[j] - x[i];
      if (dx != 0) slopes.push_back((y[j] - y[i]) / dx);
    }
  }
  if (slopes.empty()) return fit;  // every x equal: no slope
  fit.slope = MedianBySelection(slopes);
  std::vector<double> residuals(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) residuals[i] = y[i] - fit.slope * (x[i] - fit.origin);
  fit.intercept = Median(residuals);

  // Sen's interval: C = z_{1-a/2} sqrt(Var(S)); the bounds are the (N - C)/2-th and
  // (N + C)/2 + 1-th ordered slopes (1-based), N the number of slopes.
  const double var_s = MannKendallVariance(y);
  const double z = normal::Quantile(0.5 + confidence / 2);
  const double c = z * std::sqrt(std::max(var_s, 0.0));
  const double count = static_cast<double>(slopes.size());
  const double lower_rank = std::round((count - c) / 2);      // 1-based
  const double upper_rank = std::round((count + c) / 2) + 1;  // 1-based
  if (std::isfinite(c) && lower_rank >= 1 && upper_rank <= count) {
    fit.slope_lower = KthSmallest(slopes, static_cast<std::size_t>(lower_rank) - 1);
    fit.slope_upper = KthSmallest(slopes, static_cast<std::size_t>(upper_rank) - 1);
  }
  return fit;
}

}  // namespace

std::vector<Point> DownsampleMedians(std::span<const Point> points, std::size_t max_points) {
  std::vector<Point> finite;
  finite.reserve(points.size());
  for (const Point& p : points) {
    if (std::isfinite(p.v)) finite.push_back(p);
  }
  if (max_points == 0 || finite.size() <= max_points) return finite;
  std::vector<Point> out;
  out.reserve(max_points);
  std::vector<double> ts, vs;
  for (std::size_t b = 0; b < max_points; ++b) {
    // Runs of near-equal length covering every point once.
    const std::size_t begin = b * finite.size() / max_points;
    const std::size_t end = (b + 1) * finite.size() / max_points;
    ts.clear();
    vs.clear();
    for (std::size_t i = begin; i < end; ++i) {
      ts.push_back(static_cast<double>(finite[i].t));
      vs.push_back(finite[i].v);
    }
    if (ts.empty()) continue;
    out.push_back({static_cast<query::promql::Timestamp>(std::llround(Median(ts))), Median(vs)});
  }
  return out;
}

TheilSenFit TheilSen(std::span<const double> x, std::span<const double> y, double confidence,
                     std::size_t max_points) {
  std::vector<double> xs, ys;
  const std::size_t n = std::min(x.size(), y.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      xs.push_back(x[i]);
      ys.push_back(y[i]);
    }
  }
  bool downsampled = false;
  if (max_points >= 2 && xs.size() > max_points) {
    // Contiguous runs in x order, each replaced by its medians.
    std::vector<std::size_t> order(xs.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return xs[a] < xs[b]; });
    std::vector<double> rx, ry, bx, by;
    for (std::size_t b = 0; b < max_points; ++b) {
      const std::size_t begin = b * order.size() / max_points;
      const std::size_t end = (b + 1) * order.size() / max_points;
      bx.clear();
      by.clear();
      for (std::size_t i = begin; i < end; ++i) {
        bx.push_back(xs[order[i]]);
        by.push_back(ys[order[i]]);
      }
      if (bx.empty()) continue;
      rx.push_back(Median(bx));
      ry.push_back(Median(by));
    }
    xs = std::move(rx);
    ys = std::move(ry);
    downsampled = true;
  }
  TheilSenFit fit = Fit(xs, ys, confidence);
  fit.downsampled = downsampled;
  return fit;
}

TheilSenFit TheilSenSeries(std::span<const Point> points, double confidence,
                           std::size_t max_points) {
  std::vector<double> x, y;
  x.reserve(points.size());
  y.reserve(points.size());
  for (const Point& p : points) {
    if (!std::isfinite(p.v)) continue;
    x.push_back(static_cast<double>(p.t) / 1000.0);
    y.push_back(p.v);
  }
  // Seconds since the first point keep the differences exact; the origin is added back.
  const double first = x.empty() ? 0 : x.front();
  for (double& v : x) v -= first;
  TheilSenFit fit = TheilSen(x, y, confidence, max_points);
  fit.origin += first;
  return fit;
}

double FittedAt(const TheilSenFit& fit, query::promql::Timestamp t) {
  return fit.At(static_cast<double>(t) / 1000.0);
}

}  // namespace metricsd::analytics
