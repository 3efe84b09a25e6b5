// Holt-Winters forecasts and capacity runway on synthetic series whose truth is known:
// seasonality, ramps, Gaussian noise, gaps, constants, a filling disk, usage driven by players.
#include "daemon/analytics/forecast.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <unistd.h>

#include "daemon/analytics/capacity.h"
#include "daemon/analytics/holt_winters.h"
#include "daemon/analytics/robust_stats.h"
#include "daemon/query/promql/memory_queryable.h"

namespace metricsd::analytics {
namespace {

using promql::Labels;
using promql::Point;

constexpr double kPi = 3.14159265358979323846;
constexpr std::int64_t kHour = 3600 * 1000;
constexpr std::int64_t kDay = 24 * kHour;
constexpr Timestamp kNow = 1'760'000'400'000;  // a whole hour

// Values at hourly steps ending at kNow; f(hours since the first point).
template <class F>
std::vector<Point> Hourly(int hours, F f) {
  std::vector<Point> points;
  for (int i = 0; i < hours; ++i) {
    points.push_back({kNow - static_cast<Timestamp>(hours - 1 - i) * kHour, f(i)});
  }
  return points;
}

double Daily(int hour, double amplitude) { return amplitude * std::sin(2 * kPi * hour / 24.0); }

// MAPE of a forecast against the truth `f` continued after `hours` of history.
template <class F>
double TrueMape(const ForecastResult& result, int hours, F f) {
  double sum = 0;
  for (std::size_t h = 0; h < result.predicted.size(); ++h) {
    const double truth = f(hours + static_cast<int>(h));
    sum += std::fabs((result.predicted[h].v - truth) / truth);
  }
  return 100 * sum / static_cast<double>(result.predicted.size());
}

ForecastOptions Options() { return ForecastOptions{}; }

TEST(HoltWinters, ChoosesTheSeasonTheHistoryAllows) {
  EXPECT_EQ(ChooseSeason(336, kHour), 168);  // 2 weeks hourly: weekly
  EXPECT_EQ(ChooseSeason(335, kHour), 24);   // short of 2 weeks: daily
  EXPECT_EQ(ChooseSeason(48, kHour), 24);
  EXPECT_EQ(ChooseSeason(47, kHour), 0);         // short of 2 days: Holt's linear
  EXPECT_EQ(ChooseSeason(1000, 7 * kHour), 24);  // a week is 24 steps of 7 h, a day is not
  EXPECT_EQ(ChooseSeason(1000, 5 * kHour), 0);   // neither is whole
  EXPECT_EQ(ChooseSeason(13, kDay), 0);          // a daily season of 1 step is none
  EXPECT_EQ(ChooseSeason(14, kDay), 7);          // daily data: weekly season
}

TEST(Forecast, PureSeasonalSeriesWithinAFewPercent) {
  auto truth = [](int h) { return 100 + Daily(h, 10); };
  auto points = Hourly(14 * 24, truth);
  ForecastResult result = ForecastPoints({}, points, kHour, 7 * kDay, Options());
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.predicted.size(), 168u);
  EXPECT_EQ(result.predicted.front().t, kNow + kHour);
  EXPECT_EQ(result.season, 24);  // a daily pattern: the daily season wins on AIC
  const double mape = TrueMape(result, 14 * 24, truth);
  std::printf("FIGURE forecast_mape_pure_seasonal_percent %.4f\n", mape);
  std::printf("FIGURE forecast_backtest_mape_pure_seasonal_percent %.4f\n", result.mape);
  EXPECT_LT(mape, 2.0);
  EXPECT_LT(result.mape, 3.0);
  EXPECT_EQ(result.backtest_points, 112u);  // the horizon, capped at a third of 336
}

TEST(Forecast, WeeklyPatternPicksTheWeeklySeason) {
  std::mt19937 rng(17);
  std::normal_distribution<double> noise(0, 0.5);
  // Quieter weekends: 2 days in 7 at 70 % of the weekday level.
  auto truth = [](int h) { return (h / 24) % 7 >= 5 ? 70 + Daily(h, 7) : 100 + Daily(h, 10); };
  auto points = Hourly(21 * 24, [&](int h) { return truth(h) + noise(rng); });
  ForecastResult result = ForecastPoints({}, points, kHour, 7 * kDay, Options());
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.season, 168);
  EXPECT_NE(result.model.find("weekly season"), std::string::npos);
  const double mape = TrueMape(result, 21 * 24, truth);
  std::printf("FIGURE forecast_mape_weekly_pattern_percent %.4f\n", mape);
  EXPECT_LT(mape, 3.0);
}

