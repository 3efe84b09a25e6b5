// Trends ("gradual degradation") on synthetic series with known truth: a noisy ramp toward a
// threshold (found, slope within its interval, ETA right), pure noise (no findings across
// seeded series), a step (the test reacts: documented), gaps, the lower-is-worse direction,
// the options' bounds, and the whole path through the real PromQL engine.
#include "daemon/analytics/trend.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "daemon/core/config_node.h"
#include "daemon/query/promql/memory_queryable.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {

using query::promql::Labels;
using query::promql::Point;
using query::promql::Timestamp;

constexpr Timestamp kNow = 1'800'000'000'000;  // 2027-01-15, a whole hour
constexpr Timestamp kHour = 3'600'000;
constexpr Timestamp kDay = 24 * kHour;

// 7 days hourly ending at kNow: level(t) = base + per_day * days since the start, + noise.
std::vector<Point> Ramp(double base, double per_day, double noise_sd, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, noise_sd);
  std::vector<Point> points;
  for (Timestamp t = kNow - 7 * kDay; t <= kNow; t += kHour) {
    const double days = static_cast<double>(t - (kNow - 7 * kDay)) / kDay;
    points.push_back({t, base + per_day * days + noise(rng)});
  }
  return points;
}

Watch LatencyWatch(double threshold) {
  Watch w;
  w.name = "p95";
  w.expr = "latency_p95";
  w.threshold = threshold;
  return w;
}

TEST(TrendTest, NoisyRampTowardThresholdIsADegradationWithTheRightEta) {
  // 0.5 s rising 0.02 s/day: 0.64 s now; threshold 0.8 s is reached in 8 days.
  const std::vector<Point> points = Ramp(0.5, 0.02, 0.01, 1);
  const TrendOptions options;
  const TrendAssessment a = AssessTrend(points, LatencyWatch(0.8), options, kNow);
  EXPECT_TRUE(a.significant);
  EXPECT_TRUE(a.degradation) << a.reason;
  EXPECT_FALSE(a.crossed);
  EXPECT_NEAR(a.slope_per_day, 0.02, 0.002);
  EXPECT_LE(a.fit.slope_lower * 86400, 0.02);
  EXPECT_GE(a.fit.slope_upper * 86400, 0.02);
  EXPECT_NEAR(a.level, 0.64, 0.01);
  const double eta_days = (a.eta - static_cast<double>(kNow) / 1000) / 86400;
  EXPECT_NEAR(eta_days, 8.0, 0.5);
  EXPECT_LT(a.p, 1e-6);
  // 0.02 s/day against a median of about 0.57 s: +3.5 % per day, worse is positive.
  EXPECT_NEAR(a.change_percent_per_day, 0.02 / 0.57 * 100, 0.4);

  const Finding f = TrendFinding(a, LatencyWatch(0.8), {{"job", "ao"}}, kNow - 7 * kDay, kNow);
  EXPECT_EQ(f.kind, "degradation");
  EXPECT_EQ(f.watch, "p95");
  EXPECT_EQ(f.start, kNow - 7 * kDay);
  EXPECT_GT(f.confidence, 0.99);
  EXPECT_NE(f.summary.find("per day"), std::string::npos) << f.summary;
  EXPECT_NE(f.summary.find("threshold"), std::string::npos) << f.summary;
  EXPECT_NEAR(f.details["eta"].get<double>(), a.eta, 1e-6);
  EXPECT_NEAR(f.details["slope_per_day"].get<double>(), a.slope_per_day, 1e-12);
}

TEST(TrendTest, CrossingAfterTheHorizonOrAlreadyCrossedIsNoFinding) {
  const std::vector<Point> points = Ramp(0.5, 0.02, 0.01, 2);
  const TrendOptions options;
  // 2 s is (2 - 0.64) / 0.02 = 68 days away: beyond 14 days.
  const TrendAssessment far = AssessTrend(points, LatencyWatch(2.0), options, kNow);
  EXPECT_TRUE(far.significant);
  EXPECT_FALSE(far.degradation);
  EXPECT_NEAR((far.eta - static_cast<double>(kNow) / 1000) / 86400, 68, 4);
  // 0.6 s is already behind the fitted level: a regression's business, not an early warning.
  const TrendAssessment past = AssessTrend(points, LatencyWatch(0.6), options, kNow);
  EXPECT_TRUE(past.crossed);
  EXPECT_FALSE(past.degradation);
  EXPECT_TRUE(std::isnan(past.eta));
}

