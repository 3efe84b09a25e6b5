#include "daemon/analytics/correlation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "daemon/analytics/robust_stats.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {


// Lentz's continued fraction for the incomplete beta (Numerical Recipes' betacf).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr int kMaxIterations = 300;
  constexpr double kEpsilon = 1e-15, kTiny = 1e-300;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < kEpsilon) break;
  }
  return h;
}

}  // namespace

double Pearson(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size() || x.size() < 3) return kNaN;
  double mx = Mean(x), my = Mean(y);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (!(sxx > 0) || !(syy > 0)) return kNaN;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

std::vector<double> Ranks(std::span<const double> values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    double average = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = average;
    i = j + 1;
  }
  return ranks;
}

double Spearman(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) return kNaN;
  std::vector<double> rx = Ranks(x), ry = Ranks(y);
  return Pearson(rx, ry);
}

double RegularizedIncompleteBeta(double a, double b, double x) {
  if (!(x > 0)) return 0;
  if (!(x < 1)) return 1;
  double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                     b * std::log1p(-x);
  double front = std::exp(log_front);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry
  // I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
  if (x < (a + 1) / (a + b + 2)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1 - front * BetaContinuedFraction(b, a, 1 - x) / b;
}

double CorrelationPValue(double r, std::size_t n) {
  if (n < 3 || std::isnan(r)) return kNaN;
  double df = static_cast<double>(n) - 2;
  double r2 = r * r;
  if (r2 >= 1) return 0;
  double t2 = r2 * df / (1 - r2);
  // Two-sided Student t tail: P(|T| > t) = I_{df / (df + t^2)}(df / 2, 1 / 2).
  return RegularizedIncompleteBeta(df / 2, 0.5, df / (df + t2));
}

Pairs InnerJoin(std::span<const promql::Point> a, std::span<const promql::Point> b) {
  Pairs out;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].t < b[j].t) {
      ++i;
    } else if (b[j].t < a[i].t) {
      ++j;
    } else {
      if (std::isfinite(a[i].v) && std::isfinite(b[j].v)) {
        out.x.push_back(a[i].v);
        out.y.push_back(b[j].v);
      }
      ++i;
      ++j;
    }
  }
  return out;
}

std::vector<double> OnGrid(std::span<const promql::Point> points, Timestamp start,
                           std::int64_t step_ms, std::size_t n) {
  std::vector<double> grid(n, kNaN);
  if (step_ms <= 0) return grid;
  for (const promql::Point& p : points) {
    if (p.t < start || (p.t - start) % step_ms != 0) continue;
    auto k = static_cast<std::size_t>((p.t - start) / step_ms);
    if (k < n) grid[k] = p.v;
  }
  return grid;
}

LagCorrelation SearchLag(std::span<const double> x, std::span<const double> y, int max_lag,
                         std::size_t min_pairs) {
  LagCorrelation best;
  best.pearson = best.spearman = best.p_value = best.p_adjusted = kNaN;
  min_pairs = std::max<std::size_t>(min_pairs, 3);
  max_lag = std::max(max_lag, 0);
  const auto nx = static_cast<long>(x.size()), ny = static_cast<long>(y.size());
  std::vector<double> px, py;
  for (int lag = -max_lag; lag <= max_lag; ++lag) {
    px.clear();
    py.clear();
    for (long i = 0; i < nx; ++i) {
      long j = i + lag;
      if (j < 0 || j >= ny) continue;
      if (!std::isfinite(x[static_cast<std::size_t>(i)]) ||
          !std::isfinite(y[static_cast<std::size_t>(j)])) {
        continue;
      }
      px.push_back(x[static_cast<std::size_t>(i)]);
      py.push_back(y[static_cast<std::size_t>(j)]);
    }
    if (px.size() < min_pairs) continue;
    ++best.lags_tried;
    double rho = Spearman(px, py);
    if (std::isnan(rho)) continue;
    bool better = std::isnan(best.spearman) || std::abs(rho) > std::abs(best.spearman) + 1e-12 ||
                  (std::abs(rho) >= std::abs(best.spearman) - 1e-12 &&
                   std::abs(lag) < std::abs(best.lag));
    if (!better) continue;
    best.lag = lag;
    best.n = px.size();
    best.spearman = rho;
    best.pearson = Pearson(px, py);
  }
  if (!std::isnan(best.spearman)) {
    best.p_value = CorrelationPValue(best.spearman, best.n);
    best.p_adjusted = std::min(1.0, best.p_value * best.lags_tried);
  }
  return best;
}

namespace {

struct WatchRange {
  const Watch* watch = nullptr;
  promql::Matrix series;
};

}  // namespace

CorrelationRun CorrelateWatches(QueryEngine& engine, const std::vector<Watch>& watches,
                                Timestamp start, Timestamp end, std::int64_t step_ms,
                                int max_lag_steps) {
  CorrelationRun run;
  if (step_ms <= 0 || end <= start) return run;
  auto fetch = [&](const Watch& watch, std::vector<WatchRange>& into) {
    promql::QueryResult result = engine.Range(watch.expr, start, end, step_ms);
    if (!result.ok()) {
      run.errors.push_back(watch.name + ": " + result.error);
      return;
    }
    if (auto* matrix = std::get_if<promql::Matrix>(&result.value)) {
      into.push_back(WatchRange{&watch, std::move(*matrix)});
    }
  };
  std::vector<WatchRange> technical, satisfaction;
  for (const Watch& watch : watches) {
    if (watch.satisfaction) fetch(watch, satisfaction);
  }
  if (satisfaction.empty()) return run;
  for (const Watch& watch : watches) {
    if (!watch.satisfaction) fetch(watch, technical);
  }
  const auto n = static_cast<std::size_t>((end - start) / step_ms) + 1;
  for (const WatchRange& s : satisfaction) {
    for (const promql::Series& s_series : s.series) {
      std::vector<double> y = OnGrid(s_series.points, start, step_ms, n);
      for (const WatchRange& w : technical) {
        for (const promql::Series& w_series : w.series) {
          if (run.pairs.size() >= kMaxCorrelationPairs) {
            run.truncated = true;
            break;
          }
          std::vector<double> x = OnGrid(w_series.points, start, step_ms, n);
          LagCorrelation result = SearchLag(x, y, max_lag_steps);
          if (result.lags_tried == 0) continue;
          run.pairs.push_back(CorrelationPair{w.watch->name, s.watch->name,
                                              promql::DropMetricName(w_series.labels),
                                              promql::DropMetricName(s_series.labels), result,
                                              result.lag * step_ms});
        }
      }
    }
  }
  std::stable_sort(run.pairs.begin(), run.pairs.end(),
                   [](const CorrelationPair& a, const CorrelationPair& b) {
                     double ra = std::isnan(a.result.spearman) ? -1 : std::abs(a.result.spearman);
                     double rb = std::isnan(b.result.spearman) ? -1 : std::abs(b.result.spearman);
                     return ra > rb;
                   });
  return run;
}

}  // namespace metricsd::analytics
