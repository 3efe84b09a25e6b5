// Bootstrap intervals, impact analysis and ROI on synthetic data whose truth is known: the
// bootstrap's coverage of a known difference, a 20 % drop at an annotation found as improved
// with the true change inside its interval, no change found as no change, and ROI's money for
// a known saving in closed form.
#include "daemon/analytics/impact.h"

#include <chrono>
#include <cmath>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/analytics/analytics_db.h"
#include "daemon/analytics/annotation_api.h"
#include "daemon/analytics/bootstrap.h"
#include "daemon/analytics/roi.h"
#include "daemon/query/promql/memory_queryable.h"
#include "tests/unit/support/temp_dir.h"

namespace metricsd::analytics {
namespace {

using ::testing::HasSubstr;
namespace promql = query::promql;

constexpr Timestamp kMinute = 60 * 1000;
constexpr Timestamp kHour = 60 * kMinute;
// The annotation's time: 2026-12-01 12:00 UTC.
constexpr Timestamp kT0 = 1796126400000;

std::vector<double> Normal(std::mt19937& rng, double mean, double sigma, int n) {
  std::normal_distribution<double> normal(mean, sigma);
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(normal(rng));
  return out;
}

// --- bootstrap --------------------------------------------------------------------------

TEST(BootstrapTest, IdenticalSamplesGiveZeroDifference) {
  const std::vector<double> values = {1, 2, 3, 4, 5};
  const BootstrapResult r = BootstrapChange(values, values, {});
  ASSERT_TRUE(r.valid());
  EXPECT_EQ(r.before, 3);
  EXPECT_EQ(r.difference, 0);
  EXPECT_DOUBLE_EQ(r.ratio, 1);
  EXPECT_LE(r.difference_low, 0);
  EXPECT_GE(r.difference_high, 0);
  EXPECT_FALSE(r.significant());
}

TEST(BootstrapTest, EmptyOrNonFiniteSamplesAreInvalid) {
  const std::vector<double> nan = {std::nan(""), INFINITY};
  const std::vector<double> some = {1, 2};
  EXPECT_FALSE(BootstrapChange({}, some, {}).valid());
  EXPECT_FALSE(BootstrapChange(nan, some, {}).valid());
  const BootstrapResult zero = BootstrapChange(std::vector<double>{0, 0, 0}, some, {});
  EXPECT_TRUE(zero.valid());
  EXPECT_TRUE(std::isnan(zero.ratio)) << "no ratio from a zero before";
}

TEST(BootstrapTest, TheSameSeedGivesTheSameInterval) {
  std::mt19937 rng(7);
  const auto before = Normal(rng, 10, 1, 40), after = Normal(rng, 11, 1, 40);
  BootstrapOptions options;
  options.seed = 99;
  const BootstrapResult a = BootstrapChange(before, after, options), b = BootstrapChange(before, after, options);
  EXPECT_EQ(a.difference_low, b.difference_low);
  EXPECT_EQ(a.difference_high, b.difference_high);
  options.seed = 100;
  EXPECT_NE(BootstrapChange(before, after, options).difference_low, a.difference_low);
}

// Coverage: over many synthetic experiments with a known difference of population medians
// (and means), the 90 % interval holds it about 90 % of the time.
struct CoverageCase {
  BootstrapStatistic statistic;
  double confidence;
};

class BootstrapCoverageTest : public ::testing::TestWithParam<CoverageCase> {};

TEST_P(BootstrapCoverageTest, CoversTheTrueDifferenceAtAboutItsNominalRate) {
  const auto [statistic, confidence] = GetParam();
  constexpr int kTrials = 300;
  constexpr double kTrueDifference = 0.5;  // normal: median = mean
  std::mt19937 rng(20261203);
  int covered = 0;
  BootstrapOptions options;
  options.statistic = statistic;
  options.confidence = confidence;
  options.resamples = 400;
  for (int trial = 0; trial < kTrials; ++trial) {
    const auto before = Normal(rng, 10, 1, 60), after = Normal(rng, 10 + kTrueDifference, 1, 60);
    options.seed = static_cast<std::uint64_t>(trial) + 1;
    const BootstrapResult r = BootstrapChange(before, after, options);
    if (r.difference_low <= kTrueDifference && kTrueDifference <= r.difference_high) ++covered;
  }
  const double coverage = static_cast<double>(covered) / kTrials;
  std::cout << "coverage " << coverage << " at nominal " << confidence << "\n";
  // 300 trials: the binomial standard error at 0.9 is 0.017; percentile intervals of small
  // samples run a little narrow, so the band is wider below.
  EXPECT_GT(coverage, confidence - 0.07);
  EXPECT_LT(coverage, std::min(1.0, confidence + 0.05));
}

INSTANTIATE_TEST_SUITE_P(Statistics, BootstrapCoverageTest,
                         ::testing::Values(CoverageCase{BootstrapStatistic::kMedian, 0.9},
                                           CoverageCase{BootstrapStatistic::kMean, 0.9},
                                           CoverageCase{BootstrapStatistic::kMean, 0.8}));

TEST(BootstrapTest, AClearShiftExcludesZeroAndAStableOneRarelyDoes) {
  std::mt19937 rng(11);
  int shifted_significant = 0, stable_significant = 0;
  constexpr int kTrials = 50;
  for (int trial = 0; trial < kTrials; ++trial) {
    const auto before = Normal(rng, 100, 5, 100);
    const auto shifted = Normal(rng, 90, 5, 100);
    const auto stable = Normal(rng, 100, 5, 100);
    BootstrapOptions options;
    options.seed = static_cast<std::uint64_t>(trial);
    const BootstrapResult s = BootstrapChange(before, shifted, options);
    if (s.significant()) ++shifted_significant;
    EXPECT_NEAR(s.ratio, 0.9, 0.03);
    EXPECT_LT(s.ratio_low, s.ratio);
    EXPECT_GT(s.ratio_high, s.ratio);
    if (BootstrapChange(before, stable, options).significant()) ++stable_significant;
  }
  EXPECT_EQ(shifted_significant, kTrials) << "a 2-sigma shift over 100 points is never missed";
  EXPECT_LE(stable_significant, 8) << "about 5 % false positives at 95 %";
}

TEST(BootstrapTest, BlocksWidenTheIntervalOfAnAutocorrelatedSeries) {
  // AR(1) with phi 0.9: neighbouring points are alike; the plain bootstrap is too sure.
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> before, after;
  double x = 0;
  for (int i = 0; i < 400; ++i) {
    x = 0.9 * x + noise(rng);
    (i < 200 ? before : after).push_back(x);
  }
  BootstrapOptions plain;
  BootstrapOptions blocked;
  blocked.block = 10;
  const BootstrapResult p = BootstrapChange(before, after, plain), b = BootstrapChange(before, after, blocked);
  EXPECT_GT(b.difference_high - b.difference_low, 1.5 * (p.difference_high - p.difference_low));
  EXPECT_EQ(DefaultBlockLength(1), 1);
  EXPECT_EQ(DefaultBlockLength(288), 7);
}

// --- impact: the pure comparison ------------------------------------------------------------

TEST(CompareWindowsTest, VerdictsFollowTheDirection) {
  std::mt19937 rng(3);
  const auto before = Normal(rng, 1.0, 0.05, 200), lower = Normal(rng, 0.8, 0.05, 200);
  const ImpactOptions options;
  const Comparison latency = CompareWindows(before, lower, /*higher_is_worse=*/true, options, 1);
  EXPECT_EQ(latency.verdict, kImproved);
  EXPECT_NEAR(latency.change_percent, -20, 2);
  EXPECT_LT(latency.change_low, latency.change_percent);
  EXPECT_GT(latency.change_high, latency.change_percent);
  EXPECT_EQ(CompareWindows(before, lower, /*higher_is_worse=*/false, options, 1).verdict, kWorse)
      << "throughput down 20 % is worse";
  EXPECT_EQ(CompareWindows(lower, before, true, options, 1).verdict, kWorse);

  const std::vector<double> few = {1, 2, 3};
  EXPECT_EQ(CompareWindows(few, before, true, options, 1).verdict, kInsufficient);

  // Significant but under min_change (1 %): no change that matters.
  const auto tiny = Normal(rng, 0.995, 0.001, 500), base = Normal(rng, 1.0, 0.001, 500);
  const Comparison small = CompareWindows(base, tiny, true, options, 1);
  EXPECT_LT(small.difference_high, 0) << "statistically real";
  EXPECT_EQ(small.verdict, kNoChange);
}

TEST(ImpactWindowsTest, WindowsSkipTheSettleTimeAndStopAtNow) {
  Annotation a;
  a.time = kT0;
  a.time_end = kT0 + 30 * kMinute;
  const ImpactOptions options;  // 24h, 24h, 10m
  ImpactWindows w = WindowsFor(a, options, kT0 + 100 * kHour);
  EXPECT_EQ(w.before_start, kT0 - 24 * kHour);
  EXPECT_EQ(w.before_end, kT0);
  EXPECT_EQ(w.after_start, kT0 + 40 * kMinute);
  EXPECT_EQ(w.after_end, kT0 + 40 * kMinute + 24 * kHour);
  EXPECT_TRUE(w.after_complete);
  w = WindowsFor(a, options, kT0 + 2 * kHour);
  EXPECT_EQ(w.after_end, kT0 + 2 * kHour);
  EXPECT_FALSE(w.after_complete);
}

// --- impact through the engine ---------------------------------------------------------------

// Minute samples from t0 - 26h to t0 + 26h: `level_before` then `level_after` from t0, with
// N(0, noise) relative noise.
std::vector<promql::Point> Series(std::mt19937& rng, double level_before, double level_after, double noise) {
  std::normal_distribution<double> normal(0, noise);
  std::vector<promql::Point> points;
  for (Timestamp t = kT0 - 26 * kHour; t <= kT0 + 26 * kHour; t += kMinute) {
    const double level = t < kT0 ? level_before : level_after;
    points.push_back({t, level * (1 + normal(rng))});
  }
  return points;
}

promql::Labels Labels(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  promql::Labels labels;
  for (const auto& [name, value] : pairs) labels.push_back({name, value});
  std::sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return labels;
}

Watch MakeWatch(std::string name, std::string expr, Direction direction = Direction::kHigherIsWorse) {
  Watch w;
  w.name = std::move(name);
  w.expr = std::move(expr);
  w.direction = direction;
  return w;
}

class ImpactEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(42);
    auto queryable = std::make_shared<promql::MemoryQueryable>();
    // Latency of two handlers: both 20 % faster from t0.
    queryable->Add(Labels({{"__name__", "handler_seconds"}, {"action", "move"}}), Series(rng, 0.100, 0.080, 0.03));
    queryable->Add(Labels({{"__name__", "handler_seconds"}, {"action", "attack"}}), Series(rng, 0.200, 0.160, 0.03));
    // Frame time: unchanged.
    queryable->Add(Labels({{"__name__", "frame_seconds"}}), Series(rng, 0.016, 0.016, 0.03));
    // Throughput (lower is worse): up 10 %.
    queryable->Add(Labels({{"__name__", "ops_per_second"}}), Series(rng, 1000, 1100, 0.02));
    // Resources for ROI: CPU busy seconds at 3 cores then 2, memory 4 GiB then 3 GiB.
    std::vector<promql::Point> cpu;
    double busy = 0;
    for (Timestamp t = kT0 - 26 * kHour; t <= kT0 + 26 * kHour; t += 15 * 1000) {
      cpu.push_back({t, busy});
      busy += (t < kT0 ? 3.0 : 2.0) * 15;
    }
    queryable->Add(Labels({{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "user"}}), cpu);
    std::vector<promql::Point> memory, used_gauge;
    for (Timestamp t = kT0 - 26 * kHour; t <= kT0 + 26 * kHour; t += kMinute) {
      memory.push_back({t, (t < kT0 ? 4.0 : 3.0) * 1024 * 1024 * 1024});
    }
    queryable->Add(Labels({{"__name__", "process_resident_memory_bytes"}, {"job", "a"}}), memory);
    engine_ = MakeQueryableEngine(queryable);

