#include "daemon/analytics/forecast.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <variant>

#include "daemon/analytics/holt_winters.h"
#include "daemon/analytics/report_text.h"
#include "daemon/analytics/watch.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {

// Bounds the cost of one fit whatever the points given (20000 is the config's own cap).
constexpr std::int64_t kMaxSteps = 20000;

std::vector<promql::Point> ToPoints(std::span<const double> values, Timestamp first,
                                    std::int64_t step_ms) {
  std::vector<promql::Point> points(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    points[i] = {first + static_cast<Timestamp>(i) * step_ms, values[i]};
  }
  return points;
}

// Accuracy of the method on the history's own end: fitted to all but the last `holdout`
// values, then the held-out part forecast.
void Backtest(std::span<const double> values, std::size_t holdout, std::int64_t step_ms,
              const ForecastOptions& options, ForecastResult& result) {
  const std::size_t train = values.size() - holdout;
  HoltWintersModel model = FitHoltWintersAuto(values.first(train), step_ms, options.damped);
  HoltWintersForecast forecast =
      PredictHoltWinters(model, static_cast<int>(holdout), options.interval);
  double ape_sum = 0;
  std::size_t ape_count = 0, inside = 0, actuals = 0;
  for (std::size_t h = 0; h < holdout; ++h) {
    const double actual = values[train + h];
    if (!std::isfinite(actual) || !std::isfinite(forecast.mean[h])) continue;
    ++actuals;
    if (actual >= forecast.lower[h] && actual <= forecast.upper[h]) ++inside;
    // A zero actual has no percentage error; a near-zero one would dominate the mean.
    if (std::fabs(actual) > 1e-12) {
      ape_sum += std::fabs((actual - forecast.mean[h]) / actual);
      ++ape_count;
    }
  }
  result.backtest_points = actuals;
  if (ape_count) result.mape = 100 * ape_sum / static_cast<double>(ape_count);
  if (actuals) result.coverage = static_cast<double>(inside) / static_cast<double>(actuals);
}

std::string ChartTitle(const std::string& name, const promql::Labels& labels) {
  return labels.empty() ? name : name + " " + promql::LabelsToString(labels);
}

}  // namespace

double ForecastResult::Latest() const {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (std::isfinite(it->v)) return it->v;
  }
  return kNaN;
}

ForecastResult ForecastPoints(const promql::Labels& labels, std::span<const promql::Point> points,
                              std::int64_t step_ms, std::int64_t horizon_ms,
                              const ForecastOptions& options) {
  const auto began = std::chrono::steady_clock::now();
  ForecastResult result;
  result.labels = labels;
  result.step_ms = step_ms;
  result.interval = options.interval;
  if (step_ms <= 0) {
    result.error = "the step must be positive";
    return result;
  }
  // Place the points on the step grid; leading gaps are dropped (nothing to initialise from).
  std::size_t first_finite = 0;
  while (first_finite < points.size() && !std::isfinite(points[first_finite].v)) ++first_finite;
  points = points.subspan(first_finite);
  if (points.empty()) {
    result.error = "no values";
    return result;
  }
  Timestamp first = points.front().t;
  const Timestamp last = points.back().t;
  if ((last - first) / step_ms >= kMaxSteps) first = last - (kMaxSteps - 1) * step_ms;
  const std::size_t n = static_cast<std::size_t>((last - first) / step_ms) + 1;
  std::vector<double> values(n, kNaN);
  std::size_t finite = 0;
  for (const promql::Point& p : points) {
    if (p.t < first || !std::isfinite(p.v)) continue;
    const auto i = static_cast<std::size_t>(
        std::llround(static_cast<double>(p.t - first) / static_cast<double>(step_ms)));
    if (i < n) {
      finite += std::isfinite(values[i]) ? 0 : 1;
      values[i] = p.v;
    }
  }
  if (finite < 3) {
    result.error = "fewer than 3 values";
    return result;
  }
  result.history = ToPoints(values, first, step_ms);

  const int horizon = static_cast<int>(
      std::clamp<std::int64_t>((horizon_ms + step_ms - 1) / step_ms, 1, kMaxSteps));
  HoltWintersModel model = FitHoltWintersAuto(values, step_ms, options.damped);
  HoltWintersForecast forecast = PredictHoltWinters(model, horizon, options.interval);
  const Timestamp next = last + step_ms;
  result.predicted = ToPoints(forecast.mean, next, step_ms);
  result.lower = ToPoints(forecast.lower, next, step_ms);
  result.upper = ToPoints(forecast.upper, next, step_ms);
  result.model = DescribeModel(model, step_ms);
  result.season = model.season;
  result.alpha = model.alpha;
  result.beta = model.beta;
  result.gamma = model.gamma;
  result.phi = model.phi;
  result.sigma = model.sigma;

  std::size_t holdout = options.backtest.count() > 0
                            ? static_cast<std::size_t>(options.backtest.count() / step_ms)
                            : static_cast<std::size_t>(horizon);
  holdout = std::min(holdout, n / 3);
  if (holdout >= 1 && n - holdout >= 3) Backtest(values, holdout, step_ms, options, result);
  result.fit_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
  return result;
}

