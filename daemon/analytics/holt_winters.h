// Additive Holt-Winters exponential smoothing (level, optionally damped trend, one additive
// season) over equally spaced values, with parameters fitted by minimising the one-step-ahead
// sum of squared errors, and prediction intervals from the standard variance formula of the
// additive model (Hyndman, Koehler, Ord & Snyder, "Forecasting with Exponential Smoothing",
// 2008, table 6.1, class 1: ETS(A,A,A) / ETS(A,Ad,A)).
//
// One season, chosen by what the history allows (ChooseSeason): weekly when it holds at least
// two weeks (and then only if it beats the daily season on AIC), daily when it holds at least
// two days, none (Holt's linear method) otherwise. A double-seasonal model (Taylor 2003) needs
// several weeks to initialise both seasons; with the default 14 days the weekly season alone
// already repeats each hour-of-day pattern.
//
// NaN values are gaps: the recursion takes its own one-step prediction there (the error is
// zero, so no state is updated by a value nobody observed).
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace metricsd::analytics {

// The fitted model: smoothing parameters (state-space form: l += alpha e, b = phi b + beta e,
// s += gamma e), the state after the last value, and the in-sample fit.
struct HoltWintersModel {
  int season = 0;  // period in steps; 0: no season (Holt's linear method)
  bool damped = false;
  double alpha = 0, beta = 0, gamma = 0, phi = 1;
  double level = 0, trend = 0;
  // The seasonal state by phase: seasonal[t % season] is the component of step t (0-based
  // from the first value fitted), last updated at t - season.
  std::vector<double> seasonal;
  std::size_t n = 0;     // values fitted (the forecast starts at step n)
  std::size_t used = 0;  // finite values that entered the error sum
  double sse = 0;        // one-step-ahead, over the finite values
  double sigma = 0;      // one-step residual standard deviation (sse / (used - parameters))
  // Akaike's criterion, used * ln(sse / used) + 2 k, k the parameters and initial states.
  double aic = 0;
  std::vector<double> fitted;  // the one-step prediction of each value (gaps: the imputation)
  bool ok = false;             // false: no finite value at all (every output NaN)
};

struct HoltWintersForecast {
  std::vector<double> mean, lower, upper;  // steps n, n+1, ... (h = 1, 2, ...)
};

// The season (in steps) the rule above picks for `n` values `step_ms` apart; a season must be
// a whole number (>= 2) of steps (daily values: weekly season only).
int ChooseSeason(std::size_t n, std::int64_t step_ms);

// Fits the model to `values` (NaN = gap; leading gaps are the caller's to trim). `season` 0
// or < 2: none; a season longer than half the values is dropped too (it cannot be
// initialised from two cycles). Bounded: a grid of at most 160 parameter sets, then at most
// 6 rounds of 12 golden-section steps per parameter, each step an O(n) pass.
HoltWintersModel FitHoltWinters(std::span<const double> values, int season, bool damped);

// The model forecasts use: the season ChooseSeason allows; when that is weekly, the daily
// season is fitted too and the lower AIC wins (two weeks give the weekly season only two
// cycles to learn 168 components from; a daily pattern is learnt better from fourteen).
HoltWintersModel FitHoltWintersAuto(std::span<const double> values, std::int64_t step_ms,
                                    bool damped);

// The next `horizon` steps with a two-sided `interval` (0 < interval < 1) prediction
// interval: mean +- z * sigma * sqrt(1 + sum_{j<h} c_j^2), c_j = alpha + beta (phi + ... +
// phi^j) + gamma [j % season == 0].
HoltWintersForecast PredictHoltWinters(const HoltWintersModel& model, int horizon, double interval);

// "holt-winters additive, weekly season (168 steps), damped trend (phi 0.95)" and the like.
std::string DescribeModel(const HoltWintersModel& model, std::int64_t step_ms);

}  // namespace metricsd::analytics