    config_.watches = {MakeWatch("handler_p95", "handler_seconds"), MakeWatch("frame_time", "frame_seconds"),
                       MakeWatch("throughput", "ops_per_second", Direction::kLowerIsWorse),
                       MakeWatch("broken", "sum(")};
    config_.impact.resamples = 400;
    annotation_.time = annotation_.time_end = kT0;
    annotation_.text = "faster handlers";
    annotation_.tags = {"optimization", "deploy"};
  }

  AnalysisContext Context(AnalyticsDb* db = nullptr) {
    return AnalysisContext{*engine_, config_, kT0 + 30 * kHour, kT0 - 48 * kHour, kT0 + 30 * kHour, db};
  }

  const WatchImpact& Find(const ImpactResult& result, const std::string& name) {
    for (const WatchImpact& w : result.watches) {
      if (w.watch == name) return w;
    }
    ADD_FAILURE() << "no watch " << name;
    return result.watches.front();
  }

  std::unique_ptr<QueryEngine> engine_;
  AnalyticsConfig config_;
  Annotation annotation_;
};

TEST_F(ImpactEngineTest, ATwentyPercentDropIsImprovedWithTheTrueChangeInItsInterval) {
  const ImpactResult result = ComputeImpact(Context(), annotation_);
  ASSERT_EQ(result.watches.size(), 4u);
  const WatchImpact& handler = Find(result, "handler_p95");
  EXPECT_EQ(handler.aggregate.verdict, kImproved);
  EXPECT_LE(handler.aggregate.change_low, -20);
  EXPECT_GE(handler.aggregate.change_high, -20);
  EXPECT_NEAR(handler.aggregate.change_percent, -20, 2);
  EXPECT_EQ(handler.aggregate.before_points, 24u * 12) << "24 h at a 5 m step";
  EXPECT_EQ(handler.series_total, 2u);
  ASSERT_EQ(handler.series.size(), 2u);
  for (const auto& series : handler.series) {
    EXPECT_EQ(series.comparison.verdict, kImproved) << series.labels;
    EXPECT_LE(series.comparison.change_low, -20) << series.labels;
    EXPECT_GE(series.comparison.change_high, -20) << series.labels;
  }
  EXPECT_THAT(handler.series[0].labels, HasSubstr("action="));
  std::cout << "handler change " << handler.aggregate.change_percent << " % in [" << handler.aggregate.change_low
            << ", " << handler.aggregate.change_high << "]\n";

  const WatchImpact& frame = Find(result, "frame_time");
  EXPECT_EQ(frame.aggregate.verdict, kNoChange);
  EXPECT_LE(frame.aggregate.change_low, 0);
  EXPECT_GE(frame.aggregate.change_high, 0);

  const WatchImpact& throughput = Find(result, "throughput");
  EXPECT_EQ(throughput.aggregate.verdict, kImproved) << "higher throughput is better";
  EXPECT_NEAR(throughput.aggregate.change_percent, 10, 1.5);

  EXPECT_FALSE(Find(result, "broken").error.empty());
}

