// Bottleneck rankings through the engine, industry references, grading and the options.
#include <cmath>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "daemon/analytics/analytics_config.h"
#include "daemon/analytics/bottlenecks.h"
#include "daemon/analytics/comparison.h"
#include "daemon/analytics/industry_references.h"
#include "daemon/core/config_node.h"
#include "tests/unit/daemon/analytics/ux_test_support.h"

namespace metricsd::analytics {
namespace {

using testing::AddCounter;
using testing::AddGauge;
using testing::AddHistogram;
using testing::kEnd;
using testing::kStart;
using testing::MakeLabels;

// Three operations whose p95 and time shares are known:
//   a: 1/s, all in (0.5, 1]   -> p95 = 0.5 + 0.5 * 0.95 = 0.975, time 0.75/s
//   b: 4/s, all in (0.1, 0.5] -> p95 = 0.1 + 0.4 * 0.95 = 0.48,  time 1.2/s
//   c: 10/s, all in (0, 0.1]  -> p95 = 0.1 * 0.95 = 0.095,      time 0.5/s
std::shared_ptr<query::promql::MemoryQueryable> ThreeOperations() {
  auto q = std::make_shared<query::promql::MemoryQueryable>();
  AddHistogram(*q, "op_seconds", {{"op", "a"}}, {{"0.1", 0}, {"0.5", 0}, {"1", 1}, {"+Inf", 1}},
               0.75);
  AddHistogram(*q, "op_seconds", {{"op", "b"}}, {{"0.1", 0}, {"0.5", 4}, {"1", 4}, {"+Inf", 4}},
               1.2);
  AddHistogram(*q, "op_seconds", {{"op", "c"}},
               {{"0.1", 10}, {"0.5", 10}, {"1", 10}, {"+Inf", 10}}, 0.5);
  return q;
}

TEST(Bottlenecks, TopNByP95AndByShare) {
  auto engine = MakeQueryableEngine(ThreeOperations());
  BottleneckFamily family{"ops", "op_seconds", {"op"}};
  FamilyRanking ranking = RankFamily(*engine, family, 2, 3'600'000, kEnd);
  ASSERT_TRUE(ranking.error.empty()) << ranking.error;
  ASSERT_EQ(ranking.by_p95.size(), 2u);
  EXPECT_EQ(ranking.by_p95[0].labels, MakeLabels({{"op", "a"}}));
  EXPECT_NEAR(ranking.by_p95[0].p95, 0.975, 1e-9);
  EXPECT_EQ(ranking.by_p95[1].labels, MakeLabels({{"op", "b"}}));
  EXPECT_NEAR(ranking.by_p95[1].p95, 0.48, 1e-9);
  ASSERT_EQ(ranking.by_share.size(), 2u);
  EXPECT_EQ(ranking.by_share[0].labels, MakeLabels({{"op", "b"}}));
  EXPECT_NEAR(ranking.by_share[0].share, 1.2 / 2.45, 1e-9);
  EXPECT_EQ(ranking.by_share[1].labels, MakeLabels({{"op", "a"}}));
  EXPECT_NEAR(ranking.by_share[1].share, 0.75 / 2.45, 1e-9);
  EXPECT_NEAR(ranking.total_seconds, 2.45 * 3600, 1e-6);
  EXPECT_NEAR(ranking.by_share[0].calls, 4 * 3600, 1e-6);
  // All three with a larger N, p95 still descending.
  FamilyRanking all = RankFamily(*engine, family, 10, 3'600'000, kEnd);
  ASSERT_EQ(all.by_p95.size(), 3u);
  EXPECT_NEAR(all.by_p95[2].p95, 0.095, 1e-9);
  double shares = 0;
  for (const OperationStats& op : all.by_share) shares += op.share;
  EXPECT_NEAR(shares, 1.0, 1e-9);
}

TEST(Bottlenecks, MatchersInTheFamilyAndMissingData) {
  auto engine = MakeQueryableEngine(ThreeOperations());
  FamilyRanking only_c = RankFamily(*engine, {"c", "op_seconds{op=\"c\"}", {"op"}}, 5,
                                    3'600'000, kEnd);
  ASSERT_EQ(only_c.by_p95.size(), 1u);
  EXPECT_NEAR(only_c.by_share[0].share, 1.0, 1e-9);
  FamilyRanking none = RankFamily(*engine, {"none", "missing_seconds", {"op"}}, 5, 3'600'000, kEnd);
  EXPECT_TRUE(none.error.empty());
  EXPECT_TRUE(none.by_p95.empty());
  EXPECT_TRUE(none.by_share.empty());
}

TEST(Bottlenecks, CacheHitRatios) {
  EXPECT_DOUBLE_EQ(HitRatio(90, 10), 0.9);
  EXPECT_TRUE(std::isnan(HitRatio(0, 0)));
  auto q = std::make_shared<query::promql::MemoryQueryable>();
  AddCounter(*q, MakeLabels({{"__name__", "hits_total"}, {"cache", "items"}}), 90);
  AddCounter(*q, MakeLabels({{"__name__", "misses_total"}, {"cache", "items"}}), 10);
  AddCounter(*q, MakeLabels({{"__name__", "hits_total"}, {"cache", "maps"}}), 1);
  AddCounter(*q, MakeLabels({{"__name__", "misses_total"}, {"cache", "maps"}}), 3);
  auto engine = MakeQueryableEngine(q);
  BottleneckOptions options;
  options.cache_hits = "hits_total";
  options.cache_misses = "misses_total";
  std::string error;
  auto ratios = QueryCacheRatios(*engine, options, 3'600'000, kEnd, &error);
  EXPECT_TRUE(error.empty()) << error;
  ASSERT_EQ(ratios.size(), 2u);
  EXPECT_NEAR(ratios[0].ratio, 0.9, 1e-9);
  EXPECT_NEAR(ratios[1].ratio, 0.25, 1e-9);
}

TEST(Bottlenecks, Section) {
  auto engine = MakeQueryableEngine(ThreeOperations());
  AnalyticsConfig config;
  config.bottlenecks.families = {{"ops", "op_seconds", {"op"}}};
  config.bottlenecks.top = 2;
  AnalysisContext context{*engine, config, kEnd, kEnd - 3'600'000, kEnd};
  ReportSection section = BuildBottlenecksSection(context);
  EXPECT_EQ(section.id, "bottlenecks");
  EXPECT_TRUE(section.error.empty()) << section.error;
  EXPECT_DOUBLE_EQ(section.data["window_seconds"].get<double>(), 3600);
  ASSERT_EQ(section.data["families"].size(), 1u);
  EXPECT_EQ(section.data["families"][0]["by_p95"][0]["labels"]["op"], "a");
  EXPECT_EQ(section.data["families"][0]["by_share"][0]["labels"]["op"], "b");
  EXPECT_FALSE(section.notes.empty());
  std::size_t tables = 0;
  for (const ReportBlock& block : section.blocks) tables += std::holds_alternative<ReportTable>(block);
  EXPECT_EQ(tables, 2u);
  const ReportChart* chart = nullptr;
  for (const ReportBlock& block : section.blocks) {
    if (const auto* c = std::get_if<ReportChart>(&block)) chart = c;
  }
  ASSERT_NE(chart, nullptr);
  ASSERT_EQ(chart->lines.size(), 2u);  // top 2
  EXPECT_EQ(chart->lines[0].name, "op=a");
  ASSERT_FALSE(chart->lines[0].points.empty());
  EXPECT_NEAR(chart->lines[0].points.back().v, 0.975, 1e-9);
}

TEST(Bottlenecks, WithoutAReportRangeTheLastHour) {
  auto engine = MakeQueryableEngine(ThreeOperations());
  AnalyticsConfig config;
  config.bottlenecks.families = {{"ops", "op_seconds", {"op"}}};
  AnalysisContext context{*engine, config, kEnd, 0, kEnd};
  ReportSection section = BuildBottlenecksSection(context);
  EXPECT_TRUE(section.error.empty()) << section.error;
  EXPECT_DOUBLE_EQ(section.data["window_seconds"].get<double>(), 3600);
  EXPECT_NEAR(section.data["families"][0]["total_seconds"].get<double>(), 2.45 * 3600, 1e-6);
}

TEST(Bottlenecks, ABadFamilyIsAnErrorNotAThrow) {
  auto engine = MakeQueryableEngine(ThreeOperations());
  AnalyticsConfig config;
  config.bottlenecks.families = {{"bad", "op_seconds{", {"op"}}};
  AnalysisContext context{*engine, config, kEnd, kEnd - 3'600'000, kEnd};
  ReportSection section = BuildBottlenecksSection(context);
  EXPECT_FALSE(section.error.empty());
}

// --- Industry references and grading ------------------------------------------------------

TEST(IndustryReferences, EveryReferenceHasASourceAndOrderedLines) {
  std::set<std::string_view> ids;
  ASSERT_GE(IndustryReferences().size(), 8u);
  for (const Reference& reference : IndustryReferences()) {
    EXPECT_TRUE(ids.insert(reference.id).second) << reference.id;
    EXPECT_FALSE(reference.name.empty()) << reference.id;
    bool has_url = reference.source.find("https://") != std::string_view::npos;
    bool is_convention = reference.source.starts_with("convention");
    EXPECT_TRUE(has_url || is_convention) << reference.id;
    if (reference.direction == Direction::kHigherIsWorse) {
      EXPECT_LE(reference.good, reference.acceptable) << reference.id;
    } else {
      EXPECT_GE(reference.good, reference.acceptable) << reference.id;
    }
  }
  for (const char* id : {"rail_response", "frame_60fps", "frame_30fps", "apdex", "inp", "lcp",
                         "slo_availability_999", "slo_latency_p99", "utilisation_headroom"}) {
    EXPECT_NE(FindReference(id), nullptr) << id;
  }
  EXPECT_DOUBLE_EQ(FindReference("inp")->good, 0.2);
  EXPECT_DOUBLE_EQ(FindReference("inp")->acceptable, 0.5);
  EXPECT_DOUBLE_EQ(FindReference("lcp")->good, 2.5);
  EXPECT_DOUBLE_EQ(FindReference("rail_response")->good, 0.1);
}

TEST(IndustryReferences, ChosenByIdOrByKindAndUnit) {
  const std::vector<Watch> watches = DefaultWatches();
  auto find = [&](const std::string& name) {
    for (const Watch& w : watches) {
      if (w.name == name) return ReferenceFor(w);
    }
    return static_cast<const Reference*>(nullptr);
  };
  EXPECT_EQ(find("ao_handler_p95")->id, "rail_response");
  EXPECT_EQ(find("frame_time_p95")->id, "frame_60fps");
  EXPECT_EQ(find("cpu_usage")->id, "utilisation_headroom");
  EXPECT_EQ(find("ao_cu_throughput"), nullptr);
  Watch errors;
  errors.kind = WatchKind::kErrors;
  errors.unit = "percent";
  EXPECT_EQ(ReferenceFor(errors)->id, "slo_availability_999");
  Watch unknown;
  unknown.reference = "nope";
  EXPECT_EQ(ReferenceFor(unknown), nullptr);
  EXPECT_DOUBLE_EQ(ConvertUnit(250, "ms", "seconds"), 0.25);
  EXPECT_DOUBLE_EQ(ConvertUnit(85, "percent", "ratio"), 0.85);
  EXPECT_TRUE(std::isnan(ConvertUnit(1, "bytes", "seconds")));
  EXPECT_EQ(FormatQuantity(0.0125, "seconds"), "12.5 ms");
  EXPECT_EQ(FormatQuantity(0.5, "ratio"), "50 %");
}

TEST(Comparison, GradingBoundaries) {
  const Reference& rail = *FindReference("rail_response");
  EXPECT_EQ(GradeValue(0.1, rail).grade, Grade::kGood);
  EXPECT_DOUBLE_EQ(GradeValue(0.1, rail).margin, 0);
  EXPECT_EQ(GradeValue(0.1000001, rail).grade, Grade::kAcceptable);
  EXPECT_EQ(GradeValue(1.0, rail).grade, Grade::kAcceptable);
  EXPECT_EQ(GradeValue(1.01, rail).grade, Grade::kPoor);
  EXPECT_NEAR(GradeValue(0.08, rail).margin_percent, 20, 1e-9);
  EXPECT_NEAR(GradeValue(0.15, rail).margin_percent, -50, 1e-9);
  const Reference& apdex = *FindReference("apdex");  // lower is worse
  EXPECT_EQ(GradeValue(0.85, apdex).grade, Grade::kGood);
  EXPECT_EQ(GradeValue(0.8499, apdex).grade, Grade::kAcceptable);
  EXPECT_EQ(GradeValue(0.70, apdex).grade, Grade::kAcceptable);
  EXPECT_EQ(GradeValue(0.6999, apdex).grade, Grade::kPoor);
  EXPECT_GT(GradeValue(0.95, apdex).margin, 0);
  EXPECT_EQ(GradeValue(std::nan(""), rail).grade, Grade::kUnknown);
  EXPECT_EQ(GradeName(Grade::kAcceptable), "acceptable");
}

TEST(Comparison, SectionGradesEachSeries) {
  auto q = std::make_shared<query::promql::MemoryQueryable>();
  // Two series of a latency watch in milliseconds: 50 ms (good) and 300 ms (acceptable); a
  // CPU ratio of 0.9 (poor against 70-80 %).
  AddGauge(*q, MakeLabels({{"__name__", "lat_ms"}, {"op", "fast"}}), [](auto) { return 50.0; });
  AddGauge(*q, MakeLabels({{"__name__", "lat_ms"}, {"op", "slow"}}), [](auto) { return 300.0; });
  AddGauge(*q, MakeLabels({{"__name__", "cpu"}}), [](auto) { return 0.9; });
  auto engine = MakeQueryableEngine(q);
  Watch latency;
  latency.name = "lat";
  latency.expr = "lat_ms";
  latency.unit = "ms";
  Watch cpu;
  cpu.name = "cpu";
  cpu.expr = "cpu";
  cpu.kind = WatchKind::kResource;
  cpu.unit = "ratio";
  Watch throughput;
  throughput.name = "tput";
  throughput.expr = "cpu";
  throughput.kind = WatchKind::kThroughput;
  throughput.unit = "ops/s";
  AnalyticsConfig config;
  config.watches = {latency, cpu, throughput};
  AnalysisContext context{*engine, config, kEnd, kEnd - 3'600'000, kEnd};
  ReportSection section = BuildComparisonSection(context);
  EXPECT_TRUE(section.error.empty()) << section.error;
  ASSERT_EQ(section.data["watches"].size(), 3u);
  const auto& lat = section.data["watches"][0]["series"];
  ASSERT_EQ(lat.size(), 2u);
  EXPECT_EQ(lat[0]["grade"], "good");
  EXPECT_NEAR(lat[0]["value"].get<double>(), 0.05, 1e-12);
  EXPECT_EQ(lat[1]["grade"], "acceptable");
  EXPECT_EQ(section.data["watches"][1]["series"][0]["grade"], "poor");
  EXPECT_EQ(section.data["watches"][1]["reference"], "utilisation_headroom");
  EXPECT_TRUE(section.data["watches"][2]["series"].empty());
  EXPECT_EQ(section.data["references"].size(), 2u);

  // Without a report range: the value at the end alone, graded the same.
  AnalysisContext instant{*engine, config, kEnd, 0, kEnd};
  ReportSection at_end = BuildComparisonSection(instant);
  EXPECT_TRUE(at_end.error.empty()) << at_end.error;
  EXPECT_EQ(at_end.data["watches"][1]["series"][0]["grade"], "poor");
}

// --- Options ------------------------------------------------------------------------------

TEST(Options, DefaultsAndKeys) {
  UxOptions ux;
  EXPECT_DOUBLE_EQ(ux.apdex_t, 0.1);
  EXPECT_EQ(ux.frame_histogram, "game_ui_frame_seconds_bucket");
  EXPECT_EQ(ux.max_lag, std::chrono::hours(2));
  BottleneckOptions bottlenecks;
  EXPECT_EQ(bottlenecks.top, 10);
  ASSERT_EQ(bottlenecks.families.size(), 4u);
  EXPECT_EQ(bottlenecks.families[2].by, (std::vector<std::string>{"table", "op"}));
  EXPECT_EQ(FamilySeries("x{a=\"1\"}", "_sum"), "x_sum{a=\"1\"}");
  std::set<std::string> keys;
  for (const auto& key : UxSection().Keys()) keys.insert(key.name);
  EXPECT_EQ(keys, (std::set<std::string>{"apdex_t", "frame_histogram", "step", "max_lag", "window"}));
}

// The effective config (Render) loads back to the same options: JSON is YAML.
TEST(Options, RenderedDefaultsLoadBack) {
  UxOptions ux;
  EXPECT_EQ(UxSection().Parse(ParseYaml(UxSection().Render(ux).dump(), "t.yaml")), ux);
  BottleneckOptions bottlenecks;
  EXPECT_EQ(BottleneckSection().Parse(
                ParseYaml(BottleneckSection().Render(bottlenecks).dump(), "t.yaml")),
            bottlenecks);
  EXPECT_EQ(BottleneckSection().Parse(ParseYaml("", "t.yaml")), bottlenecks);
  EXPECT_EQ(UxSection().Parse(ParseYaml("", "t.yaml")), ux);
}

TEST(Options, ParseAndReject) {
  UxOptions ux = UxSection().Parse(ParseYaml("apdex_t: 0.3\nstep: 1m\nmax_lag: 30m\n", "t.yaml"));
  EXPECT_DOUBLE_EQ(ux.apdex_t, 0.3);
  EXPECT_EQ(ux.max_lag, std::chrono::minutes(30));
  EXPECT_THROW(UxSection().Parse(ParseYaml("frame_histogram: 'x{'\n", "t.yaml")), ConfigError);
  EXPECT_THROW(UxSection().Parse(ParseYaml("step: 10s\nmax_lag: 7d\n", "t.yaml")), ConfigError);
  EXPECT_THROW(UxSection().Parse(ParseYaml("apdex_t: 0\n", "t.yaml")), ConfigError);
  BottleneckOptions b = BottleneckSection().Parse(ParseYaml(
      "top: 3\nfamilies:\n  - {name: q, histogram: q_seconds, by: [table]}\n"
      "cache_hits: hits_total\ncache_misses: misses_total\n",
      "t.yaml"));
  EXPECT_EQ(b.top, 3);
  ASSERT_EQ(b.families.size(), 1u);
  EXPECT_EQ(b.families[0].by, (std::vector<std::string>{"table"}));
  EXPECT_THROW(BottleneckSection().Parse(ParseYaml("cache_hits: ''\n", "t.yaml")), ConfigError);
  BottleneckOptions no_caches =
      BottleneckSection().Parse(ParseYaml("cache_hits: ''\ncache_misses: ''\n", "t.yaml"));
  EXPECT_TRUE(no_caches.cache_hits.empty());
  EXPECT_THROW(BottleneckSection().Parse(ParseYaml(
                   "families:\n  - {name: q, histogram: 'q{', by: [table]}\n", "t.yaml")),
               ConfigError);
  EXPECT_THROW(BottleneckSection().Parse(ParseYaml("top: 0\n", "t.yaml")), ConfigError);
}

}  // namespace
}  // namespace metricsd::analytics