// 50 seeded noise series, no threshold and no minimum change: only the test decides. At a
// one-sided alpha of 0.01 about 0.5 are expected; at most 3 pass.
TEST(TrendTest, PureNoiseGivesAlmostNoFindings) {
  TrendOptions options;
  options.min_change = 0;
  int found = 0;
  for (unsigned seed = 100; seed < 150; ++seed) {
    const TrendAssessment a =
        AssessTrend(Ramp(1.0, 0.0, 0.1, seed), LatencyWatch(kNaN), options, kNow);
    found += a.degradation;
  }
  EXPECT_LE(found, 3);
  // With the default min_change (10 % over the range) none pass.
  found = 0;
  for (unsigned seed = 100; seed < 150; ++seed) {
    found += AssessTrend(Ramp(1.0, 0.0, 0.1, seed), LatencyWatch(kNaN), TrendOptions{}, kNow)
                 .degradation;
  }
  EXPECT_EQ(found, 0);
}

// Daily seasonality without a trend (amplitude 30 % of the level): the seasons cancel over
// whole days, so neither the default min_change nor a threshold 50 % above gives findings.
TEST(TrendTest, DailySeasonWithoutTrendIsNotADegradation) {
  int found = 0, found_threshold = 0;
  for (unsigned seed = 200; seed < 230; ++seed) {
    std::vector<Point> points = Ramp(1.0, 0.0, 0.05, seed);
    for (Point& p : points) {
      p.v += 0.3 * std::sin(2 * 3.14159265358979 * static_cast<double>(p.t % kDay) / kDay);
    }
    found += AssessTrend(points, LatencyWatch(kNaN), TrendOptions{}, kNow).degradation;
    found_threshold += AssessTrend(points, LatencyWatch(1.5), TrendOptions{}, kNow).degradation;
  }
  EXPECT_LE(found, 1);
  EXPECT_LE(found_threshold, 1);
}

// A level shift is monotonic too: Mann-Kendall reacts to a 20 % step in the middle of the
// range (the regressions section is what tells a step from a ramp). Documented in the notes.
TEST(TrendTest, StepChangeMakesTheTestReact) {
  std::vector<Point> points = Ramp(1.0, 0.0, 0.05, 3);
  for (std::size_t i = points.size() / 2; i < points.size(); ++i) points[i].v += 0.2;
  const TrendAssessment a = AssessTrend(points, LatencyWatch(kNaN), TrendOptions{}, kNow);
  EXPECT_TRUE(a.significant);
  EXPECT_GT(a.change_percent_range, 10);
  EXPECT_TRUE(a.degradation);
}

TEST(TrendTest, GapsAreSkipped) {
  std::vector<Point> points = Ramp(0.5, 0.02, 0.01, 4);
  for (std::size_t i = 20; i < 80; ++i) points[i].v = kNaN;  // a 2.5 day hole
  const TrendAssessment a = AssessTrend(points, LatencyWatch(0.8), TrendOptions{}, kNow);
  EXPECT_TRUE(a.degradation) << a.reason;
  EXPECT_NEAR(a.slope_per_day, 0.02, 0.003);
  // Almost nothing left: not judged.
  std::vector<Point> sparse(points.size(), Point{0, kNaN});
  for (std::size_t i = 0; i < sparse.size(); ++i) sparse[i].t = points[i].t;
  sparse[3].v = 1;
  sparse[9].v = 2;
  const TrendAssessment none = AssessTrend(sparse, LatencyWatch(0.8), TrendOptions{}, kNow);
  EXPECT_FALSE(none.degradation);
  EXPECT_NE(none.reason.find("too few"), std::string::npos);
}