std::vector<ForecastResult> ForecastExpr(const AnalysisContext& context, const std::string& expr,
                                         Timestamp now, Duration horizon, std::string* error,
                                         std::size_t max_series, bool lowest) {
  const ForecastOptions& options = context.config.forecast;
  const std::int64_t step = std::max<std::int64_t>(options.step.count(), 1);
  const Timestamp start = now - options.history.count();
  promql::QueryResult result = context.engine.Range(expr, start, now, step);
  std::vector<ForecastResult> out;
  if (!result.ok()) {
    if (error) *error = result.error.empty() ? "query failed" : result.error;
    return out;
  }
  auto* matrix = std::get_if<promql::Matrix>(&result.value);
  if (!matrix) {
    if (error) *error = "the range query did not return a matrix";
    return out;
  }
  // Choose before fitting, so a watch of thousands of series costs max_series fits. Series
  // without a finite value sort last (they yield an error result anyway).
  std::vector<std::pair<double, const promql::Series*>> ranked;
  ranked.reserve(matrix->size());
  for (const promql::Series& series : *matrix) {
    double latest = kNaN;
    for (auto it = series.points.rbegin(); it != series.points.rend(); ++it) {
      if (std::isfinite(it->v)) {
        latest = it->v;
        break;
      }
    }
    const double key =
        std::isnan(latest) ? -std::numeric_limits<double>::infinity() : (lowest ? -latest : latest);
    ranked.emplace_back(key, &series);
  }
  if (max_series > 0) {
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    if (ranked.size() > max_series) ranked.resize(max_series);
  }
  out.reserve(ranked.size());
  for (const auto& [key, series] : ranked) {
    out.push_back(ForecastPoints(promql::DropMetricName(series->labels), series->points, step,
                                 horizon.count(), options));
  }
  return out;
}

