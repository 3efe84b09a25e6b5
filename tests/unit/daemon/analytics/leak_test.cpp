// Leaks on synthetic resident memory with known truth: linear growth between restarts (found,
// rate within 10 %), a sawtooth cut by drops only (found), warm-up to a plateau (not found),
// flat (not found), a short last run (the previous one is judged), the segmentation itself,
// the options, and the whole path through the real PromQL engine.
#include "daemon/analytics/leak.h"

#include <gtest/gtest.h>

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

constexpr double kMiB = 1024 * 1024;
constexpr Timestamp kLeakNow = 1'800'000'000'000;
constexpr Timestamp kStep = 5 * 60'000;
constexpr Timestamp kLeakHour = 3'600'000;

struct Memory {
  std::vector<Point> rss;
  std::vector<Point> start_time;  // unix seconds of the current run's start
};

// `hours` of 5-minute samples in (kLeakNow - hours, kLeakNow]; runs of `run_hours` counted from the
// start (the first sample of a run is 5 minutes after its start); rss = f(hours since the
// run's start) + noise.
template <class F>
Memory Simulate(int hours, int run_hours, F f, double noise_mib, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, noise_mib * kMiB);
  Memory m;
  const Timestamp begin = kLeakNow - hours * kLeakHour;
  for (Timestamp t = begin + kStep; t <= kLeakNow; t += kStep) {
    const Timestamp run = run_hours * kLeakHour;
    const Timestamp run_start = begin + (t - begin - 1) / run * run;
    const double age_hours = static_cast<double>(t - run_start) / kLeakHour;
    m.rss.push_back({t, f(age_hours) + noise(rng)});
    m.start_time.push_back({t, static_cast<double>(run_start) / 1000 - 3});
  }
  return m;
}

double Linear(double hours) { return 200 * kMiB + 10 * kMiB * hours; }

TEST(LeakTest, SplitAtRestartsByStartTimeAndByDrop) {
  std::vector<Point> rss, starts;
  for (int i = 0; i < 10; ++i) {
    rss.push_back({i * kStep, 100.0 + i});
    starts.push_back({i * kStep, i < 4 ? 1000.0 : 2000.0});
  }
  rss[7].v = 50;  // a drop of more than 30 %
  rss[8].v = kNaN;
  rss[9].v = 52;
  const std::vector<LeakSegment> segments = SplitAtRestarts(rss, starts, 30);
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(segments[0], (LeakSegment{0, 4}));
  EXPECT_EQ(segments[1], (LeakSegment{4, 7}));
  EXPECT_EQ(segments[2], (LeakSegment{7, 10}));
  // Without start times only the drop cuts.
  EXPECT_EQ(SplitAtRestarts(rss, {}, 30).size(), 2u);
  EXPECT_TRUE(SplitAtRestarts({}, {}, 30).empty());
}

TEST(LeakTest, LinearGrowthBetweenRestartsIsFoundWithItsRate) {
  // Three 24 h runs growing 10 MiB/h from 200 MiB.
  const Memory m = Simulate(72, 24, Linear, 1.0, 1);
  const LeakAssessment a = AssessLeak(m.rss, m.start_time, LeakOptions{});
  EXPECT_EQ(a.segments.size(), 3u);
  ASSERT_TRUE(a.tested);
  EXPECT_TRUE(a.leak) << a.reason;
  EXPECT_NEAR(a.bytes_per_hour, 10 * kMiB, 1 * kMiB);  // within 10 %
  std::printf("linear steadiness %.3f, rate %.3f MiB/h (truth 10)\n", a.steadiness,
              a.bytes_per_hour / kMiB);
  // 240 MiB/day against the latter half's median (about 200 + 10 * 18 MiB).
  EXPECT_NEAR(a.percent_per_day, 240.0 / 380 * 100, 10);
  EXPECT_LT(a.p, 1e-6);
  EXPECT_EQ(a.segment_start, kLeakNow - 24 * kLeakHour + kStep);

  const Finding f = LeakFinding(a, "game", {{"groupname", "game"}}, kLeakNow);
  EXPECT_EQ(f.kind, "leak");
  EXPECT_EQ(f.watch, "game");
  EXPECT_NE(f.summary.find("possible leak"), std::string::npos);
  EXPECT_NE(f.summary.find("MiB per hour"), std::string::npos) << f.summary;
  EXPECT_NEAR(f.details["bytes_per_hour"].get<double>(), a.bytes_per_hour, 1e-6);
  EXPECT_EQ(f.details["restarts"].get<int>(), 2);
}

TEST(LeakTest, SawtoothFoundByDropsAlone) {
  // Runs of 8 h growing 200 -> 360 MiB, restarted without a start time series: each restart
  // is a fall of more than 30 %.
  const Memory m = Simulate(
      48, 8, [](double h) { return 200 * kMiB + 20 * kMiB * h; }, 1.0, 2);
  const LeakAssessment a = AssessLeak(m.rss, {}, LeakOptions{});
  EXPECT_EQ(a.segments.size(), 6u);
  EXPECT_TRUE(a.leak) << a.reason;
  EXPECT_NEAR(a.bytes_per_hour, 20 * kMiB, 2 * kMiB);
  std::printf("sawtooth steadiness %.3f, rate %.3f MiB/h (truth 20)\n", a.steadiness,
              a.bytes_per_hour / kMiB);
}