TEST(Forecast, LinearRampWithDailySeasonPredictsTheRamp) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 0.5);
  auto truth = [](int h) { return 50 + h / 24.0 + Daily(h, 5); };  // +1 per day
  auto points = Hourly(14 * 24, [&](int h) { return truth(h) + noise(rng); });
  ForecastResult result = ForecastPoints({}, points, kHour, 7 * kDay, Options());
  ASSERT_TRUE(result.ok()) << result.error;
  const double mape = TrueMape(result, 14 * 24, truth);
  std::printf("FIGURE forecast_mape_ramp_daily_season_percent %.4f\n", mape);
  std::printf("FIGURE forecast_backtest_mape_ramp_daily_season_percent %.4f\n", result.mape);
  EXPECT_LT(mape, 3.0);
  // A week ahead the ramp has climbed 7 more: the mean of the last forecast day shows it.
  double last_day = 0;
  for (std::size_t h = 144; h < 168; ++h) last_day += result.predicted[h].v / 24;
  const double expected = 50 + (14 * 24 + 156 - 0.5) / 24.0;  // the ramp mid last day
  EXPECT_NEAR(last_day, expected, 1.5);
}

TEST(Forecast, IntervalCoverageNearNominalOnGaussianNoise) {
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 4);
  double covered = 0, total = 0, backtest = 0;
  constexpr int kSeries = 20;
  for (int s = 0; s < kSeries; ++s) {
    auto truth = [](int h) { return 200 + Daily(h, 20); };
    const int hours = 21 * 24;
    std::vector<Point> all = Hourly(hours + 168, [&](int h) { return truth(h) + noise(rng); });
    std::vector<Point> history(all.begin(), all.begin() + hours);
    ForecastResult result = ForecastPoints({}, history, kHour, 7 * kDay, Options());
    ASSERT_TRUE(result.ok());
    for (std::size_t h = 0; h < result.predicted.size(); ++h) {
      const double actual = all[static_cast<std::size_t>(hours) + h].v;
      covered += actual >= result.lower[h].v && actual <= result.upper[h].v ? 1 : 0;
      total += 1;
    }
    backtest += result.coverage / kSeries;
  }
  const double coverage = covered / total;
  std::printf("FIGURE forecast_coverage_gaussian_95 %.4f\n", coverage);
  std::printf("FIGURE forecast_backtest_coverage_gaussian_95 %.4f\n", backtest);
  EXPECT_GE(coverage, 0.85);
  EXPECT_LE(coverage, 0.99);
  EXPECT_GE(backtest, 0.80);
}

TEST(Forecast, GapsAreImputed) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  auto truth = [](int h) { return 100 + Daily(h, 10); };
  std::vector<Point> points;
  for (const Point& p : Hourly(14 * 24, truth)) {
    const int h = static_cast<int>((p.t - (kNow - (14 * 24 - 1) * kHour)) / kHour);
    if (h >= 200 && h < 212) continue;                   // a 12 h hole: missing steps
    const bool drop = h > 0 && u(rng) < 0.2;             // (a leading gap would be trimmed)
    points.push_back({p.t, drop ? std::nan("") : p.v});  // and NaN values
  }
  ForecastResult result = ForecastPoints({}, points, kHour, 7 * kDay, Options());
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.history.size(), 14u * 24);  // the grid is whole again
  for (const Point& p : result.predicted) ASSERT_TRUE(std::isfinite(p.v));
  const double mape = TrueMape(result, 14 * 24, truth);
  std::printf("FIGURE forecast_mape_gaps_percent %.4f\n", mape);
  EXPECT_LT(mape, 3.0);
}

