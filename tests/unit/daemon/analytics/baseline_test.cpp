// Baselines and the two statistics regression detection rests on: the Mann-Whitney U test and
// the tabular CUSUM. Synthetic data with known truth, seeded RNGs.
#include "daemon/analytics/baseline.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "daemon/analytics/analytics_db.h"
#include "daemon/analytics/cusum.h"
#include "daemon/analytics/mann_whitney.h"
#include "daemon/analytics/regression_options.h"
#include "daemon/query/promql/memory_queryable.h"

namespace metricsd::analytics {
namespace {

using promql::Labels;
using promql::Point;

constexpr Timestamp kMinute = 60'000;
constexpr double kPi = 3.14159265358979323846;
// Monday 2026-11-02 00:00:00 UTC.
constexpr Timestamp kMonday = 1793577600000;

// --- Mann-Whitney -------------------------------------------------------------------------

TEST(MannWhitneyTest, MatchesScipyDocumentedExample) {
  // scipy.stats.mannwhitneyu's documentation (the example from Conover, "Practical
  // Nonparametric Statistics"): males vs females, U = 17; method="asymptotic" gives the
  // two-sided p = 0.11134688653314041.
  const std::vector<double> males = {19, 22, 16, 29, 24};
  const std::vector<double> females = {20, 11, 17, 12};
  MannWhitneyResult r = MannWhitney(males, females);
  EXPECT_EQ(r.n_a, 5u);
  EXPECT_EQ(r.n_b, 4u);
  EXPECT_DOUBLE_EQ(r.u, 17);
  EXPECT_NEAR(r.p_two_sided, 0.11134688653314041, 1e-12);
  EXPECT_NEAR(r.p_greater, 0.11134688653314041 / 2, 1e-12);
  EXPECT_DOUBLE_EQ(r.effect, 17.0 / 20);
  // The other way round: U2 = n_a n_b - U1, the same two-sided p.
  MannWhitneyResult swapped = MannWhitney(females, males);
  EXPECT_DOUBLE_EQ(swapped.u, 3);
  EXPECT_NEAR(swapped.p_two_sided, r.p_two_sided, 1e-12);
  EXPECT_NEAR(swapped.p_less, r.p_greater, 1e-12);
}

TEST(MannWhitneyTest, TiesUseAverageRanksAndTheTieCorrection) {
  // By hand: pairs (a > b) + (a == b) / 2 give U = 2.5; tie groups {2,2,2} and {3,3} and
  // {4,4} give sum(t^3 - t) = 24 + 6 + 6 = 36, so var = 4*5/12 * (10 - 36/72) = 15.8333;
  // mean 10, z = -7.5 / 3.9791 = -1.8848; with continuity: p_less = sf(7 / 3.9791) =
  // 0.0392729, p_two = 0.0785459, p_greater = sf(-8 / 3.9791) = 0.9778108.
  const std::vector<double> a = {1, 2, 2, 3};
  const std::vector<double> b = {2, 3, 4, 4, 5};
  MannWhitneyResult r = MannWhitney(a, b);
  EXPECT_DOUBLE_EQ(r.u, 2.5);
  EXPECT_NEAR(r.z, -1.8848425873126298, 1e-12);
  EXPECT_NEAR(r.p_less, 0.03927292547559535, 1e-12);
  EXPECT_NEAR(r.p_two_sided, 0.0785458509511907, 1e-12);
  EXPECT_NEAR(r.p_greater, 0.9778107863272566, 1e-12);
  EXPECT_DOUBLE_EQ(r.effect, 2.5 / 20);
}

TEST(MannWhitneyTest, NaNDroppedAndDegenerateInputsSayNothing) {
  const double nan = std::nan("");
  const std::vector<double> a = {nan, 19, 22, 16, nan, 29, 24};
  const std::vector<double> b = {20, 11, 17, nan, 12};
  MannWhitneyResult r = MannWhitney(a, b);
  EXPECT_EQ(r.n_a, 5u);
  EXPECT_EQ(r.n_b, 4u);
  EXPECT_NEAR(r.p_two_sided, 0.11134688653314041, 1e-12);

  MannWhitneyResult empty = MannWhitney({}, b);
  EXPECT_FALSE(empty.valid());
  EXPECT_EQ(empty.p_greater, 1);
  const std::vector<double> same = {3, 3, 3};
  MannWhitneyResult equal = MannWhitney(same, same);
  EXPECT_TRUE(equal.valid());
  EXPECT_EQ(equal.p_two_sided, 1);
  EXPECT_DOUBLE_EQ(equal.effect, 0.5);
}

TEST(MannWhitneyTest, ShiftedNormalSamplesAreSignificantAndNullOnesAreNot) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> a, b;
  for (int i = 0; i < 60; ++i) a.push_back(noise(rng) + 1);
  for (int i = 0; i < 240; ++i) b.push_back(noise(rng));
  MannWhitneyResult r = MannWhitney(a, b);
  EXPECT_LT(r.p_greater, 1e-6);
  // P(X + 1 > Y) for independent standard normals = Phi(1 / sqrt 2) = 0.760.
  EXPECT_NEAR(r.effect, 0.76, 0.06);