TEST(TrendTest, LowerIsWorseLooksDownward) {
  Watch throughput = LatencyWatch(700);  // ops/s, critical below 700
  throughput.direction = Direction::kLowerIsWorse;
  throughput.unit = "ops/s";
  // 1000 ops/s falling 20 per day: 860 now, 700 in 8 days.
  const std::vector<Point> falling = Ramp(1000, -20, 5, 5);
  const TrendAssessment a = AssessTrend(falling, throughput, TrendOptions{}, kNow);
  EXPECT_TRUE(a.degradation) << a.reason;
  EXPECT_GT(a.change_percent_per_day, 0);  // worse is positive
  EXPECT_NEAR((a.eta - static_cast<double>(kNow) / 1000) / 86400, 8, 0.5);
  // Rising throughput is an improvement: no finding, and no ETA.
  const std::vector<Point> rising = Ramp(1000, 20, 5, 6);
  const TrendAssessment b = AssessTrend(rising, throughput, TrendOptions{}, kNow);
  EXPECT_FALSE(b.significant);
  EXPECT_FALSE(b.degradation);
  EXPECT_LT(b.change_percent_per_day, 0);
  EXPECT_TRUE(std::isnan(b.eta));
}

TEST(TrendTest, OptionsParseWithBounds) {
  const TrendOptions defaults = TrendSection().Parse(ParseYaml("{}", "t.yaml"));
  EXPECT_EQ(defaults, TrendOptions{});
  const TrendOptions set = TrendSection().Parse(
      ParseYaml("range: 14d\nstep: 30m\nalpha: 0.05\nhorizon: 30d\nmin_change: 5\n", "t.yaml"));
  EXPECT_EQ(set.range, std::chrono::hours(24 * 14));
  EXPECT_EQ(set.step, std::chrono::minutes(30));
  EXPECT_DOUBLE_EQ(set.alpha, 0.05);
  EXPECT_DOUBLE_EQ(set.min_change, 5);
  EXPECT_THROW(TrendSection().Parse(ParseYaml("alpha: 0.9\n", "t.yaml")), ConfigError);
  EXPECT_THROW(TrendSection().Parse(ParseYaml("range: 2h\nstep: 1h\n", "t.yaml")), ConfigError);
  EXPECT_THROW(TrendSection().Parse(ParseYaml("horizon: 1m\n", "t.yaml")), ConfigError);
  EXPECT_THROW(TrendSection().Parse(ParseYaml("rnage: 1d\n", "t.yaml")), ConfigError);
}

// The budget is a daily report over 7 days x 1,000 series in 5 s; the trend part of
// it (the default 169 hourly points per series) must be a small share of that.
TEST(TrendTest, AThousandWeeklySeriesAreAssessed) {
  std::vector<std::vector<Point>> series;
  for (unsigned seed = 0; seed < 1000; ++seed) series.push_back(Ramp(1.0, 0.01, 0.1, seed));
  const auto began = std::chrono::steady_clock::now();
  int assessed = 0;
  for (const auto& points : series) {
    assessed += std::isfinite(AssessTrend(points, LatencyWatch(1.5), TrendOptions{}, kNow).slope_per_day);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  RecordProperty("seconds_for_1000_series", std::to_string(seconds));
  std::printf("AssessTrend: 1000 series x 169 points in %.3f s\n", seconds);
  EXPECT_EQ(assessed, 1000);  // the time is printed: measured, not asserted
}

// A week at a 1-minute step (10,081 points): both the fit and the test are capped at 2,000
// run medians, so one series stays cheap and the answer unchanged.
TEST(TrendTest, MinuteStepWeekIsDownsampledAndStillRight) {
  std::mt19937 rng(77);
  std::normal_distribution<double> noise(0, 0.01);
  std::vector<Point> points;
  for (Timestamp t = kNow - 7 * kDay; t <= kNow; t += 60'000) {
    points.push_back(
        {t, 0.5 + 0.02 * static_cast<double>(t - (kNow - 7 * kDay)) / kDay + noise(rng)});
  }
  const auto began = std::chrono::steady_clock::now();
  const TrendAssessment a = AssessTrend(points, LatencyWatch(0.8), TrendOptions{}, kNow);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::printf("AssessTrend: one series of %zu points in %.3f s\n", points.size(), seconds);
  EXPECT_TRUE(a.fit.downsampled);
  EXPECT_EQ(a.test.n, kTheilSenMaxPoints);
  EXPECT_TRUE(a.degradation) << a.reason;
  EXPECT_NEAR(a.slope_per_day, 0.02, 0.001);
}

// The whole path: samples every minute in a MemoryQueryable, the real PromQL engine, the
// default 7d range at a 1h step.
class TrendEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto queryable = std::make_shared<query::promql::MemoryQueryable>();
    std::mt19937 rng(42);
    std::normal_distribution<double> noise(0, 0.01);
    std::vector<Point> rising, flat;
    for (Timestamp t = kNow - 8 * kDay; t <= kNow; t += 60'000) {
      const double days = static_cast<double>(t - (kNow - 8 * kDay)) / kDay;
      rising.push_back({t, 0.5 + 0.02 * days + noise(rng)});
      flat.push_back({t, 0.5 + noise(rng)});
    }
    queryable->Add({{"__name__", "latency_p95"}, {"process", "ao-1"}}, rising);
    queryable->Add({{"__name__", "latency_p95"}, {"process", "ao-2"}}, flat);
    engine_ = MakeQueryableEngine(queryable);
    config_.watches = {LatencyWatch(0.8)};
  }
  std::unique_ptr<QueryEngine> engine_;
  AnalyticsConfig config_;
};