TEST(Forecast, ConstantSeries) {
  auto points = Hourly(14 * 24, [](int) { return 42.0; });
  ForecastResult result = ForecastPoints({}, points, kHour, kDay, Options());
  ASSERT_TRUE(result.ok());
  for (std::size_t h = 0; h < result.predicted.size(); ++h) {
    EXPECT_NEAR(result.predicted[h].v, 42, 1e-9);
    EXPECT_NEAR(result.upper[h].v - result.lower[h].v, 0, 1e-6);
  }
  EXPECT_NEAR(result.mape, 0, 1e-9);
  EXPECT_NEAR(result.sigma, 0, 1e-9);
}

TEST(Forecast, ShortHistoryUsesHoltsLinearMethod) {
  auto points = Hourly(30, [](int h) { return 10 + 2.0 * h; });
  ForecastResult result = ForecastPoints({}, points, kHour, 10 * kHour, Options());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.season, 0);
  EXPECT_EQ(result.model, "holt linear (no season)");
  EXPECT_NEAR(result.predicted.back().v, 10 + 2.0 * 39, 0.5);
}

TEST(Forecast, TooFewValuesIsAnErrorNotAThrow) {
  std::vector<Point> points{{kNow, 1}, {kNow + kHour, std::nan("")}};
  ForecastResult result = ForecastPoints({}, points, kHour, kDay, Options());
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.predicted.empty());
  EXPECT_FALSE(ForecastPoints({}, {}, kHour, kDay, Options()).ok());
}

TEST(Forecast, DampedTrendFlattens) {
  auto points = Hourly(14 * 24, [](int h) { return 10 + h * 0.1; });
  ForecastOptions options;
  options.damped = true;
  ForecastResult damped = ForecastPoints({}, points, kHour, 14 * kDay, options);
  ForecastResult linear = ForecastPoints({}, points, kHour, 14 * kDay, Options());
  ASSERT_TRUE(damped.ok());
  EXPECT_GE(damped.phi, 0.8);
  EXPECT_LE(damped.phi, 0.98);
  EXPECT_NE(damped.model.find("damped"), std::string::npos);
  EXPECT_LT(damped.predicted.back().v, linear.predicted.back().v);
  EXPECT_NEAR(linear.predicted.back().v, 10 + 0.1 * (14 * 24 - 1 + 14 * 24), 0.5);
}

TEST(Forecast, FitCostIsBounded) {
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0, 1);
  auto points = Hourly(14 * 24, [&](int h) { return 100 + Daily(h, 10) + noise(rng); });
  double worst = 0, total = 0;
  constexpr int kRuns = 10;
  for (int i = 0; i < kRuns; ++i) {
    ForecastResult result = ForecastPoints({}, points, kHour, 7 * kDay, Options());
    worst = std::max(worst, result.fit_ms);
    total += result.fit_ms;
  }
  std::printf("FIGURE forecast_fit_ms_336_points %.3f\n", total / kRuns);
  std::printf("FIGURE forecast_fit_ms_336_points_worst %.3f\n", worst);
  EXPECT_LT(worst, 50.0);
}

// --- through the engine ----------------------------------------------------------------------

struct Engine {
  std::shared_ptr<query::promql::MemoryQueryable> data =
      std::make_shared<query::promql::MemoryQueryable>();
  std::unique_ptr<QueryEngine> engine;
  AnalyticsConfig config;
  void Start() { engine = MakeQueryableEngine(data); }
  AnalysisContext Context() {
    return AnalysisContext{*engine, config, kNow, kNow - 7 * kDay, kNow};
  }
};

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels labels;
  for (const auto& [name, value] : pairs) labels.push_back({name, value});
  std::sort(labels.begin(), labels.end());
  return labels;
}

