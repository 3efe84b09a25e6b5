// The foundation every method stands on: robust statistics against values computed by hand
// (R's type 7 quantiles), the analytics section's watches and their load errors with positions,
// findings as metricsd_analytics_* gauges, and report assembly in the listed order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "daemon/analytics/analytics_config.h"
#include "daemon/analytics/findings_source.h"
#include "daemon/analytics/query_engine.h"
#include "daemon/analytics/report.h"
#include "daemon/analytics/robust_stats.h"
#include "daemon/query/promql/memory_queryable.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {


TEST(RobustStats, QuantilesAreRType7) {
  const std::vector<double> v = {4, 1, 3, 2};  // sorted 1 2 3 4
  EXPECT_DOUBLE_EQ(Median(v), 2.5);
  EXPECT_DOUBLE_EQ(Quantile(v, 0.9), 3.7);   // 1 + 0.9 * 3 = rank 2.7: 3 + 0.7
  EXPECT_DOUBLE_EQ(Quantile(v, 0.0), 1);
  EXPECT_DOUBLE_EQ(Quantile(v, 1.0), 4);
  EXPECT_DOUBLE_EQ(Quantile(v, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(Median(std::vector<double>{7}), 7);
}

TEST(RobustStats, SelectionAgreesWithSortingOnRandomData) {
  std::mt19937 rng(42);
  std::normal_distribution<double> normal(10, 3);
  for (int n : {2, 3, 10, 101, 1000}) {
    std::vector<double> v(n);
    for (double& x : v) x = std::round(normal(rng) * 4) / 4;  // ties too
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 1.0}) {
      const double rank = q * (n - 1);
      const auto lo = static_cast<std::size_t>(std::floor(rank));
      const std::size_t hi = std::min<std::size_t>(lo + 1, n - 1);
      const double expected = sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
      EXPECT_NEAR(Quantile(v, q), expected, 1e-12) << "n=" << n << " q=" << q;
    }
  }
}

TEST(RobustStats, NaNIsNotAnObservation) {
  const std::vector<double> v = {kNaN, 1, 2, kNaN, 3};
  EXPECT_DOUBLE_EQ(Median(v), 2);
  EXPECT_DOUBLE_EQ(Mean(v), 2);
  EXPECT_DOUBLE_EQ(StdDev(v), 1);
  EXPECT_TRUE(std::isnan(Median(std::vector<double>{kNaN})));
  EXPECT_TRUE(std::isnan(Mad(std::vector<double>{})));
  EXPECT_TRUE(std::isnan(StdDev(std::vector<double>{1})));
}

TEST(RobustStats, MadIsTheMedianDeviation) {
  // Median 3; deviations 2 1 0 1 97 -> median 1: one outlier moves it nowhere.
  EXPECT_DOUBLE_EQ(Mad(std::vector<double>{1, 2, 3, 4, 100}), 1);
  std::vector<query::promql::Point> points = {{1, 1}, {2, kNaN}, {3, std::numeric_limits<double>::infinity()}, {4, 5}};
  EXPECT_THAT(FiniteValues(points), ::testing::ElementsAre(1, 5));
}

AnalyticsConfig Load(const std::string& yaml) {
  return AnalyticsSection().Parse(ConfigNode(YAML::Load(yaml), "metricsd.yaml"));
}