ReportSection BuildForecastsSection(const AnalysisContext& context) {
  const ForecastOptions& options = context.config.forecast;
  ReportSection section;
  section.id = "forecasts";
  section.title = "Forecasts";
  const Timestamp now = context.end > 0 ? context.end : context.now;
  const int level = static_cast<int>(std::lround(options.interval * 100));
  const std::string band = std::to_string(level) + "% interval";

  ReportTable table;
  table.columns = {"watch",
                   "series",
                   "model",
                   "latest",
                   "forecast at horizon",
                   band,
                   "back-test MAPE",
                   "back-test coverage",
                   "held out"};
  nlohmann::json data = nlohmann::json::array();
  std::vector<std::string> failures;
  std::size_t queried = 0;
  for (const Watch& watch : context.config.watches) {
    if (!KindListed(options.kinds, watch.kind)) continue;
    ++queried;
    std::string error;
    std::vector<ForecastResult> forecasts =
        ForecastExpr(context, watch.expr, now, options.horizon, &error,
                     static_cast<std::size_t>(options.max_series), !watch.higher_is_worse());
    if (!error.empty()) {
      failures.push_back(watch.name + ": " + error);
      continue;
    }
    std::erase_if(forecasts, [](const ForecastResult& f) { return !f.ok(); });
    for (const ForecastResult& f : forecasts) {
      ReportChart chart;
      chart.title = ChartTitle(watch.name, f.labels);
      chart.unit = watch.unit;
      chart.threshold = watch.threshold;
      chart.lines.push_back({"history", f.history});
      chart.lines.push_back({"forecast", f.predicted});
      chart.bands.push_back({band, f.lower, f.upper});
      chart.markers.push_back({f.predicted.front().t, "forecast starts"});
      section.blocks.push_back(std::move(chart));

      const promql::Point& end = f.predicted.back();
      table.rows.push_back({watch.name, promql::LabelsToString(f.labels), f.model, FormatNumber(f.Latest()),
                            FormatNumber(end.v),
                            FormatNumber(f.lower.back().v) + " .. " + FormatNumber(f.upper.back().v),
                            std::isfinite(f.mape) ? FormatNumber(f.mape) + " %" : "n/a",
                            std::isfinite(f.coverage) ? FormatNumber(100 * f.coverage) + " %" : "n/a",
                            std::to_string(f.backtest_points)});
      nlohmann::json item = {{"watch", watch.name},
                             {"labels", nlohmann::json::object()},
                             {"model", f.model},
                             {"season_steps", f.season},
                             {"alpha", f.alpha},
                             {"beta", f.beta},
                             {"gamma", f.gamma},
                             {"phi", f.phi},
                             {"sigma", f.sigma},
                             {"interval", f.interval},
                             {"mape_percent", f.mape},
                             {"coverage", f.coverage},
                             {"backtest_points", f.backtest_points}};
      item["labels"] = LabelsJson(f.labels);
      nlohmann::json points = nlohmann::json::array();
      for (std::size_t i = 0; i < f.predicted.size(); ++i) {
        points.push_back({f.predicted[i].t / 1000, f.predicted[i].v, f.lower[i].v, f.upper[i].v});
      }
      item["forecast"] = std::move(points);  // [unix s, point, lower, upper]
      data.push_back(std::move(item));
    }
  }
  if (queried > 0 && failures.size() == queried) {
    section.error = "every forecast query failed: " + failures.front();
    return section;
  }
  if (table.rows.empty()) {
    section.blocks.push_back(ReportParagraph{"No watched series had enough history to forecast."});
  } else {
    section.blocks.insert(
        section.blocks.begin(),
        ReportParagraph{"Holt-Winters forecasts " + FormatSpan(options.horizon.count()) +
                        " ahead, each with its accuracy back-tested on its own "
                        "history (MAPE and interval coverage)."});
    section.blocks.push_back(std::move(table));
  }
  for (const std::string& failure : failures) {
    section.blocks.push_back(ReportParagraph{"Query failed for " + failure});
  }
  section.data = {{"forecasts", std::move(data)},
                  {"horizon_seconds", options.horizon.count() / 1000},
                  {"step_seconds", options.step.count() / 1000},
                  {"history_seconds", options.history.count() / 1000}};
  section.notes = {
      "Additive Holt-Winters: level, trend" + std::string(options.damped ? " (damped)" : "") +
          " and one season: weekly or daily (the lower AIC) when the history holds 2 weeks, "
          "daily when it holds 2 days, none (Holt's linear method) otherwise.",
      "Smoothing parameters minimise the one-step-ahead squared error (grid, then golden-section "
      "refinement per parameter).",
      "Intervals use the additive model's variance formula (Hyndman et al. 2008) from the "
      "one-step residuals, assuming normal, uncorrelated errors; they widen with the horizon.",
      "Back-test: the last " +
          (options.backtest.count() > 0 ? FormatSpan(options.backtest.count()) : std::string("horizon")) +
          " (at most a third of the history) is held out; MAPE skips zero actuals; coverage is "
          "the share of held-out values inside the interval.",
      "Gaps are filled with the model's own prediction; level shifts and outliers in the "
      "history are followed, not removed.",
      "Watches of kinds: " + JoinList(options.kinds) +
          "; at most " + std::to_string(options.max_series) + " series per watch."};
  return section;
}

}  // namespace metricsd::analytics