TEST_F(ImpactEngineTest, ImpactOfIsStoredAndServedByTheRoute) {
  TempDir dir;
  auto db = AnalyticsDb::Open(dir.path());
  annotation_.id = db->AddAnnotation(annotation_);
  const AnalysisContext context = Context(db.get());
  const nlohmann::json json = ImpactOf(context, annotation_);
  EXPECT_FALSE(json.contains("store_error"));
  EXPECT_EQ(json["annotation"]["id"], annotation_.id);
  EXPECT_TRUE(json["windows"]["after_complete"].get<bool>());
  ASSERT_EQ(json["watches"].size(), 4u);
  EXPECT_EQ(json["watches"][0]["verdict"], kImproved);
  EXPECT_TRUE(json["watches"][3]["before_median"].is_null()) << "NaN as null";
  const std::optional<std::string> stored = db->LatestImpact(annotation_.id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(nlohmann::json::parse(*stored), json);

  ContextRunner run = [&](const std::function<void(const AnalysisContext&)>& analyse) {
    analyse(context);
    return true;
  };
  HttpResponse ok = HandleImpact(HttpRequest{http::verb::get, "/api/v1/analytics/impact?id=" + std::to_string(annotation_.id), 11}, run);
  ASSERT_EQ(ok.result(), http::status::ok) << ok.body();
  const nlohmann::json body = nlohmann::json::parse(ok.body());
  EXPECT_EQ(body["status"], "success");
  EXPECT_EQ(body["data"], json) << "the stored, complete result";
  EXPECT_EQ(HandleImpact(HttpRequest{http::verb::get, "/api/v1/analytics/impact?id=999", 11}, run).result(),
            http::status::not_found);
  EXPECT_EQ(HandleImpact(HttpRequest{http::verb::get, "/api/v1/analytics/impact?id=x", 11}, run).result(),
            http::status::bad_request);
  ContextRunner off = [](const std::function<void(const AnalysisContext&)>&) { return false; };
  EXPECT_EQ(HandleImpact(HttpRequest{http::verb::get, "/api/v1/analytics/impact?id=1", 11}, off).result(),
            http::status::service_unavailable);
  EXPECT_EQ(ImpactRoutes(run).front().path, "/api/v1/analytics/impact");
}

TEST_F(ImpactEngineTest, TheSectionHasATablePerAnnotationAndAChartWithItsMarker) {
  TempDir dir;
  auto db = AnalyticsDb::Open(dir.path());
  annotation_.id = db->AddAnnotation(annotation_);
  Annotation outside = annotation_;
  outside.time = outside.time_end = kT0 - 100 * kHour;
  db->AddAnnotation(outside);
  const ReportSection section = BuildImpactSection(Context(db.get()));
  EXPECT_EQ(section.id, "impact");
  EXPECT_TRUE(section.error.empty()) << section.error;
  ASSERT_EQ(section.data.size(), 1u) << "only the annotation in range";
  const ReportTable* table = nullptr;
  const ReportChart* chart = nullptr;
  for (const ReportBlock& block : section.blocks) {
    if (const auto* t = std::get_if<ReportTable>(&block)) table = t;
    if (const auto* c = std::get_if<ReportChart>(&block)) chart = c;
  }
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(table->rows.size(), 4u);
  EXPECT_EQ(table->rows[0][0], "handler_p95");
  EXPECT_EQ(table->rows[0][5], kImproved);
  ASSERT_NE(chart, nullptr);
  EXPECT_THAT(chart->title, HasSubstr("handler_p95")) << "the watch that changed most";
  ASSERT_FALSE(chart->markers.empty());
  EXPECT_EQ(chart->markers[0].t, kT0);
  EXPECT_FALSE(section.notes.empty());
  EXPECT_TRUE(db->LatestImpact(annotation_.id).has_value()) << "the section stores what it computed";

  AnalysisContext empty = Context(db.get());
  empty.start = empty.end = kT0 + 1000 * kHour;
  const ReportSection none = BuildImpactSection(empty);
  ASSERT_EQ(none.blocks.size(), 1u);
  EXPECT_THAT(std::get<ReportParagraph>(none.blocks[0]).text, HasSubstr("No annotations"));
  const ReportSection no_db = BuildImpactSection(Context());
  EXPECT_THAT(std::get<ReportParagraph>(no_db.blocks[0]).text, HasSubstr("No analytics database"));
}

// --- ROI ------------------------------------------------------------------------------------

TEST(RoiTest, TheArithmeticInClosedForm) {
  CostModel model;
  model.cpu_hour = 0.05;
  model.memory_gib_month = 2.0;
  model.disk_gib_month = 0.1;
  model.player_minute = 0.001;
  model.churn_point = 500;
  RoiMeasurements m;
  m.cpu_before = 3;
  m.cpu_after = 2;
  m.memory_before = 4.0 * (1 << 30);
  m.memory_after = 3.0 * (1 << 30);
  m.players_before = 100;
  m.players_after = 102;
  m.churn_before = 0.05;
  m.churn_after = 0.04;
  const RoiEstimate e = EstimateRoi(model, m);
  ASSERT_EQ(e.lines.size(), 5u);
  EXPECT_DOUBLE_EQ(e.lines[0].per_month, 1 * 0.05 * 730);  // 36.5
  EXPECT_DOUBLE_EQ(e.lines[1].per_month, 1 * 2.0);
  EXPECT_TRUE(std::isnan(e.lines[2].per_month)) << "disk not measured";
  EXPECT_THAT(e.lines[2].note, HasSubstr("not measured"));
  EXPECT_DOUBLE_EQ(e.lines[3].per_month, 2 * 60 * 730 * 0.001);  // 87.6
  EXPECT_NEAR(e.lines[4].per_month, 1 * 500, 1e-9);  // one point less churn
  EXPECT_NEAR(e.total_per_month, 36.5 + 2 + 87.6 + 500, 1e-9);
  EXPECT_EQ(e.currency, "USD");
  EXPECT_THAT(e.lines[0].price_text, HasSubstr("0.05 USD/CPU-hour x 730 h/month"));

  model.player_minute = 0;
  EXPECT_THAT(EstimateRoi(model, m).lines[3].note, HasSubstr("not counted"));
}

TEST_F(ImpactEngineTest, RoiOfAOneCoreSavingThroughTheDefaultCpuQuery) {
  config_.cost.cpu_hour = 0.05;
  config_.cost.memory = "process_resident_memory_bytes";
  config_.cost.memory_gib_month = 2.0;
  std::vector<std::string> errors;
  const RoiEstimate e = RoiOf(Context(), annotation_, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(e.lines.size(), 5u);
  EXPECT_NEAR(e.lines[0].before, 3, 1e-6);
  EXPECT_NEAR(e.lines[0].after, 2, 1e-6);
  EXPECT_NEAR(e.lines[0].per_month, 36.5, 1e-4) << "1 core x 0.05 x 730";
  EXPECT_NEAR(e.lines[1].change, 1.0, 1e-9) << "GiB";
  EXPECT_NEAR(e.total_per_month, 36.5 + 2.0, 1e-4);
  EXPECT_TRUE(std::isnan(e.lines[3].change)) << "no game_players series";
}

TEST_F(ImpactEngineTest, TheRoiSectionCoversTaggedAnnotationsAndPrintsItsAssumptions) {
  TempDir dir;
  auto db = AnalyticsDb::Open(dir.path());
  config_.cost.memory = "process_resident_memory_bytes";
  db->AddAnnotation(annotation_);
  Annotation untagged = annotation_;
  untagged.tags = {"deploy"};
  db->AddAnnotation(untagged);
  const ReportSection section = BuildRoiSection(Context(db.get()));
  EXPECT_EQ(section.id, "roi");
  ASSERT_EQ(section.data.size(), 1u) << "only the one tagged optimization";
  EXPECT_NEAR(section.data[0]["total_per_month"].get<double>(), 1 * 0.04 * 730 + 1 * 3.0, 1e-4);
  EXPECT_GE(section.notes.size(), 4u);
  EXPECT_THAT(section.notes.back(), HasSubstr("node_cpu_seconds_total"));

  config_.cost.tag.clear();
  EXPECT_EQ(BuildRoiSection(Context(db.get())).data.size(), 2u) << "every annotation";
}

}  // namespace
}  // namespace metricsd::analytics