TEST(ForecastEngine, ForecastExprAndSectionThroughPromQL) {
  Engine e;
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0, 0.002);
  e.data->Add(L({{"__name__", "queue_ratio"}, {"shard", "a"}}),
              Hourly(21 * 24, [&](int h) { return 0.5 + Daily(h, 0.1) + noise(rng); }));
  e.data->Add(L({{"__name__", "queue_ratio"}, {"shard", "b"}}),
              Hourly(21 * 24, [&](int h) { return 0.2 + Daily(h, 0.05) + noise(rng); }));
  e.Start();
  Watch watch;
  watch.name = "queue";
  watch.expr = "queue_ratio";
  watch.kind = WatchKind::kResource;
  watch.unit = "ratio";
  watch.threshold = 0.9;
  e.config.watches = {watch};
  AnalysisContext context = e.Context();

  std::string error;
  std::vector<ForecastResult> results =
      ForecastExpr(context, "queue_ratio", kNow, std::chrono::hours(24), &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].labels, L({{"shard", "a"}}));   // __name__ dropped
  EXPECT_EQ(results[0].history.size(), 14u * 24 + 1);  // forecast.history at forecast.step
  EXPECT_EQ(results[0].predicted.front().t, kNow + kHour);
  std::printf("FIGURE forecast_backtest_mape_engine_percent %.4f\n", results[0].mape);
  EXPECT_LT(results[0].mape, 3.0);

  // Chosen before fitting: the highest latest value, or with `lowest` the lowest.
  std::vector<ForecastResult> top =
      ForecastExpr(context, "queue_ratio", kNow, std::chrono::hours(24), &error, 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].labels, L({{"shard", "a"}}));
  top = ForecastExpr(context, "queue_ratio", kNow, std::chrono::hours(24), &error, 1, true);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].labels, L({{"shard", "b"}}));

  ReportSection section = BuildForecastsSection(context);
  EXPECT_TRUE(section.error.empty()) << section.error;
  std::size_t charts = 0, tables = 0;
  for (const ReportBlock& block : section.blocks) {
    if (const auto* chart = std::get_if<ReportChart>(&block)) {
      ++charts;
      EXPECT_EQ(chart->lines.size(), 2u);
      ASSERT_EQ(chart->bands.size(), 1u);
      EXPECT_EQ(chart->bands[0].lower.size(), 7u * 24);
      EXPECT_DOUBLE_EQ(chart->threshold, 0.9);
    }
    if (const auto* table = std::get_if<ReportTable>(&block)) {
      ++tables;
      ASSERT_EQ(table->rows.size(), 2u);
      EXPECT_EQ(table->rows[0][1], "{shard=\"a\"}");  // highest latest value first
      EXPECT_NE(table->rows[0][6], "n/a");            // MAPE beside the forecast
      EXPECT_NE(table->rows[0][7], "n/a");            // and coverage
    }
  }
  EXPECT_EQ(charts, 2u);
  EXPECT_EQ(tables, 1u);
  EXPECT_FALSE(section.notes.empty());
  EXPECT_EQ(section.data["forecasts"].size(), 2u);

  // A watch whose every query fails: the section says so instead of throwing.
  e.config.watches[0].expr = "rate(queue_ratio[5m]";  // not PromQL (config would refuse it)
  ReportSection failed = BuildForecastsSection(e.Context());
  EXPECT_FALSE(failed.error.empty());
}

// A watch of 1,000 series: only forecast.max_series are fitted, so the section's cost is the
// range query's.
TEST(ForecastEngine, SectionCostIsBoundedByMaxSeries) {
  Engine e;
  std::mt19937 rng(13);
  std::normal_distribution<double> noise(0, 0.01);  // below the 0.1 between series
  for (int s = 0; s < 1000; ++s) {
    const std::string id = std::to_string(s);
    e.data->Add(
        L({{"__name__", "handler_p95"}, {"action", id.c_str()}}),
        Hourly(14 * 24 + 1, [&](int h) { return 100 + s * 0.1 + Daily(h, 10) + noise(rng); }));
  }
  e.Start();
  Watch watch;
  watch.name = "handlers";
  watch.expr = "handler_p95";
  e.config.watches = {watch};
  const auto began = std::chrono::steady_clock::now();
  ReportSection section = BuildForecastsSection(e.Context());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
  std::printf("FIGURE forecast_section_ms_1000_series %.1f\n", ms);
  EXPECT_TRUE(section.error.empty());
  EXPECT_EQ(section.data["forecasts"].size(), 5u);
  EXPECT_EQ(section.data["forecasts"][0]["labels"]["action"], "999");
}

