#include "daemon/analytics/holt_winters.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

#include "daemon/analytics/normal_distribution.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {


// The state before the first value, estimated from the first cycles (or points).
struct InitialState {
  double level = 0, trend = 0;
  std::vector<double> seasonal;
};

struct Params {
  double alpha = 0.1, beta = 0, gamma = 0, phi = 1;
};

// Ordinary least squares of y on x over the finite pairs; false below two distinct x.
bool FitLine(std::span<const double> x, std::span<const double> y, double* intercept,
             double* slope) {
  double sx = 0, sy = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(y[i])) continue;
    sx += x[i];
    sy += y[i];
    ++count;
  }
  if (count == 0) return false;
  double mx = sx / static_cast<double>(count), my = sy / static_cast<double>(count);
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(y[i])) continue;
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  *slope = sxx > 0 ? sxy / sxx : 0;
  *intercept = my - *slope * mx;
  return true;
}

// Level and trend from the means of the first (up to four) whole cycles, so the seasonal
// pattern does not tilt the slope; the seasonal components are the mean detrended value of
// each phase over those cycles, centred on zero. Without a season: a line through the first
// ten points.
InitialState Initialise(std::span<const double> values, int season) {
  InitialState init;
  const std::size_t n = values.size();
  if (season > 0) {
    const std::size_t m = static_cast<std::size_t>(season);
    const std::size_t cycles = std::min<std::size_t>(4, n / m);
    // Two passes: the cycle means of the second are taken over deseasonalised values, so
    // gaps (which drop a different part of each cycle) do not tilt the trend.
    init.seasonal.assign(m, 0.0);
    double a = 0, b = 0;
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<double> centers, means;
      for (std::size_t c = 0; c < cycles; ++c) {
        double sum = 0;
        std::size_t count = 0;
        for (std::size_t i = c * m; i < (c + 1) * m; ++i) {
          if (std::isfinite(values[i])) {
            sum += values[i] - init.seasonal[i % m];
            ++count;
          }
        }
        centers.push_back(static_cast<double>(c * m) + static_cast<double>(m - 1) / 2);
        means.push_back(count ? sum / static_cast<double>(count) : kNaN);
      }
      if (!FitLine(centers, means, &a, &b)) {
        // The first cycles are all gaps: start flat at the first finite value.
        b = 0;
        for (double v : values) {
          if (std::isfinite(v)) {
            a = v;
            break;
          }
        }
      }
      std::vector<double> seasonal(m, 0.0);
      std::vector<std::size_t> counts(m, 0);
      for (std::size_t i = 0; i < cycles * m; ++i) {
        if (!std::isfinite(values[i])) continue;
        seasonal[i % m] += values[i] - (a + b * static_cast<double>(i));
        ++counts[i % m];
      }
      std::vector<std::size_t> known;
      for (std::size_t p = 0; p < m; ++p) {
        if (counts[p]) {
          seasonal[p] /= static_cast<double>(counts[p]);
          known.push_back(p);
        }
      }
      // A phase no initial cycle observed: interpolated between its observed neighbours
      // (circularly), not left at 0, which the imputation of later gaps would repeat.
      if (!known.empty() && known.size() < m) {
        for (std::size_t k = 0; k < known.size(); ++k) {
          const std::size_t from = known[k], to = known[(k + 1) % known.size()];
          const std::size_t distance = (to + m - from) % m == 0 ? m : (to + m - from) % m;
          for (std::size_t step = 1; step < distance; ++step) {
            const double share = static_cast<double>(step) / static_cast<double>(distance);
            seasonal[(from + step) % m] = seasonal[from] + share * (seasonal[to] - seasonal[from]);
          }
        }
      }
      init.seasonal = std::move(seasonal);
    }
    double total = 0;
    for (double s : init.seasonal) total += s;
    for (double& s : init.seasonal) s -= total / static_cast<double>(m);
    init.level = a + total / static_cast<double>(m) - b;  // the line at t = -1
    init.trend = b;
    return init;
  }
  const std::size_t w = std::min<std::size_t>(n, 10);
  std::vector<double> x(w);
  for (std::size_t i = 0; i < w; ++i) x[i] = static_cast<double>(i);
  double a = 0, b = 0;
  if (!FitLine(x, values.first(w), &a, &b)) {
    // No finite value among the first ten: start from the first finite one, flat.
    for (double v : values) {
      if (std::isfinite(v)) {
        a = v;
        break;
      }
    }
  }
  init.level = a - b;
  init.trend = b;
  return init;
}