  // Under the null the p-value is uniform: about 1 % of 2,000 tests fall below 0.01.
  int below = 0;
  for (int run = 0; run < 2000; ++run) {
    a.clear();
    b.clear();
    for (int i = 0; i < 30; ++i) a.push_back(noise(rng));
    for (int i = 0; i < 60; ++i) b.push_back(noise(rng));
    if (MannWhitney(a, b).p_greater < 0.01) ++below;
  }
  EXPECT_GE(below, 5);
  EXPECT_LE(below, 40);
}

// --- CUSUM --------------------------------------------------------------------------------

TEST(CusumTest, FindsAStepInNoiseNearItsStart) {
  int found_near = 0;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0, 1);
    std::vector<double> z;
    for (int i = 0; i < 300; ++i) z.push_back(noise(rng) + (i >= 200 ? 1.5 : 0));
    CusumResult r = Cusum(z);
    // The last alarm is the step's (noise before it may alarm too, rarely).
    ASSERT_TRUE(r.alarmed) << "seed " << seed;
    const CusumEpisode& last = r.episodes.back();
    EXPECT_EQ(last.direction, 1);
    EXPECT_TRUE(last.ongoing());
    EXPECT_GE(last.alarm, 200u);
    EXPECT_LE(last.alarm, 230u);
    if (last.start >= 195 && last.start <= 205) ++found_near;
  }
  // The start estimate is within 5 points of the truth in nearly every case.
  EXPECT_GE(found_near, 17);
}

TEST(CusumTest, FindsADownwardStepAndSkipsGaps) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> z;
  for (int i = 0; i < 200; ++i) {
    z.push_back(i % 7 == 0 ? std::nan("") : noise(rng) - (i >= 100 ? 2.0 : 0));
  }
  CusumResult r = Cusum(z);
  ASSERT_TRUE(r.alarmed);
  EXPECT_EQ(r.episodes.back().direction, -1);
  EXPECT_NEAR(static_cast<double>(r.episodes.back().start), 100, 6);
  EXPECT_GT(r.final_down, 5);
}

TEST(CusumTest, ExactSumsOnAKnownSequence) {
  // k = 0.5, h = 2: S+ = 0, 0, 1.5, 3 (alarm at 3, start 2 after the zero at 1), then 2, 0.
  const std::vector<double> z = {0.2, -1, 2, 2, -0.5, -2};
  CusumResult r = Cusum(z, CusumOptions{0.5, 2});
  ASSERT_TRUE(r.alarmed);
  EXPECT_EQ(r.direction, 1);
  EXPECT_EQ(r.alarm_index, 3u);
  EXPECT_EQ(r.start_index, 2u);
  ASSERT_EQ(r.episodes.size(), 1u);
  EXPECT_EQ(r.episodes[0].end, 5u);
  EXPECT_DOUBLE_EQ(r.episodes[0].peak, 3);
  EXPECT_DOUBLE_EQ(r.final_up, 0);
}