// Disk usage growing 1 %/day from 50 % over 40 days (so 90 % now): full in 10 days.
TEST(CapacityEngine, FillingDiskExhaustsWithinTenPercentOfTruth) {
  Engine e;
  std::mt19937 rng(9);
  std::normal_distribution<double> noise(0, 0.001);
  const double size = 1e12;
  const int hours = 40 * 24;
  auto fs = [](const char* metric, const char* mount) {
    return L({{"__name__", metric}, {"mountpoint", mount}, {"fstype", "ext4"}});
  };
  e.data->Add(fs("node_filesystem_size_bytes", "/"), Hourly(hours + 1, [&](int) { return size; }));
  e.data->Add(fs("node_filesystem_avail_bytes", "/"), Hourly(hours + 1, [&](int h) {
                return size * (1 - (0.5 + 0.01 * h / 24.0 + noise(rng)));
              }));
  e.data->Add(fs("node_filesystem_size_bytes", "/data"),
              Hourly(hours + 1, [&](int) { return size; }));
  e.data->Add(fs("node_filesystem_avail_bytes", "/data"),
              Hourly(hours + 1, [&](int) { return size * (1 - (0.4 + noise(rng))); }));
  e.Start();
  e.config.forecast.history = std::chrono::hours(40 * 24);
  AnalysisContext context = e.Context();

  std::vector<std::string> errors;
  std::vector<CapacityRunway> runways = CapacityRunways(context, kNow, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(runways.size(), 2u);  // memory, cpu, per-player: no data; the driver: none
  const CapacityRunway& full = runways[0];
  ASSERT_EQ(*promql::GetLabel(full.forecast.labels, "mountpoint"), "/");
  ASSERT_TRUE(full.runway.at.has_value());
  const double eta_days = static_cast<double>(*full.runway.at - kNow) / kDay;
  std::printf("FIGURE capacity_disk_eta_days %.3f (truth 10)\n", eta_days);
  EXPECT_NEAR(eta_days, 10.0, 1.0);
  ASSERT_TRUE(full.runway.earliest && full.runway.latest);
  EXPECT_LE(*full.runway.earliest, *full.runway.at);
  EXPECT_GE(*full.runway.latest, *full.runway.at);
  EXPECT_GT(full.runway.confidence, 0.95);
  EXPECT_FALSE(runways[1].runway.at.has_value());  // the flat one: no exhaustion
  EXPECT_LT(runways[1].runway.confidence, 0.01);

  std::vector<Finding> findings = DetectExhaustion(context);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, "exhaustion");
  EXPECT_EQ(findings[0].watch, "filesystem");
  EXPECT_EQ(findings[0].severity, "warning");  // 10 d: within 14 d, not within 3 d
  EXPECT_NEAR(findings[0].magnitude / 86400, 10.0, 1.0);
  EXPECT_FALSE(findings[0].summary.empty());

  e.config.capacity.critical_within = std::chrono::hours(11 * 24);
  EXPECT_EQ(DetectExhaustion(e.Context())[0].severity, "critical");
  e.config.capacity.warn_within = std::chrono::hours(5 * 24);
  e.config.capacity.critical_within = std::chrono::hours(24);
  EXPECT_TRUE(DetectExhaustion(e.Context()).empty());

  e.config.capacity = CapacityOptions{};
  ReportSection section = BuildCapacitySection(context);
  EXPECT_TRUE(section.error.empty()) << section.error;
  bool has_findings = false;
  for (const ReportBlock& block : section.blocks) {
    if (const auto* f = std::get_if<ReportFindings>(&block)) has_findings = !f->findings.empty();
  }
  EXPECT_TRUE(has_findings);
  EXPECT_EQ(section.data["runways"].size(), 2u);
}