TEST_F(TrendEngineTest, DetectTrendsFindsTheRisingSeriesOnly) {
  const AnalysisContext context{*engine_, config_, kNow, kNow - kDay, kNow};
  const std::vector<Finding> findings = DetectTrends(context);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, "degradation");
  EXPECT_EQ(findings[0].labels, (Labels{{"process", "ao-1"}}));
  EXPECT_EQ(findings[0].start, kNow - 7 * kDay);
  // 0.5 + 0.02 * 8 = 0.66 now: 0.8 is 7 days away.
  const double eta_days = (findings[0].details["eta"].get<double>() - kNow / 1000.0) / 86400;
  EXPECT_NEAR(eta_days, 7, 0.5);
  std::printf("example finding: %s\n", FindingToJson(findings[0]).dump().c_str());
}

TEST_F(TrendEngineTest, BuildTrendsSectionHasTableChartAndData) {
  const AnalysisContext context{*engine_, config_, kNow, kNow - kDay, kNow};
  const ReportSection section = BuildTrendsSection(context);
  EXPECT_EQ(section.id, "trends");
  EXPECT_TRUE(section.error.empty()) << section.error;
  int tables = 0, charts = 0, findings = 0;
  for (const ReportBlock& block : section.blocks) {
    if (const auto* table = std::get_if<ReportTable>(&block)) {
      ++tables;
      EXPECT_EQ(table->rows.size(), 2u);
      EXPECT_NE(table->rows[0].back().find("DEGRADATION"), std::string::npos);
    }
    if (const auto* chart = std::get_if<ReportChart>(&block)) {
      ++charts;
      EXPECT_DOUBLE_EQ(chart->threshold, 0.8);
      EXPECT_EQ(chart->lines.size(), 4u);  // two series, two fitted lines
    }
    if (const auto* f = std::get_if<ReportFindings>(&block)) findings += f->findings.size();
  }
  EXPECT_EQ(tables, 1);
  EXPECT_EQ(charts, 1);
  EXPECT_EQ(findings, 1);
  EXPECT_FALSE(section.notes.empty());
  EXPECT_EQ(section.data["watches"][0]["series"].size(), 2u);
}

TEST_F(TrendEngineTest, AFailingQueryIsReportedNotThrownFromTheSection) {
  config_.watches[0].expr = "rate(latency_p95[5m]) +";  // not PromQL
  const AnalysisContext context{*engine_, config_, kNow, kNow - kDay, kNow};
  const ReportSection section = BuildTrendsSection(context);
  EXPECT_FALSE(section.error.empty());
  EXPECT_THROW(DetectTrends(context), std::runtime_error);
}

}  // namespace
}  // namespace metricsd::analytics