std::string LoadError(const std::string& yaml) {
  try {
    Load(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(AnalyticsConfig, DefaultsWatchTheGame) {
  AnalyticsConfig config = Load("{}");
  EXPECT_TRUE(config.enabled);
  ASSERT_NE(config.FindWatch("ao_handler_p95"), nullptr);
  EXPECT_EQ(config.FindWatch("ao_handler_p95")->kind, WatchKind::kLatency);
  ASSERT_NE(config.FindWatch("filesystem_usage"), nullptr);
  EXPECT_EQ(config.FindWatch("filesystem_usage")->threshold, 0.9);
  EXPECT_EQ(config.FindWatch("ao_cu_throughput")->direction, Direction::kLowerIsWorse);
  EXPECT_EQ(config.FindWatch("nope"), nullptr);
}

TEST(AnalyticsConfig, BadWatchesAreErrorsWithTheirPosition) {
  EXPECT_THAT(LoadError("watches:\n  - {name: a, expr: 'rate(x[5m]'}\n"),
              ::testing::HasSubstr("metricsd.yaml:2:"));
  EXPECT_THAT(LoadError("watches:\n  - {name: a, expr: 'rate(x[5m]'}\n"),
              ::testing::HasSubstr("parse error"));
  EXPECT_THAT(LoadError("watches:\n  - {name: a, expr: up}\n  - {name: a, expr: up}\n"),
              ::testing::HasSubstr("metricsd.yaml:3:"));
  EXPECT_THAT(LoadError("watches:\n  - {name: a, expr: up}\n  - {name: a, expr: up}\n"),
              ::testing::HasSubstr("duplicate watch name \"a\""));
  EXPECT_THAT(LoadError("watches:\n  - {name: a, expr: up, kind: speed}\n"),
              ::testing::HasSubstr("metricsd.yaml:2:"));
  EXPECT_THAT(LoadError("watches:\n  - {expr: up}\n"), ::testing::HasSubstr("name"));
  EXPECT_THAT(LoadError("regression: {kinds: [latency, speed]}\n"),
              ::testing::HasSubstr("unknown watch kind \"speed\""));
  EXPECT_THAT(LoadError("interval: 1s\n"), ::testing::HasSubstr("metricsd.yaml:1:"));
}

// What a scrape of the findings Source sees.
class Recorder : public FamilyVisitor {
 public:
  void Family(std::string_view name, std::string_view, MetricType) override { family_ = name; }
  void Sample(Labels labels, double value) override {
    std::string key = family_ + "{";
    for (const auto& label : labels) key += std::string(label.name) + "=" + std::string(label.value) + ",";
    samples[key + "}"] = value;
  }
  void Histogram(Labels, std::span<const double>, std::span<const std::uint64_t>, double,
                 std::uint64_t) override {}
  void Summary(Labels, std::span<const metricsd::Quantile>, double, std::uint64_t) override {}
  std::map<std::string, double> samples;

 private:
  std::string family_;
};

TEST(FindingsSource, FindingsAreGaugesAndCollidingLabelsAreRenamed) {
  FindingsSource source;
  Recorder empty;
  source.Visit(empty);
  // Announced with no finding: "none" is told apart from "not running".
  EXPECT_EQ(empty.samples.count("metricsd_analytics_refreshes_total{}"), 1u);

  Finding regression;
  regression.kind = "regression";
  regression.watch = "latency";
  regression.labels = {{"__name__", "x"}, {"service", "a"}, {"watch", "theirs"}};
  regression.magnitude = 12.5;
  regression.severity = "critical";
  Finding exhaustion;
  exhaustion.kind = "exhaustion";
  exhaustion.watch = "filesystem";
  exhaustion.labels = {{"mountpoint", "/"}};
  exhaustion.magnitude = 3600;
  RefreshStats stats;
  stats.refreshes = 3;
  source.Publish({regression, exhaustion, regression}, stats);
  Recorder scrape;
  source.Visit(scrape);
  EXPECT_EQ(scrape.samples.at(
                "metricsd_analytics_regression{exported_watch=theirs,service=a,severity=critical,"
                "watch=latency,}"),
            12.5);
  EXPECT_EQ(scrape.samples.at(
                "metricsd_analytics_exhaustion_seconds{mountpoint=/,severity=warning,watch=filesystem,}"),
            3600);
  EXPECT_EQ(scrape.samples.at("metricsd_analytics_refreshes_total{}"), 3);
  EXPECT_EQ(source.findings().size(), 3u);  // the API lists all; /metrics one series each
}

TEST(Report, SectionsComeInTheListedOrderOverTheReportRange) {
  auto memory = std::make_shared<query::promql::MemoryQueryable>();
  std::vector<query::promql::Point> points;
  const Timestamp now = 1'700'000'000'000;
  for (Timestamp t = now - 86'400'000; t <= now; t += 60'000) points.push_back({t, 0.1});
  memory->Add({{"__name__", "x"}}, points);
  std::unique_ptr<QueryEngine> engine = MakeQueryableEngine(memory);
  AnalyticsConfig config = Load("watches:\n  - {name: x, expr: x}\n");
  ReportConfig report;
  report.name = "daily";
  report.sections = {"trends", "summary"};
  AnalysisContext context{.engine = *engine, .config = config, .now = now};
  ReportDocument document = BuildReport(context, report, "host");
  ASSERT_EQ(document.sections.size(), 2u);
  EXPECT_EQ(document.sections[0].id, "trends");
  EXPECT_EQ(document.sections[1].id, "summary");
  EXPECT_EQ(document.source, "local");
  EXPECT_EQ(document.end - document.start, 24 * 3600 * 1000);
  EXPECT_THAT(RenderReport(document, "md"), ::testing::HasSubstr("# "));
  EXPECT_EQ(RenderReport(document, "pdf"), "");
}

}  // namespace
}  // namespace metricsd::analytics