TEST(CapacityEngine, FailedQueriesAreReportedNotThrown) {
  Engine e;
  e.Start();
  e.config.capacity.resources = {MakeCapacityResource("broken", "sum(rate(x[5m])", 1.0, "ratio")};
  e.config.capacity.driver = "sum(";
  EXPECT_TRUE(DetectExhaustion(e.Context()).empty());
  ReportSection section = BuildCapacitySection(e.Context());
  EXPECT_NE(section.error.find("every capacity query failed"), std::string::npos);
  // No data at all (the shipped resources on a host without them): an empty runway, no error.
  e.config.capacity = CapacityOptions{};
  ReportSection empty = BuildCapacitySection(e.Context());
  EXPECT_TRUE(empty.error.empty());
  EXPECT_EQ(empty.data["runways"].size(), 0u);
}

TEST(Capacity, RunwayOfAFlatAndAFullForecast) {
  ForecastResult f;
  f.interval = 0.95;
  f.history = {{0, 0.5}, {kHour, 0.5}};
  for (int h = 1; h <= 10; ++h) {
    f.predicted.push_back({kHour + h * kHour, 0.5});
    f.lower.push_back({kHour + h * kHour, 0.4});
    f.upper.push_back({kHour + h * kHour, 0.6});
  }
  Runway flat = ComputeRunway(f, 1.0, 100 * kHour);
  EXPECT_FALSE(flat.at || flat.earliest || flat.latest || flat.exhausted_now);
  EXPECT_LT(flat.confidence, 1e-6);
  Runway none = ComputeRunway(f, std::numeric_limits<double>::infinity(), 100 * kHour);
  EXPECT_FALSE(none.at.has_value());
  Runway full = ComputeRunway(f, 0.5, 100 * kHour);
  EXPECT_TRUE(full.exhausted_now);
  EXPECT_EQ(full.confidence, 1.0);
  // Upper bound crosses 0.55 but the point forecast does not: earliest only, confidence < 1/2.
  Runway maybe = ComputeRunway(f, 0.55, 100 * kHour);
  EXPECT_FALSE(maybe.at.has_value());
  ASSERT_TRUE(maybe.earliest.has_value());
  EXPECT_GT(maybe.confidence, 0.1);
  EXPECT_LT(maybe.confidence, 0.5);
}

TEST(Capacity, UsageOnDriverIsRobustAndExactOnALine) {
  std::vector<double> x, y;
  for (int i = 0; i < 300; ++i) {  // under the 400 points fitted exactly
    x.push_back(i * 1.5);
    y.push_back(3 + 0.25 * i * 1.5);
  }
  y[10] = 1e6;  // outliers
  y[200] = -1e6;
  x[20] = std::nan("");
  LinearFit fit = FitUsageOnDriver(x, y);
  EXPECT_NEAR(fit.slope, 0.25, 1e-12);
  EXPECT_NEAR(fit.intercept, 3, 1e-9);
  EXPECT_EQ(fit.points, 299u);
  EXPECT_GT(fit.correlation, 0.95);  // Spearman's rho: two outliers barely move it
  EXPECT_FALSE(
      FitUsageOnDriver(std::vector<double>(5, 1.0), std::vector<double>{1, 2, 3, 4, 5}).ok());
}

TEST(Capacity, ScenarioDaysClosedForm) {
  LinearFit fit;
  fit.slope = 0.0004;
  fit.intercept = 0.1;
  // 0.8 at 1750 players; from 1000 at +25 %/week: 7 ln(1.75) / ln(1.25).
  EXPECT_NEAR(ScenarioDays(fit, 1000, 0.8, 25), 7 * std::log(1.75) / std::log(1.25), 1e-12);
  EXPECT_EQ(ScenarioDays(fit, 2000, 0.8, 25), 0.0);  // already there
  EXPECT_TRUE(std::isnan(ScenarioDays(fit, 1000, std::numeric_limits<double>::infinity(), 25)));
  fit.slope = -0.001;
  EXPECT_TRUE(std::isnan(ScenarioDays(fit, 1000, 0.8, 25)));  // usage falls with players
}