// One pass of the recursion; returns the one-step SSE over the finite values. With `model`,
// records the final state and the fitted values.
double Run(std::span<const double> values, int season, const InitialState& init, const Params& p,
           std::vector<double>& seasonal, HoltWintersModel* model) {
  double level = init.level, trend = init.trend, sse = 0;
  std::size_t used = 0;
  const std::size_t m = static_cast<std::size_t>(std::max(season, 0));
  if (m) seasonal.assign(init.seasonal.begin(), init.seasonal.end());
  if (model) model->fitted.resize(values.size());
  for (std::size_t t = 0; t < values.size(); ++t) {
    const double s = m ? seasonal[t % m] : 0.0;
    const double predicted = level + p.phi * trend + s;
    double error = 0;
    if (std::isfinite(values[t])) {
      error = values[t] - predicted;
      sse += error * error;
      ++used;
    }
    if (model) model->fitted[t] = predicted;
    level = level + p.phi * trend + p.alpha * error;
    trend = p.phi * trend + p.beta * error;
    if (m) seasonal[t % m] = s + p.gamma * error;
  }
  if (model) {
    model->level = level;
    model->trend = trend;
    model->seasonal = m ? seasonal : std::vector<double>{};
    model->used = used;
    model->sse = sse;
  }
  return std::isfinite(sse) ? sse : std::numeric_limits<double>::max();
}

// The search space: alpha, the trend's share of alpha, the season's share of 1 - alpha (the
// usual admissible region 0 < beta < alpha, 0 < gamma < 1 - alpha), and phi.
struct Bounds {
  std::array<double, 4> lo{0.01, 0.0, 0.0, 0.8};
  std::array<double, 4> hi{0.99, 0.6, 0.9, 0.98};
};

Params ToParams(const std::array<double, 4>& x, bool seasonal, bool damped) {
  Params p;
  p.alpha = x[0];
  p.beta = x[0] * x[1];
  p.gamma = seasonal ? (1 - x[0]) * x[2] : 0.0;
  p.phi = damped ? x[3] : 1.0;
  return p;
}

}  // namespace

int ChooseSeason(std::size_t n, std::int64_t step_ms) {
  if (step_ms <= 0) return 0;
  const std::int64_t week = kWeekMs % step_ms == 0 ? kWeekMs / step_ms : 0;
  const std::int64_t day = kDayMs % step_ms == 0 ? kDayMs / step_ms : 0;
  const auto count = static_cast<std::int64_t>(n);
  if (week >= 2 && count >= 2 * week) return static_cast<int>(week);
  if (day >= 2 && count >= 2 * day) return static_cast<int>(day);
  return 0;
}

HoltWintersModel FitHoltWinters(std::span<const double> values, int season, bool damped) {
  HoltWintersModel model;
  model.n = values.size();
  model.damped = damped;
  if (season < 2 || static_cast<std::size_t>(season) * 2 > values.size()) season = 0;
  model.season = season;
  std::size_t finite = 0;
  for (double v : values) finite += std::isfinite(v) ? 1 : 0;
  if (finite == 0) {
    model.fitted.assign(values.size(), kNaN);
    model.level = model.trend = model.sigma = kNaN;
    return model;
  }
  const InitialState init = Initialise(values, season);
  const bool seasonal = season > 0;
  std::vector<double> scratch;
  auto sse_of = [&](const std::array<double, 4>& x) {
    return Run(values, season, init, ToParams(x, seasonal, damped), scratch, nullptr);
  };

  // Coarse grid over the active parameters.
  const Bounds bounds;
  const std::array<double, 5> alphas{0.02, 0.1, 0.25, 0.5, 0.8};
  const std::array<double, 4> betas{0.0, 0.02, 0.1, 0.3};
  const std::array<double, 4> gammas{0.0, 0.05, 0.2, 0.5};
  const std::array<double, 2> phis{0.85, 0.95};
  std::array<double, 4> best{0.1, 0.0, 0.0, 0.95};
  double best_sse = std::numeric_limits<double>::infinity();
  for (double a : alphas) {
    for (double b : betas) {
      for (std::size_t gi = 0; gi < (seasonal ? gammas.size() : 1); ++gi) {
        for (std::size_t pi = 0; pi < (damped ? phis.size() : 1); ++pi) {
          std::array<double, 4> x{a, b, gammas[gi], damped ? phis[pi] : 1.0};
          double sse = sse_of(x);
          if (sse < best_sse) {
            best_sse = sse;
            best = x;
          }
        }
      }
    }
  }

  // Coordinate refinement: golden-section search along each active parameter in a window
  // that halves every round.
  std::vector<int> active{0, 1};
  if (seasonal) active.push_back(2);
  if (damped) active.push_back(3);
  const double golden = (std::sqrt(5.0) - 1) / 2;
  for (int round = 0; round < 6; ++round) {
    const double before = best_sse;
    for (int k : active) {
      const double width = (bounds.hi[k] - bounds.lo[k]) / 4 / std::ldexp(1.0, round);
      double lo = std::max(bounds.lo[k], best[k] - width);
      double hi = std::min(bounds.hi[k], best[k] + width);
      std::array<double, 4> x = best;
      double c = hi - golden * (hi - lo), d = lo + golden * (hi - lo);
      x[k] = c;
      double fc = sse_of(x);
      x[k] = d;
      double fd = sse_of(x);
      for (int iter = 0; iter < 10; ++iter) {
        if (fc < fd) {
          hi = d;
          d = c;
          fd = fc;
          c = hi - golden * (hi - lo);
          x[k] = c;
          fc = sse_of(x);
        } else {
          lo = c;
          c = d;
          fc = fd;
          d = lo + golden * (hi - lo);
          x[k] = d;
          fd = sse_of(x);
        }
      }
      x[k] = fc < fd ? c : d;
      double f = std::min(fc, fd);
      if (f < best_sse) {
        best_sse = f;
        best = x;
      }
    }
    if (before - best_sse <= 1e-12 * std::max(1.0, before)) break;
  }

  const Params p = ToParams(best, seasonal, damped);
  model.alpha = p.alpha;
  model.beta = p.beta;
  model.gamma = p.gamma;
  model.phi = p.phi;
  Run(values, season, init, p, scratch, &model);
  // Degrees of freedom: the smoothing parameters and the initial states (level, trend and
  // the season's free components) were all estimated from these values.
  const double parameters = 2.0 + static_cast<double>(active.size()) + (seasonal ? season - 1 : 0);
  const double used = static_cast<double>(model.used);
  const double dof = std::max({used - parameters, used / 4, 1.0});
  model.sigma = std::sqrt(model.sse / dof);
  model.aic = used * std::log(std::max(model.sse / used, 1e-300)) + 2 * parameters;
  model.ok = true;
  return model;
}