namespace metricsd::analytics {
namespace {

// Cost: 10 watches of 20 series each, 52 h of minute samples, default options (1000
// resamples): what one annotation of a report costs. Printed; the bound is loose (shared CI
// machines), it catches an accidental blow-up, not a regression of a few percent.
TEST(ImpactCostTest, TenWatchesOfTwentySeriesStayBounded) {
  std::mt19937 rng(8);
  auto queryable = std::make_shared<promql::MemoryQueryable>();
  AnalyticsConfig config;
  config.watches.clear();
  for (int w = 0; w < 10; ++w) {
    const std::string name = "metric_" + std::to_string(w);
    for (int s = 0; s < 20; ++s) {
      queryable->Add(Labels({{"__name__", name}, {"instance", std::to_string(s)}}), Series(rng, 1 + s, 1 + s, 0.05));
    }
    config.watches.push_back(MakeWatch(name, name));
  }
  auto engine = MakeQueryableEngine(queryable);
  Annotation annotation;
  annotation.time = annotation.time_end = kT0;
  const AnalysisContext context{*engine, config, kT0 + 30 * kHour, kT0 - kHour, kT0 + kHour, nullptr};
  const auto start = std::chrono::steady_clock::now();
  const ImpactResult result = ComputeImpact(context, annotation);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "impact of 10 watches x 20 series: " << seconds << " s\n";
  ASSERT_EQ(result.watches.size(), 10u);
  int no_change = 0;
  for (const WatchImpact& w : result.watches) no_change += w.aggregate.verdict == kNoChange ? 1 : 0;
  EXPECT_GE(no_change, 9) << "no step anywhere: at most one false positive at 95 %";
}

}  // namespace
}  // namespace metricsd::analytics
