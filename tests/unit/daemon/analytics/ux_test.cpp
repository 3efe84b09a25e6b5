// Apdex, frame smoothness and correlation on data whose truth is computed by hand.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/apdex.h"
#include "daemon/analytics/correlation.h"
#include "daemon/analytics/frame_smoothness.h"
#include "daemon/analytics/ux.h"
#include "tests/unit/daemon/analytics/ux_test_support.h"

namespace metricsd::analytics {
namespace {

using testing::AddCounter;
using testing::AddGauge;
using testing::AddHistogram;
using testing::kEnd;
using testing::kStart;
using testing::MakeLabels;
constexpr double kInf = std::numeric_limits<double>::infinity();

// --- Apdex -------------------------------------------------------------------------------

TEST(Apdex, ExactBucketBounds) {
  // 60 at or below 0.1 s (satisfied), 30 more at or below 0.4 s (tolerating), 10 frustrated.
  std::vector<Bucket> buckets{{0.1, 60}, {0.4, 90}, {kInf, 100}};
  Apdex apdex = ComputeApdex(buckets, 0.1);
  EXPECT_DOUBLE_EQ(apdex.satisfied, 60);
  EXPECT_DOUBLE_EQ(apdex.tolerating, 30);
  EXPECT_DOUBLE_EQ(apdex.total, 100);
  EXPECT_DOUBLE_EQ(apdex.score, 0.75);
  EXPECT_FALSE(apdex.interpolated);
  EXPECT_FALSE(apdex.beyond);
  EXPECT_DOUBLE_EQ(ApdexFromBuckets(buckets, 0.1), 0.75);
}

TEST(Apdex, InterpolatesInsideBuckets) {
  std::vector<Bucket> buckets{{0.05, 40}, {0.2, 80}, {1.0, 96}, {kInf, 100}};
  // At T = 0.1: 40 + 40 * (0.05 / 0.15) = 53.33; at 4T = 0.4: 80 + 16 * (0.2 / 0.8) = 84.
  Apdex apdex = ComputeApdex(buckets, 0.1);
  EXPECT_NEAR(apdex.satisfied, 40 + 40.0 / 3, 1e-9);
  EXPECT_NEAR(apdex.tolerating, 84 - (40 + 40.0 / 3), 1e-9);
  EXPECT_NEAR(apdex.score, (40 + 40.0 / 3 + (84 - 40 - 40.0 / 3) / 2) / 100, 1e-12);
  EXPECT_TRUE(apdex.interpolated);
  EXPECT_FALSE(apdex.beyond);
}

TEST(Apdex, FirstBucketStartsAtZero) {
  std::vector<Bucket> buckets{{0.2, 50}, {kInf, 100}};
  EXPECT_NEAR(CumulativeCountAt(buckets, 0.05).count, 12.5, 1e-12);
}

TEST(Apdex, PastTheLastFiniteBoundIsALowerBound) {
  std::vector<Bucket> buckets{{0.1, 50}, {1.0, 90}, {kInf, 100}};
  Apdex apdex = ComputeApdex(buckets, 0.5);  // 4T = 2 s: past 1.0
  EXPECT_TRUE(apdex.beyond);
  // At 0.5: 50 + 40 * 0.4 / 0.9; at 2: 90 (the +Inf bucket's 10 are frustrated).
  double at_t = 50 + 40 * 0.4 / 0.9;
  EXPECT_NEAR(apdex.score, (at_t + (90 - at_t) / 2) / 100, 1e-12);
}

TEST(Apdex, NoObservationsIsNaN) {
  EXPECT_TRUE(std::isnan(ApdexFromBuckets({}, 0.1)));
  std::vector<Bucket> zero{{0.1, 0}, {kInf, 0}};
  EXPECT_TRUE(std::isnan(ApdexFromBuckets(zero, 0.1)));
}

TEST(Apdex, NormalizeSortsAndRepairsMonotonicity) {
  auto buckets = NormalizeBuckets({{kInf, 100}, {0.4, 89.9}, {0.1, 90}});
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_DOUBLE_EQ(buckets[0].le, 0.1);
  EXPECT_DOUBLE_EQ(buckets[1].count, 90);  // was 89.9 < 90 below it
}

TEST(Apdex, Bands) {
  EXPECT_EQ(ApdexBand(0.94), "excellent");
  EXPECT_EQ(ApdexBand(0.9399), "good");
  EXPECT_EQ(ApdexBand(0.85), "good");
  EXPECT_EQ(ApdexBand(0.8499), "fair");
  EXPECT_EQ(ApdexBand(0.70), "fair");
  EXPECT_EQ(ApdexBand(0.50), "poor");
  EXPECT_EQ(ApdexBand(0.4999), "unacceptable");
  EXPECT_EQ(ApdexBand(std::nan("")), "n/a");
}

TEST(Apdex, PromDuration) {
  EXPECT_EQ(PromDuration(3'600'000), "3600s");
  EXPECT_EQ(PromDuration(1'500), "1500ms");
  EXPECT_EQ(PromDuration(0), "1ms");
}

TEST(Apdex, ThroughTheEngineGroupedByLabels) {
  auto q = std::make_shared<query::promql::MemoryQueryable>();
  // Action "buy": per second 6 at <= 0.1, 9 at <= 0.4, 10 in all -> Apdex 0.75.
  AddHistogram(*q, "h_seconds", {{"action", "buy"}, {"instance", "a"}},
               {{"0.1", 3}, {"0.4", 4.5}, {"+Inf", 5}}, 1);
  AddHistogram(*q, "h_seconds", {{"action", "buy"}, {"instance", "b"}},
               {{"0.1", 3}, {"0.4", 4.5}, {"+Inf", 5}}, 1);
  // Action "sell": everything at or below 0.1 -> 1.0.
  AddHistogram(*q, "h_seconds", {{"action", "sell"}, {"instance", "a"}},
               {{"0.1", 2}, {"0.4", 2}, {"+Inf", 2}}, 0.1);
  auto engine = MakeQueryableEngine(q);
  BucketQuery result = QueryBuckets(*engine, "h_seconds_bucket", {"action"}, 3'600'000, kEnd);
  ASSERT_TRUE(result.error.empty()) << result.error;
  ASSERT_EQ(result.series.size(), 2u);
  EXPECT_EQ(result.series[0].labels, MakeLabels({{"action", "buy"}}));
  EXPECT_NEAR(ApdexFromBuckets(result.series[0].buckets, 0.1), 0.75, 1e-9);
  EXPECT_NEAR(ApdexFromBuckets(result.series[1].buckets, 0.1), 1.0, 1e-9);
  EXPECT_NEAR(TotalCount(result.series[0].buckets), 10 * 3600, 1e-6);
}

TEST(Apdex, ACounterResetInTheWindowChangesNothing) {
  // The process restarts 30 minutes before the end: every bucket counter starts again from 0.
  auto q = std::make_shared<query::promql::MemoryQueryable>();
  const query::promql::Timestamp restart = kEnd - 1'800'000;
  for (const auto& [le, rate] : std::vector<std::pair<std::string, double>>{
           {"0.1", 6}, {"0.4", 9}, {"+Inf", 10}}) {
    std::vector<query::promql::Point> points;
    for (query::promql::Timestamp t = kStart; t <= kEnd; t += testing::kScrape) {
      query::promql::Timestamp since = t >= restart ? restart : kStart;
      points.push_back({t, rate * static_cast<double>(t - since) / 1000});
    }
    q->Add(MakeLabels({{"__name__", "r_seconds_bucket"}, {"le", le}}), std::move(points));
  }
  auto engine = MakeQueryableEngine(q);
  BucketQuery result = QueryBuckets(*engine, "r_seconds_bucket", {}, 3'600'000, kEnd);
  ASSERT_EQ(result.series.size(), 1u);
  EXPECT_NEAR(ApdexFromBuckets(result.series[0].buckets, 0.1), 0.75, 1e-3);
}

// --- Frame smoothness ---------------------------------------------------------------------

TEST(FrameSmoothness, SharesAtTheGamesBucketBounds) {
  std::vector<Bucket> buckets{{0.008, 100}, {0.0167, 700}, {0.0333, 950}, {0.05, 990},
                              {0.1, 1000},  {0.25, 1000},  {kInf, 1000}};
  FrameShares shares = ComputeFrameShares(buckets);
  EXPECT_DOUBLE_EQ(shares.total, 1000);
  EXPECT_NEAR(shares.over_60, 0.30, 1e-12);
  EXPECT_NEAR(shares.over_30, 0.05, 1e-12);
  EXPECT_FALSE(shares.interpolated);
}

TEST(FrameSmoothness, InterpolatesOtherLayouts) {
  std::vector<Bucket> buckets{{0.01, 100}, {0.02, 700}, {0.04, 900}, {kInf, 1000}};
  FrameShares shares = ComputeFrameShares(buckets);
  // At 0.0167: 100 + 600 * 0.0067 / 0.01 = 502; at 0.0333: 700 + 200 * 0.0133 / 0.02 = 833.
  EXPECT_NEAR(shares.over_60, (1000 - 502) / 1000.0, 1e-9);
  EXPECT_NEAR(shares.over_30, (1000 - 833) / 1000.0, 1e-9);
  EXPECT_TRUE(shares.interpolated);
  EXPECT_TRUE(std::isnan(ComputeFrameShares({}).over_60));
}

TEST(FrameSmoothness, ThroughTheEngineWithAChart) {
  auto q = std::make_shared<query::promql::MemoryQueryable>();
  AddHistogram(*q, "game_ui_frame_seconds", {},
               {{"0.008", 10}, {"0.0167", 42}, {"0.0333", 57}, {"0.05", 60}, {"+Inf", 60}}, 1);
  auto engine = MakeQueryableEngine(q);
  FrameSmoothness frames = QueryFrameSmoothness(*engine, "game_ui_frame_seconds_bucket",
                                                kEnd - 3'600'000, kEnd, 300'000);
  ASSERT_TRUE(frames.error.empty()) << frames.error;
  EXPECT_NEAR(frames.overall.over_60, 18.0 / 60, 1e-9);
  EXPECT_NEAR(frames.overall.over_30, 3.0 / 60, 1e-9);
  ASSERT_EQ(frames.over_60_series.size(), 12u);
  for (const auto& p : frames.over_60_series) EXPECT_NEAR(p.v, 0.3, 1e-9);
}

// --- Correlation --------------------------------------------------------------------------

TEST(Correlation, PearsonOnKnownValues) {
  std::vector<double> x{1, 2, 3, 4, 5}, y{2, 4, 5, 4, 5};
  EXPECT_NEAR(Pearson(x, y), 6 / std::sqrt(60.0), 1e-12);
  std::vector<double> constant{3, 3, 3, 3, 3};
  EXPECT_TRUE(std::isnan(Pearson(x, constant)));
  EXPECT_TRUE(std::isnan(Pearson(std::vector<double>{1, 2}, std::vector<double>{1, 2})));
}

TEST(Correlation, MonotoneNonLinearIsSpearmanOne) {
  std::vector<double> x, y;
  for (int i = 1; i <= 30; ++i) {
    x.push_back(i);
    y.push_back(std::exp(i / 3.0));
  }
  EXPECT_NEAR(Spearman(x, y), 1.0, 1e-12);
  double r = Pearson(x, y);
  EXPECT_LT(r, 0.9);
  EXPECT_GT(r, 0.5);
  std::vector<double> down(y.rbegin(), y.rend());
  EXPECT_NEAR(Spearman(x, down), -1.0, 1e-12);
}

TEST(Correlation, TiesGetTheirAverageRank) {
  std::vector<double> values{10, 20, 20, 30, 20};
  std::vector<double> expected{1, 3, 3, 5, 3};
  EXPECT_EQ(Ranks(values), expected);
}

TEST(Correlation, IndependentNoiseIsNearZero) {
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> x(2000), y(2000);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = noise(rng);
    y[i] = noise(rng);
  }
  EXPECT_LT(std::abs(Pearson(x, y)), 0.06);
  EXPECT_LT(std::abs(Spearman(x, y)), 0.06);
  EXPECT_GT(CorrelationPValue(Spearman(x, y), x.size()), 0.01);
}

TEST(Correlation, PValueMatchesTheStudentT) {
  // r = 0.5, n = 20: t = 2.449 with 18 df, two-sided p = 0.02477 (numerical integration).
  EXPECT_NEAR(CorrelationPValue(0.5, 20), 0.0247696, 1e-6);
  EXPECT_DOUBLE_EQ(CorrelationPValue(0, 20), 1.0);
  EXPECT_DOUBLE_EQ(CorrelationPValue(1, 20), 0.0);
  EXPECT_TRUE(std::isnan(CorrelationPValue(0.5, 2)));
  EXPECT_NEAR(RegularizedIncompleteBeta(2, 3, 0.4), 0.5248, 1e-12);
  EXPECT_NEAR(RegularizedIncompleteBeta(1, 1, 0.3), 0.3, 1e-12);
}

TEST(Correlation, InnerJoinDropsMissingAndNaN) {
  std::vector<query::promql::Point> a{{0, 1}, {10, 2}, {20, std::nan("")}, {30, 4}};
  std::vector<query::promql::Point> b{{10, 20}, {20, 30}, {30, 40}, {40, 50}};
  Pairs pairs = InnerJoin(a, b);
  EXPECT_EQ(pairs.x, (std::vector<double>{2, 4}));
  EXPECT_EQ(pairs.y, (std::vector<double>{20, 40}));
  std::vector<double> grid = OnGrid(b, 0, 10, 5);
  EXPECT_TRUE(std::isnan(grid[0]));
  EXPECT_DOUBLE_EQ(grid[4], 50);
}

TEST(Correlation, LagSearchRecoversAKnownLag) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 1);
  constexpr int kLag = 7;
  std::vector<double> x(300), y(300, std::nan(""));
  double walk = 0;
  for (double& v : x) v = walk += noise(rng);
  for (std::size_t i = kLag; i < y.size(); ++i) y[i] = -2 * x[i - kLag] + 0.3 * noise(rng);
  x[50] = std::nan("");  // a gap
  LagCorrelation result = SearchLag(x, y, 24);
  EXPECT_EQ(result.lag, kLag);
  EXPECT_LT(result.spearman, -0.9);
  EXPECT_LT(result.pearson, -0.9);
  EXPECT_EQ(result.lags_tried, 49);
  EXPECT_EQ(result.n, 300u - kLag - 1);
  EXPECT_LT(result.p_adjusted, 1e-6);
  EXPECT_LE(result.p_value, result.p_adjusted);
}

TEST(Correlation, LagSearchOnNoiseIsNotSignificant) {
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> x(200), y(200);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = noise(rng);
    y[i] = noise(rng);
  }
  LagCorrelation result = SearchLag(x, y, 10);
  EXPECT_EQ(result.lags_tried, 21);
  EXPECT_GT(result.p_adjusted, 0.05);
  EXPECT_DOUBLE_EQ(result.p_adjusted, std::min(1.0, result.p_value * 21));
}

// --- The report sections through the engine --------------------------------------------

AnalyticsConfig ConfigWith(std::vector<Watch> watches) {
  AnalyticsConfig config;
  config.watches = std::move(watches);
  return config;
}

TEST(UxSection, ApdexPerWatchSeriesAndFrames) {
  auto q = std::make_shared<query::promql::MemoryQueryable>();
  AddHistogram(*q, "h_seconds", {{"action", "buy"}}, {{"0.1", 6}, {"0.4", 9}, {"+Inf", 10}}, 1);
  AddHistogram(*q, "game_ui_frame_seconds", {},
               {{"0.0167", 42}, {"0.0333", 57}, {"0.05", 60}, {"+Inf", 60}}, 1);
  auto engine = MakeQueryableEngine(q);
  Watch watch;
  watch.name = "h_p95";
  watch.expr = "histogram_quantile(0.95, sum by (action, le) (rate(h_seconds_bucket[5m])))";
  watch.histogram = "h_seconds_bucket";
  AnalyticsConfig config = ConfigWith({watch});
  AnalysisContext context{*engine, config, kEnd, kEnd - 3'600'000, kEnd};
  ReportSection section = BuildUxSection(context);
  EXPECT_EQ(section.id, "ux");
  EXPECT_TRUE(section.error.empty()) << section.error;
  ASSERT_EQ(section.data["apdex"].size(), 1u);
  EXPECT_NEAR(section.data["apdex"][0]["score"].get<double>(), 0.75, 1e-9);
  EXPECT_EQ(section.data["apdex"][0]["labels"]["action"], "buy");
  EXPECT_EQ(section.data["apdex"][0]["t_origin"], "ux.apdex_t");
  EXPECT_EQ(section.data["apdex"][0]["band"], "fair");
  EXPECT_NEAR(section.data["frames"]["share_over_16_7ms"].get<double>(), 0.3, 1e-9);
  EXPECT_FALSE(section.notes.empty());
  const ReportChart* apdex_chart = nullptr;
  for (const ReportBlock& block : section.blocks) {
    const auto* chart = std::get_if<ReportChart>(&block);
    if (chart != nullptr && chart->unit == "apdex") apdex_chart = chart;
  }
  ASSERT_NE(apdex_chart, nullptr);
  ASSERT_EQ(apdex_chart->lines.size(), 1u);
  EXPECT_EQ(apdex_chart->lines[0].points.size(), 12u);  // 1 h at 5 min, from the second step
  for (const auto& p : apdex_chart->lines[0].points) EXPECT_NEAR(p.v, 0.75, 1e-9);
}

TEST(UxSection, ApdexTComesFromWatchThenReferenceThenDefault) {
  UxOptions options;
  options.apdex_t = 0.25;
  Watch watch;
  std::string origin;
  EXPECT_DOUBLE_EQ(ApdexTFor(watch, options, &origin), 0.25);
  EXPECT_EQ(origin, "ux.apdex_t");
  watch.reference = "frame_60fps";
  EXPECT_DOUBLE_EQ(ApdexTFor(watch, options, &origin), 0.0167);
  EXPECT_EQ(origin, "reference frame_60fps");
  watch.apdex_t = 0.5;
  EXPECT_DOUBLE_EQ(ApdexTFor(watch, options, &origin), 0.5);
  EXPECT_EQ(origin, "watch");
}

TEST(CorrelationSection, FindsTheLagOfASatisfactionSignal) {
  auto q = std::make_shared<query::promql::MemoryQueryable>();
  // Latency peaks at a 90-minute period; session length falls 30 minutes after each peak.
  constexpr double kPeriod = 90 * 60'000.0;
  auto latency = [&](query::promql::Timestamp t) {
    double phase = static_cast<double>(t - kStart) / kPeriod * 2 * M_PI;
    return 0.2 + 0.1 * std::sin(phase) + 0.03 * std::sin(phase * 3.1);
  };
  AddGauge(*q, MakeLabels({{"__name__", "latency_seconds"}}), latency);
  AddGauge(*q, MakeLabels({{"__name__", "session_minutes"}}),
           [&](query::promql::Timestamp t) { return 40 - 50 * latency(t - 30 * 60'000); });
  auto engine = MakeQueryableEngine(q);
  Watch technical;
  technical.name = "latency";
  technical.expr = "latency_seconds";
  Watch satisfaction;
  satisfaction.name = "session";
  satisfaction.expr = "session_minutes";
  satisfaction.kind = WatchKind::kUx;
  satisfaction.direction = Direction::kLowerIsWorse;
  satisfaction.satisfaction = true;
  AnalyticsConfig config = ConfigWith({technical, satisfaction});
  AnalysisContext context{*engine, config, kEnd, kStart + 3'600'000, kEnd};
  ReportSection section = BuildCorrelationSection(context);
  EXPECT_TRUE(section.error.empty()) << section.error;
  ASSERT_EQ(section.data["pairs"].size(), 1u);
  EXPECT_DOUBLE_EQ(section.data["pairs"][0]["lag_seconds"].get<double>(), 1800);
  EXPECT_LT(section.data["pairs"][0]["spearman"].get<double>(), -0.99);
  EXPECT_EQ(section.data["pairs"][0]["lags_tried"].get<int>(), 49);

  AnalyticsConfig none = ConfigWith({technical});
  AnalysisContext without{*engine, none, kEnd, kStart, kEnd};
  ReportSection empty = BuildCorrelationSection(without);
  EXPECT_TRUE(empty.data["pairs"].empty());
  EXPECT_FALSE(empty.blocks.empty());
}

}  // namespace
}  // namespace metricsd::analytics