TEST(LeakTest, WarmUpPlateauIsNotALeak) {
  // Caches fill in the first hours (200 -> 500 MiB, time constant 2 h), then flat.
  const Memory m = Simulate(
      48, 48, [](double h) { return 200 * kMiB + 300 * kMiB * (1 - std::exp(-h / 2)); }, 1.0, 3);
  const LeakAssessment a = AssessLeak(m.rss, m.start_time, LeakOptions{});
  ASSERT_TRUE(a.tested);
  EXPECT_FALSE(a.leak) << a.reason << " %/day " << a.percent_per_day;
  // The whole run does rise significantly: the latter-half rule is what keeps it out.
  const MannKendallResult whole = MannKendall(std::vector<double>([&] {
    std::vector<double> v;
    for (const Point& p : m.rss) v.push_back(p.v);
    return v;
  }()));
  EXPECT_LT(whole.p_increasing, 0.01);
}

// Growth that keeps slowing without flattening (200 MiB + 50 MiB ln(1 + t/1h) over 24 h)
// still rises by more than min_growth in the latter half: reported (leak.h says why), with
// a steadiness well under a linear leak's 1.0 for the reader to weigh.
TEST(LeakTest, SlowingLogGrowthIsReportedWithItsSteadiness) {
  const Memory m = Simulate(
      24, 24, [](double h) { return 200 * kMiB + 50 * kMiB * std::log1p(h); }, 0.5, 9);
  const LeakAssessment a = AssessLeak(m.rss, m.start_time, LeakOptions{});
  std::printf("log (1 h, 24 h) steadiness %.3f, %.2f %%/day\n", a.steadiness, a.percent_per_day);
  EXPECT_TRUE(a.leak) << a.reason;
  EXPECT_LT(a.steadiness, 0.5);
  EXPECT_GT(a.steadiness, 0.2);
}

// A leak behind a warm-up (caches fill 300 MiB in the first hours, then 10 MiB/h) is still a
// leak: the latter half grows at the leak's rate.
TEST(LeakTest, LeakAfterAWarmUpIsFound) {
  const Memory m = Simulate(
      24, 24,
      [](double h) { return 200 * kMiB + 300 * kMiB * (1 - std::exp(-h / 0.5)) + 10 * kMiB * h; },
      1.0, 10);
  const LeakAssessment a = AssessLeak(m.rss, m.start_time, LeakOptions{});
  EXPECT_TRUE(a.leak) << a.reason << ", steadiness " << a.steadiness;
  std::printf("warm-up (30 min) leak steadiness %.3f\n", a.steadiness);
  EXPECT_NEAR(a.bytes_per_hour, 10 * kMiB, 1 * kMiB);
  // A slower warm-up (time constant 2 h) weighs more on the first half's slope.
  const Memory slow = Simulate(
      24, 24,
      [](double h) { return 200 * kMiB + 300 * kMiB * (1 - std::exp(-h / 2)) + 10 * kMiB * h; },
      1.0, 11);
  const LeakAssessment b = AssessLeak(slow.rss, slow.start_time, LeakOptions{});
  std::printf("warm-up (2 h) leak steadiness %.3f, rate %.3f MiB/h (truth 10)\n", b.steadiness,
              b.bytes_per_hour / kMiB);
  EXPECT_TRUE(b.leak) << b.reason << ", steadiness " << b.steadiness;
  EXPECT_NEAR(b.bytes_per_hour, 10 * kMiB, 1 * kMiB);
}

TEST(LeakTest, FlatMemoryIsNotALeak) {
  for (unsigned seed = 10; seed < 30; ++seed) {
    const Memory m = Simulate(
        48, 24, [](double) { return 300 * kMiB; }, 2.0, seed);
    const LeakAssessment a = AssessLeak(m.rss, m.start_time, LeakOptions{});
    EXPECT_TRUE(a.tested);
    EXPECT_FALSE(a.leak) << "seed " << seed << ": " << a.reason;
  }
}

TEST(LeakTest, AShortLastRunIsJudgedOnThePreviousOne) {
  // Runs of 20 h: the last run is 4 h old (< 6 h), so the run before it is judged.
  const Memory m = Simulate(44, 20, Linear, 1.0, 4);
  const LeakAssessment a = AssessLeak(m.rss, m.start_time, LeakOptions{});
  ASSERT_EQ(a.segments.size(), 3u);
  EXPECT_TRUE(a.leak) << a.reason;
  EXPECT_EQ(a.segment_start, kLeakNow - 24 * kLeakHour + kStep);
  // Too short everywhere: not tested.
  const Memory short_runs = Simulate(20, 4, Linear, 1.0, 5);
  const LeakAssessment b = AssessLeak(short_runs.rss, short_runs.start_time, LeakOptions{});
  EXPECT_FALSE(b.tested);
  EXPECT_FALSE(b.leak);
}