TEST(CusumTest, StationaryNoiseAlarmsRarely) {
  // k = 0.5, h = 5: the in-control run length is about 930 points per side (Siegmund), so
  // about 2 episodes per 1,000 points over both sides. Measured over 200,000 points.
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> z(200'000);
  for (double& v : z) v = noise(rng);
  CusumResult r = Cusum(z);
  const double per_thousand = static_cast<double>(r.episodes.size()) / 200;
  std::cout << "FIGURE cusum_false_alarms_per_1000_points " << per_thousand << "\n";
  EXPECT_LT(per_thousand, 3.5);
  EXPECT_GT(per_thousand, 0.5);  // the detector is live, not stuck
  // And none at all in a short stationary stretch of the size regression tests (60 points)
  // for nearly every seed.
  int alarmed = 0;
  for (unsigned seed = 100; seed < 300; ++seed) {
    std::mt19937 short_rng(seed);
    std::vector<double> window(60);
    for (double& v : window) v = noise(short_rng);
    if (Cusum(window).alarmed) ++alarmed;
  }
  EXPECT_LE(alarmed, 30);
}

// --- Baselines ----------------------------------------------------------------------------

TEST(BaselineTest, HourOfWeekStartsMondayUtc) {
  EXPECT_EQ(HourOfWeek(0), 72);  // 1970-01-01 was a Thursday
  EXPECT_EQ(HourOfWeek(kMonday), 0);
  EXPECT_EQ(HourOfWeek(kMonday + 59 * kMinute), 0);
  EXPECT_EQ(HourOfWeek(kMonday + 60 * kMinute), 1);
  EXPECT_EQ(HourOfWeek(kMonday - 1), 167);
  EXPECT_EQ(HourOfWeek(kMonday + 3 * kWeekMs + 25 * kHourMs), 25);
  EXPECT_EQ(HourOfWeek(-1), 71);  // before the epoch: Wednesday 23:59
}

// Value = hour of week + a small wobble, every 5 minutes for `weeks` weeks.
std::vector<Point> HourlySteps(int weeks) {
  std::vector<Point> points;
  for (Timestamp t = kMonday; t < kMonday + weeks * kWeekMs; t += 5 * kMinute) {
    points.push_back({t, HourOfWeek(t) + 0.01 * static_cast<double>((t / kMinute) % 7)});
  }
  return points;
}

TEST(BaselineTest, SeasonalSlotsOverFourWeeks) {
  BaselineOptions options;
  Baseline b = ComputeBaseline({{"process", "x"}}, HourlySteps(4), options);
  EXPECT_TRUE(b.seasonal);
  EXPECT_EQ(b.from, kMonday);
  EXPECT_EQ(b.to, kMonday + 4 * kWeekMs - 5 * kMinute);
  for (int slot : {0, 13, 100, 167}) {
    const SlotStats& s = b.slots[static_cast<std::size_t>(slot)];
    EXPECT_EQ(s.count, 48);  // 12 per hour x 4 weeks
    EXPECT_NEAR(s.median, slot + 0.03, 0.011);
    EXPECT_LE(s.median, s.p90);
    EXPECT_LE(s.p90, s.p99);
    EXPECT_LT(s.mad, 0.05);
  }
  const Timestamp later = kMonday + 6 * kWeekMs + 13 * kHourMs + 10 * kMinute;
  EXPECT_TRUE(b.SlotUsed(later));
  EXPECT_NEAR(b.At(later).median, 13.03, 0.011);
  EXPECT_EQ(b.flat.count, 4 * 2016);
  EXPECT_NEAR(b.flat.median, 83.5, 0.6);
}

TEST(BaselineTest, ExpectedInterpolatesBetweenSlotCentres) {
  // A daily sine: slot medians sit at the sine's value at each slot centre, and Expected()
  // follows the curve between them far closer than the hour's step would.
  std::vector<Point> points;
  auto f = [](Timestamp t) {
    return 100 * (1 + 0.3 * std::sin(2 * kPi * static_cast<double>(t) / (24 * kHourMs)));
  };
  for (Timestamp t = kMonday; t < kMonday + 2 * kWeekMs; t += kMinute) points.push_back({t, f(t)});
  Baseline b = ComputeBaseline({}, points, BaselineOptions{});
  ASSERT_TRUE(b.seasonal);
  double worst_interpolated = 0, worst_slot = 0;
  for (Timestamp t = kMonday + 2 * kWeekMs; t < kMonday + 3 * kWeekMs; t += 7 * kMinute) {
    worst_interpolated = std::max(worst_interpolated, std::fabs(b.Expected(t) - f(t)));
    worst_slot = std::max(worst_slot, std::fabs(b.At(t).median - f(t)));
  }
  EXPECT_LT(worst_interpolated, 0.5);  // < 0.5 % of the mean
  EXPECT_GT(worst_slot, 3);            // the raw slot median is off by ~4 % at the steepest
}

TEST(BaselineTest, ShortHistoryUsesTheFlatBaseline) {
  std::vector<Point> points = HourlySteps(1);
  points.resize(points.size() / 2);  // 3.5 days
  Baseline b = ComputeBaseline({}, points, BaselineOptions{});
  EXPECT_FALSE(b.seasonal);
  const Timestamp t = kMonday + kWeekMs + 5 * kHourMs;
  EXPECT_FALSE(b.SlotUsed(t));
  EXPECT_EQ(&b.At(t), &b.flat);
  EXPECT_DOUBLE_EQ(b.Expected(t), b.flat.median);
  EXPECT_EQ(b.flat.count, static_cast<std::int64_t>(points.size()));
}

TEST(BaselineTest, SparseSlotsAndGapsFallBackToFlat) {
  std::vector<Point> points = HourlySteps(1);
  // Slot 10 keeps two samples (fewer than min_samples_per_slot = 3); NaN are gaps.
  std::erase_if(points, [](const Point& p) {
    return HourOfWeek(p.t) == 10 && p.t % (60 * kMinute) >= 10 * kMinute;
  });
  for (std::size_t i = 1; i < points.size(); i += 5) points[i].v = std::nan("");
  Baseline b = ComputeBaseline({}, points, BaselineOptions{});
  ASSERT_TRUE(b.seasonal);  // 1 week of span: enough with min_weeks = 1
  EXPECT_LT(b.slots[10].count, 3);
  const Timestamp in_slot_10 = kMonday + 10 * kHourMs + 20 * kMinute;
  EXPECT_FALSE(b.SlotUsed(in_slot_10));
  EXPECT_EQ(&b.At(in_slot_10), &b.flat);
  EXPECT_TRUE(b.SlotUsed(in_slot_10 + kHourMs));
  EXPECT_LT(b.slots[11].count, 12);  // the NaN are not counted
  EXPECT_GT(b.slots[11].count, 8);

  // No finite value at all: nothing to stand on, and nothing breaks.
  std::vector<Point> empty = {{kMonday, std::nan("")}};
  Baseline none = ComputeBaseline({}, empty, BaselineOptions{});
  EXPECT_FALSE(none.seasonal);
  EXPECT_EQ(none.flat.count, 0);
  EXPECT_TRUE(std::isnan(none.Expected(kMonday)));
}

bool SameStats(const SlotStats& a, const SlotStats& b) {
  auto same = [](double x, double y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
  return same(a.median, b.median) && same(a.p90, b.p90) && same(a.p99, b.p99) &&
         same(a.mad, b.mad) && a.count == b.count;
}

TEST(BaselineTest, JsonRoundTrip) {
  std::vector<Point> points = HourlySteps(1);
  std::erase_if(points, [](const Point& p) { return HourOfWeek(p.t) == 42; });  // an empty slot
  std::vector<Baseline> baselines = {
      ComputeBaseline({{"op", "select"}, {"table", "users"}}, points, BaselineOptions{}),
      ComputeBaseline({}, std::vector<Point>(points.begin(), points.begin() + 100),
                      BaselineOptions{})};
  nlohmann::json json = BaselinesToJson("db_p95", 7, kMonday, baselines);
  EXPECT_EQ(json["watch"], "db_p95");
  EXPECT_TRUE(json["baselines"][0]["slots"][42][0].is_null());
  std::string error;
  auto back = BaselinesFromJson(nlohmann::json::parse(json.dump()), &error);
  ASSERT_TRUE(back) << error;
  ASSERT_EQ(back->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Baseline& a = baselines[i];
    const Baseline& b = (*back)[i];
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.seasonal, b.seasonal);
    EXPECT_EQ(a.from, b.from);
    EXPECT_EQ(a.to, b.to);
    EXPECT_EQ(b.version, 7);
    EXPECT_EQ(b.computed_at, kMonday);
    EXPECT_TRUE(SameStats(a.flat, b.flat));
    for (std::size_t s = 0; s < kHoursPerWeek; ++s) {
      EXPECT_TRUE(SameStats(a.slots[s], b.slots[s])) << "slot " << s;
    }
  }
  EXPECT_FALSE(BaselinesFromJson(nlohmann::json::parse("{\"baselines\": 3}"), &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(
      BaselinesFromJson(nlohmann::json::parse("{\"baselines\": [{\"labels\": {}}]}"), &error));
}

struct EngineFixture {
  std::shared_ptr<promql::MemoryQueryable> queryable = std::make_shared<promql::MemoryQueryable>();
  std::unique_ptr<QueryEngine> engine;
  AnalyticsConfig config;

  explicit EngineFixture(int weeks) {
    for (const char* process : {"a", "b"}) {
      std::vector<Point> points;
      const double scale = process[0] == 'a' ? 1 : 10;
      for (Timestamp t = kMonday; t < kMonday + weeks * kWeekMs; t += kMinute) {
        points.push_back({t, scale * (1 + HourOfWeek(t))});
      }
      queryable->Add({{"__name__", "lat"}, {"process", process}}, std::move(points));
    }
    engine = MakeQueryableEngine(queryable);
    Watch watch;
    watch.name = "lat";
    watch.expr = "lat";
    config.watches = {watch};
  }
};

TEST(BaselineTest, ComputedThroughTheEngine) {
  EngineFixture f(5);
  const Timestamp now = kMonday + 5 * kWeekMs - kMinute;
  AnalysisContext context{.engine = *f.engine, .config = f.config, .now = now};
  std::string error;
  std::vector<Baseline> baselines = ComputeWatchBaselines(context, f.config.watches[0], &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(baselines.size(), 2u);
  const Baseline& b = baselines[1];
  EXPECT_EQ(*promql::GetLabel(b.labels, "process"), "b");
  EXPECT_TRUE(b.seasonal);
  // The newest hour is left out: the baseline ends at now - regression.window.
  EXPECT_EQ(b.to, now - 60 * kMinute);
  EXPECT_EQ(b.to - b.from, 4 * kWeekMs - 5 * kMinute);
  EXPECT_DOUBLE_EQ(b.slots[20].median, 210);
  EXPECT_GE(b.slots[20].count, 47);

  // A query error is reported, not thrown.
  Watch bad = f.config.watches[0];
  bad.expr = "rate(lat)";
  EXPECT_TRUE(ComputeWatchBaselines(context, bad, &error).empty());
  EXPECT_NE(error.find("baseline of lat"), std::string::npos);
}

TEST(BaselineTest, StoredVersionsAreReusedUntilRefresh) {
  EngineFixture f(5);
  const auto directory = std::filesystem::temp_directory_path() /
                         ("metricsd_baseline_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  auto db = AnalyticsDb::Open(directory.string());
  const Timestamp now = kMonday + 5 * kWeekMs - kMinute;
  std::string error;
  AnalysisContext first{.engine = *f.engine, .config = f.config, .now = now, .db = db.get()};
  std::vector<Baseline> computed = BaselinesFor(first, f.config.watches[0], &error);
  ASSERT_EQ(computed.size(), 2u) << error;
  EXPECT_EQ(computed[0].version, 1);
  EXPECT_EQ(computed[0].computed_at, now);

  // An hour later the stored version is reused (its `to` does not move).
  AnalysisContext later{
      .engine = *f.engine, .config = f.config, .now = now + kHourMs, .db = db.get()};
  std::vector<Baseline> reused = BaselinesFor(later, f.config.watches[0], &error);
  ASSERT_EQ(reused.size(), 2u);
  EXPECT_EQ(reused[0].version, 1);
  EXPECT_EQ(reused[0].to, computed[0].to);
  EXPECT_DOUBLE_EQ(reused[1].slots[20].median, computed[1].slots[20].median);

  // Past baseline.refresh (24h) a new version is computed and stored.
  AnalysisContext next_day{
      .engine = *f.engine, .config = f.config, .now = now + 25 * kHourMs, .db = db.get()};
  std::vector<Baseline> refreshed = BaselinesFor(next_day, f.config.watches[0], &error);
  ASSERT_EQ(refreshed.size(), 2u);
  EXPECT_EQ(refreshed[0].version, 2);
  EXPECT_EQ(db->BaselineVersions("lat").size(), 2u);

  nlohmann::json served = BaselinesJsonFor(next_day, f.config.watches[0], &error);
  EXPECT_EQ(served["version"], 2);
  EXPECT_EQ(served["baselines"].size(), 2u);

  // Without a database nothing is stored: version 0.
  AnalysisContext no_db{.engine = *f.engine, .config = f.config, .now = now};
  EXPECT_EQ(BaselinesFor(no_db, f.config.watches[0], &error)[0].version, 0);
  db.reset();
  std::filesystem::remove_all(directory);
}

TEST(BaselineTest, ReportSectionListsEverySeries) {
  EngineFixture f(2);
  const Timestamp now = kMonday + 2 * kWeekMs - kMinute;
  AnalysisContext context{
      .engine = *f.engine, .config = f.config, .now = now, .start = now - 24 * kHourMs, .end = now};
  ReportSection section = BuildBaselinesSection(context);
  EXPECT_EQ(section.id, "baselines");
  EXPECT_TRUE(section.error.empty());
  const ReportTable* table = nullptr;
  for (const auto& block : section.blocks) {
    if (const auto* t = std::get_if<ReportTable>(&block)) table = t;
  }
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->rows[0][0], "{process=\"a\"}");
  EXPECT_EQ(table->rows[0][1], "seasonal");
  EXPECT_EQ(table->rows[0][2], "168");  // Sunday 23:00 is slot 167, value 168
  EXPECT_FALSE(section.notes.empty());
  EXPECT_EQ(section.data["watches"][0]["series"].size(), 2u);
}

// --- Options ------------------------------------------------------------------------------

template <class T>
T ParseYaml(const config::Section<T>& section, const std::string& yaml) {
  return section.Parse(ConfigNode(YAML::Load(yaml), "test.yaml"));
}

TEST(BaselineConfig, DefaultsKeysAndBounds) {
  BaselineOptions defaults = ParseYaml(BaselineSection(), "{}");
  EXPECT_EQ(defaults, BaselineOptions{});
  EXPECT_EQ(defaults.weeks, 4);
  EXPECT_EQ(defaults.min_weeks, 1);
  EXPECT_EQ(defaults.step, std::chrono::minutes(5));
  EXPECT_EQ(defaults.min_samples_per_slot, 3);
  EXPECT_EQ(defaults.refresh, std::chrono::hours(24));
  BaselineOptions set =
      ParseYaml(BaselineSection(),
                "{weeks: 8, min_weeks: 2, step: 15m, min_samples_per_slot: 5, refresh: 6h}");
  EXPECT_EQ(set.weeks, 8);
  EXPECT_EQ(set.min_weeks, 2);
  EXPECT_EQ(set.step, std::chrono::minutes(15));
  EXPECT_EQ(set.refresh, std::chrono::hours(6));
  EXPECT_THROW(ParseYaml(BaselineSection(), "{weeks: 0}"), ConfigError);
  EXPECT_THROW(ParseYaml(BaselineSection(), "{weeks: 2, min_weeks: 3}"), ConfigError);
  EXPECT_THROW(ParseYaml(BaselineSection(), "{step: 1s}"), ConfigError);
  EXPECT_THROW(ParseYaml(BaselineSection(), "{wekes: 4}"), ConfigError);
}

TEST(RegressionConfig, DefaultsKeysAndBounds) {
  RegressionOptions defaults = ParseYaml(RegressionSection(), "{}");
  EXPECT_EQ(defaults, RegressionOptions{});
  EXPECT_EQ(defaults.window, std::chrono::hours(1));
  EXPECT_EQ(defaults.step, std::chrono::minutes(1));
  EXPECT_DOUBLE_EQ(defaults.alpha, 0.001);
  EXPECT_DOUBLE_EQ(defaults.min_change, 5);
  EXPECT_DOUBLE_EQ(defaults.cusum_k, 0.5);
  EXPECT_DOUBLE_EQ(defaults.cusum_h, 5);
  EXPECT_EQ(defaults.min_points, 10);
  RegressionOptions set =
      ParseYaml(RegressionSection(),
                "{window: 2h, step: 30s, alpha: 0.01, min_change: 10, cusum_k: 1, cusum_h: 4, "
                "min_points: 20}");
  EXPECT_EQ(set.window, std::chrono::hours(2));
  EXPECT_EQ(set.step, std::chrono::seconds(30));
  EXPECT_DOUBLE_EQ(set.min_change, 10);
  EXPECT_EQ(set.min_points, 20);
  EXPECT_THROW(ParseYaml(RegressionSection(), "{alpha: 0.9}"), ConfigError);
  EXPECT_THROW(ParseYaml(RegressionSection(), "{window: 1h, step: 30m}"), ConfigError);
  EXPECT_THROW(ParseYaml(RegressionSection(), "{cusum_h: 0}"), ConfigError);
}

}  // namespace
}  // namespace metricsd::analytics