HoltWintersModel FitHoltWintersAuto(std::span<const double> values, std::int64_t step_ms,
                                    bool damped) {
  const int season = ChooseSeason(values.size(), step_ms);
  HoltWintersModel best = FitHoltWinters(values, season, damped);
  const std::int64_t day = step_ms > 0 && kDayMs % step_ms == 0 ? kDayMs / step_ms : 0;
  if (season > day && day >= 2) {
    HoltWintersModel daily = FitHoltWinters(values, static_cast<int>(day), damped);
    if (daily.ok && daily.aic < best.aic) best = std::move(daily);
  }
  return best;
}

HoltWintersForecast PredictHoltWinters(const HoltWintersModel& model, int horizon,
                                       double interval) {
  HoltWintersForecast out;
  if (horizon <= 0) return out;
  const std::size_t h_count = static_cast<std::size_t>(horizon);
  if (!model.ok) {
    out.mean.assign(h_count, kNaN);
    out.lower = out.upper = out.mean;
    return out;
  }
  const double z = normal::TwoSidedZ(interval);
  const std::size_t m = static_cast<std::size_t>(std::max(model.season, 0));
  out.mean.reserve(h_count);
  out.lower.reserve(h_count);
  out.upper.reserve(h_count);
  double phi_sum = 0, phi_power = 1;  // phi + ... + phi^h
  double variance_sum = 0;            // sum_{j=1}^{h-1} c_j^2
  for (std::size_t h = 1; h <= h_count; ++h) {
    phi_power *= model.phi;
    const double phi_h_prev = phi_sum;  // phi_{h-1}
    phi_sum += phi_power;
    if (h > 1) {
      const std::size_t j = h - 1;
      const double c =
          model.alpha + model.beta * phi_h_prev + (m && j % m == 0 ? model.gamma : 0.0);
      variance_sum += c * c;
    }
    const double s = m ? model.seasonal[(model.n + h - 1) % m] : 0.0;
    const double mean = model.level + phi_sum * model.trend + s;
    const double half = z * model.sigma * std::sqrt(1 + variance_sum);
    out.mean.push_back(mean);
    out.lower.push_back(mean - half);
    out.upper.push_back(mean + half);
  }
  return out;
}

std::string DescribeModel(const HoltWintersModel& model, std::int64_t step_ms) {
  std::string text = "holt-winters additive";
  if (model.season == 0) {
    text = "holt linear (no season)";
  } else {
    const std::int64_t period = static_cast<std::int64_t>(model.season) * step_ms;
    const char* name = period == kWeekMs ? "weekly" : period == kDayMs ? "daily" : "periodic";
    text += std::string(", ") + name + " season (" + std::to_string(model.season) + " steps)";
  }
  if (model.damped) {
    char phi[32];
    std::snprintf(phi, sizeof phi, "%.2f", model.phi);
    text += std::string(", damped trend (phi ") + phi + ")";
  }
  return text;
}

}  // namespace metricsd::analytics