TEST(LeakTest, SlowGrowthBelowMinGrowthIsNotReported) {
  // 0.1 MiB/h on 1 GiB: 0.23 % per day, far below the default 5 %.
  const Memory m = Simulate(
      48, 48, [](double h) { return 1024 * kMiB + 0.1 * kMiB * h; }, 0.05, 6);
  const LeakAssessment a = AssessLeak(m.rss, m.start_time, LeakOptions{});
  EXPECT_LT(a.p, 0.01);
  EXPECT_FALSE(a.leak);
  EXPECT_EQ(a.reason, "growth below min_growth");
}

TEST(LeakTest, OptionsParseWithBounds) {
  EXPECT_EQ(LeakSection().Parse(ParseYaml("{}", "l.yaml")), LeakOptions{});
  const LeakOptions set = LeakSection().Parse(
      ParseYaml("memory: process_resident_memory_bytes\nstart_time: process_start_time_seconds\n"
                "group_by: [job, instance]\nmin_growth: 2\nreset_drop: 50\n",
                "l.yaml"));
  EXPECT_EQ(set.group_by, (std::vector<std::string>{"job", "instance"}));
  EXPECT_DOUBLE_EQ(set.reset_drop, 50);
  EXPECT_THROW(LeakSection().Parse(ParseYaml("memory: 'sum(('\n", "l.yaml")), ConfigError);
  EXPECT_THROW(LeakSection().Parse(ParseYaml("memory: ''\n", "l.yaml")), ConfigError);
  EXPECT_THROW(LeakSection().Parse(ParseYaml("group_by: ['a) or vector(1']\n", "l.yaml")),
               ConfigError);
  EXPECT_THROW(LeakSection().Parse(ParseYaml("reset_drop: 0\n", "l.yaml")), ConfigError);
  EXPECT_THROW(LeakSection().Parse(ParseYaml("min_duration: 1h\nstep: 15m\n", "l.yaml")),
               ConfigError);
}

// The whole path through the engine, with process-exporter's families: a leaking group, a
// flat group, and a swapped-memory series the default selector must not read.
TEST(LeakEngineTest, DetectLeaksAndSectionThroughTheEngine) {
  auto queryable = std::make_shared<query::promql::MemoryQueryable>();
  const Memory game = Simulate(72, 24, Linear, 1.0, 7);
  const Memory db = Simulate(
      72, 72, [](double) { return 800 * kMiB; }, 2.0, 8);
  const auto add = [&](const std::string& group, const Memory& m) {
    queryable->Add({{"__name__", "namedprocess_namegroup_memory_bytes"},
                    {"groupname", group},
                    {"memtype", "resident"}},
                   m.rss);
    std::vector<Point> swapped = m.rss;
    for (Point& p : swapped) p.v = 5 * kMiB;
    queryable->Add({{"__name__", "namedprocess_namegroup_memory_bytes"},
                    {"groupname", group},
                    {"memtype", "swapped"}},
                   swapped);
    queryable->Add(
        {{"__name__", "namedprocess_namegroup_oldest_start_time_seconds"}, {"groupname", group}},
        m.start_time);
  };
  add("game", game);
  add("db", db);
  auto engine = MakeQueryableEngine(queryable);
  AnalyticsConfig config;
  const AnalysisContext context{*engine, config, kLeakNow, kLeakNow - 24 * kLeakHour, kLeakNow};

  const std::vector<Finding> findings = DetectLeaks(context);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].watch, "game");
  EXPECT_EQ(findings[0].labels, (Labels{{"groupname", "game"}}));
  EXPECT_NEAR(findings[0].details["bytes_per_hour"].get<double>(), 10 * kMiB, 1 * kMiB);
  EXPECT_EQ(findings[0].details["restarts"].get<int>(), 2);
  std::printf("example finding: %s\n", FindingToJson(findings[0]).dump().c_str());

  const ReportSection section = BuildLeaksSection(context);
  EXPECT_EQ(section.id, "leaks");
  EXPECT_TRUE(section.error.empty()) << section.error;
  int tables = 0, charts = 0;
  for (const ReportBlock& block : section.blocks) {
    if (const auto* table = std::get_if<ReportTable>(&block)) {
      ++tables;
      ASSERT_EQ(table->rows.size(), 2u);
      EXPECT_EQ(table->rows[0][0], "game");
      EXPECT_NE(table->rows[0].back().find("POSSIBLE LEAK"), std::string::npos);
    }
    if (const auto* chart = std::get_if<ReportChart>(&block)) {
      ++charts;
      EXPECT_EQ(chart->markers.size(), 2u);  // game's two restarts
    }
  }
  EXPECT_EQ(tables, 1);
  EXPECT_EQ(charts, 1);
  EXPECT_EQ(section.data["groups"].size(), 2u);

  // A memory expression that fails: an error in the section, an exception from Detect.
  config.leaks.memory = "nonexistent_function(x)";
  const ReportSection broken = BuildLeaksSection(context);
  EXPECT_FALSE(broken.error.empty());
  EXPECT_THROW(DetectLeaks(context), std::runtime_error);
}

}  // namespace
}  // namespace metricsd::analytics