// CPU usage = a * players + b while players grow 1 %/day with a daily swing: the scenarios'
// days match the closed form from the same driver base.
TEST(CapacityEngine, GrowthScenariosMatchTheClosedForm) {
  Engine e;
  const int hours = 14 * 24 + 1;
  const double a = 0.0004, b = 0.1;
  auto players = [](int h) {
    return 1000 * std::pow(1.01, h / 24.0) * (1 + 0.3 * std::sin(2 * kPi * h / 24.0));
  };
  e.data->Add(L({{"__name__", "game_players"}, {"process", "p1"}}),
              Hourly(hours, [&](int h) { return players(h) / 2; }));
  e.data->Add(L({{"__name__", "game_players"}, {"process", "p2"}}),
              Hourly(hours, [&](int h) { return players(h) / 2; }));
  e.data->Add(L({{"__name__", "game_cpu_usage"}}),
              Hourly(hours, [&](int h) { return a * players(h) + b; }));
  e.Start();
  e.config.capacity.resources = {MakeCapacityResource("cpu", "game_cpu_usage", 0.8, "ratio")};
  AnalysisContext context = e.Context();

  std::vector<std::string> errors;
  std::vector<CapacityRunway> runways = CapacityRunways(context, kNow, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(runways.size(), 1u);
  const CapacityRunway& r = runways[0];
  EXPECT_NEAR(r.driver_fit.slope, a, 1e-9);
  EXPECT_NEAR(r.driver_fit.intercept, b, 1e-6);
  EXPECT_NEAR(r.driver_fit.correlation, 1.0, 1e-9);
  std::vector<double> last_week;
  for (int h = hours - 7 * 24; h < hours; ++h) last_week.push_back(players(h));
  const double base = Quantile(last_week, 0.95);
  EXPECT_NEAR(r.driver_base, base, 1e-6);
  ASSERT_EQ(r.scenario_days.size(), 3u);
  const double growth[] = {10, 25, 50};
  for (int i = 0; i < 3; ++i) {
    const double expected = 7 * std::log((0.8 - b) / a / base) / std::log(1 + growth[i] / 100);
    std::printf("FIGURE capacity_scenario_days_plus%d %.3f (closed form %.3f)\n",
                static_cast<int>(growth[i]), r.scenario_days[static_cast<std::size_t>(i)],
                expected);
    EXPECT_NEAR(r.scenario_days[static_cast<std::size_t>(i)], expected, 1e-3 * expected);
  }
  ReportSection section = BuildCapacitySection(context);
  EXPECT_TRUE(section.error.empty());
  bool sentence = false;
  for (const ReportBlock& block : section.blocks) {
    if (const auto* p = std::get_if<ReportParagraph>(&block)) {
      sentence = sentence || p->text.rfind("At +25 % driver per week, cpu reaches 80 % in", 0) == 0;
    }
  }
  EXPECT_TRUE(sentence);
}

// --- config ----------------------------------------------------------------------------------

template <class T>
T ParseYaml(const config::Section<T>& section, const std::string& yaml) {
  return section.Parse(ConfigNode(YAML::Load(yaml), "test.yaml"));
}

TEST(ForecastConfig, DefaultsAndKeys) {
  ForecastOptions defaults = ParseYaml(ForecastSection(), "{}");
  EXPECT_EQ(defaults, ForecastOptions{});
  EXPECT_EQ(defaults.history, std::chrono::hours(14 * 24));
  EXPECT_EQ(defaults.horizon, std::chrono::hours(7 * 24));
  EXPECT_DOUBLE_EQ(defaults.interval, 0.95);
  ForecastOptions set = ParseYaml(ForecastSection(),
                                  "{history: 28d, step: 30m, interval: 0.9, damped: true, "
                                  "backtest: 2d, kinds: [ux]}");
  EXPECT_EQ(set.step, std::chrono::minutes(30));
  EXPECT_TRUE(set.damped);
  EXPECT_EQ(set.backtest, std::chrono::hours(48));
  EXPECT_THROW(ParseYaml(ForecastSection(), "{interval: 1.5}"), ConfigError);
  EXPECT_THROW(ParseYaml(ForecastSection(), "{kinds: [bogus]}"), ConfigError);
  EXPECT_THROW(ParseYaml(ForecastSection(), "{history: 365d, step: 1m}"), ConfigError);
}

TEST(CapacityConfig, DefaultsKeysAndPromQLChecks) {
  CapacityOptions defaults = ParseYaml(CapacitySection(), "{}");
  EXPECT_EQ(defaults, CapacityOptions{});
  ASSERT_EQ(defaults.resources.size(), 4u);
  EXPECT_DOUBLE_EQ(defaults.resources[2].limit, 0.8);  // cpu saturation
  EXPECT_EQ(defaults.scenarios, (std::vector<double>{10, 25, 50}));
  CapacityOptions set =
      ParseYaml(CapacitySection(),
                "{resources: [{name: disk, expr: 'disk_used_ratio'}], scenarios: [5, 100], "
                "driver: 'sum(players)', warn_within: 7d, critical_within: 1d}");
  ASSERT_EQ(set.resources.size(), 1u);
  // Without a limit: a forecast, no runway.
  EXPECT_TRUE(std::isinf(set.resources[0].limit));
  EXPECT_EQ(set.scenarios, (std::vector<double>{5, 100}));
  EXPECT_THROW(ParseYaml(CapacitySection(), "{driver: 'sum(players'}"), ConfigError);
  EXPECT_THROW(ParseYaml(CapacitySection(), "{resources: [{name: x, expr: 'a +'}]}"), ConfigError);
  EXPECT_THROW(ParseYaml(CapacitySection(), "{resources: [{name: x}]}"), ConfigError);
  EXPECT_THROW(ParseYaml(CapacitySection(), "{scenarios: [0]}"), ConfigError);
  EXPECT_THROW(ParseYaml(CapacitySection(), "{warn_within: 1d, critical_within: 2d}"), ConfigError);
  EXPECT_THROW(ParseYaml(CapacitySection(), "{warn_within: 60d}"), ConfigError);
}

TEST(CapacityConfig, LimitFromACapacityReport) {
  // A report as `metricsd capacity` writes it (daemon/loadgen/capacity-report.schema.json).
  std::string path = ::testing::TempDir() + "capacity-report-" + std::to_string(::getpid()) + ".json";
  {
    std::FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(R"({"version": 1, "result": {"max_lossless_rate": 180000, "series": 40000}})", file);
    std::fclose(file);
  }
  auto resource_from = [](const std::string& file) {
    return "{resources: [{name: statsd_ingest, expr: 'sum(rate(metricsd_statsd_lines_total[5m]))', "
           "unit: lines/s, limit_from: '" + file + "'";
  };
  const std::string resource = resource_from(path);
  CapacityOptions options = ParseYaml(CapacitySection(), resource + "}]}");
  ASSERT_EQ(options.resources.size(), 1u);
  EXPECT_DOUBLE_EQ(options.resources[0].limit, 180000);
  options = ParseYaml(CapacitySection(), resource + ", limit_field: /result/series}]}");
  EXPECT_DOUBLE_EQ(options.resources[0].limit, 40000);
  // A missing file, a field that is not there or not a number, a bad pointer: errors at load.
  EXPECT_THROW(ParseYaml(CapacitySection(), resource_from(path + ".missing") + "}]}"), ConfigError);
  EXPECT_THROW(ParseYaml(CapacitySection(), resource + ", limit_field: /result/none}]}"), ConfigError);
  EXPECT_THROW(ParseYaml(CapacitySection(), resource + ", limit_field: /version/x}]}"), ConfigError);
  EXPECT_THROW(ParseYaml(CapacitySection(), resource + ", limit_field: result}]}"), ConfigError);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace metricsd::analytics
