// Regression detection: the pure layer on synthetic seasonal series with known steps (the
// accuracy bar: a 10 % step found within 30 minutes, at most 1 false episode per week), and
// the query layer through the real PromQL engine over a MemoryQueryable.
#include "daemon/analytics/regression.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <random>
#include <vector>

#include "daemon/analytics/baseline.h"
#include "daemon/query/promql/memory_queryable.h"

namespace metricsd::analytics {
namespace {

using promql::Labels;
using promql::Point;

constexpr Timestamp kMinuteMs = 60'000;
constexpr Timestamp kDay = 24 * kHourMs;
constexpr double kPiValue = 3.14159265358979323846;
// Monday 2026-11-02 00:00:00 UTC.
constexpr Timestamp kMondayMs = 1793577600000;

struct SeriesSpec {
  double mean = 100;       // e.g. milliseconds of a p95
  double daily = 0.3;      // daily sine amplitude, fraction of the mean
  double weekly = 0.1;     // weekly sine amplitude
  double noise = 0.05;     // multiplicative Gaussian noise, sd
  Timestamp step_at = -1;  // when the level changes (-1: never)
  double step = 0.10;      // the change, fraction of the level
  double spikes = 0;       // share of points multiplied by 3 (outliers)
  unsigned seed = 1;
};

// Every minute from `from` to `to` (exclusive).
std::vector<Point> Generate(const SeriesSpec& spec, Timestamp from, Timestamp to) {
  std::mt19937 rng(spec.seed);
  std::normal_distribution<double> noise(0, spec.noise);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<Point> points;
  for (Timestamp t = from; t < to; t += kMinuteMs) {
    const double tt = static_cast<double>(t);
    double v = spec.mean * (1 + spec.daily * std::sin(2 * kPiValue * tt / static_cast<double>(kDay))) *
               (1 + spec.weekly * std::sin(2 * kPiValue * tt / static_cast<double>(kWeekMs))) *
               (1 + noise(rng));
    if (spec.step_at >= 0 && t >= spec.step_at) v *= 1 + spec.step;
    if (spec.spikes > 0 && uniform(rng) < spec.spikes) v *= 3;
    points.push_back({t, v});
  }
  return points;
}

// What the daemon would do, on points: a baseline recomputed every baseline.refresh from the
// history at baseline.step (the newest window left out), and detection every `every`.
class PureDetector {
 public:
  PureDetector(std::vector<Point> history, bool higher_is_worse)
      : history_(std::move(history)), higher_is_worse_(higher_is_worse) {}

  RegressionAnalysis At(Timestamp now) {
    const Timestamp window = regression_.window.count();
    if (!baseline_ || now - computed_at_ >= baseline_options_.refresh.count()) {
      const Timestamp end = now - window;
      const Timestamp step = baseline_options_.step.count();
      std::vector<Point> sampled;
      for (const Point& p : Slice(history_, end - baseline_options_.weeks * kWeekMs, end)) {
        if (p.t % step == end % step) sampled.push_back(p);
      }
      baseline_ = ComputeBaseline({}, sampled, baseline_options_);
      computed_at_ = now;
    }
    std::span<const Point> recent = Slice(history_, now - window, now);
    std::vector<Point> reference = ReferenceWindow(history_, now, window, baseline_options_.weeks);
    return AnalyzeSeries(*baseline_, recent, reference, higher_is_worse_, regression_);
  }

  const Baseline& baseline() const { return *baseline_; }

 private:
  std::vector<Point> history_;
  bool higher_is_worse_;
  BaselineOptions baseline_options_;
  RegressionOptions regression_;
  std::optional<Baseline> baseline_;
  Timestamp computed_at_ = 0;
};

constexpr Timestamp kEvery = 5 * kMinuteMs;
// Evaluation starts after 4 full weeks of history plus the window.
constexpr Timestamp kFirstRun = kMondayMs + 4 * kWeekMs + 2 * kHourMs;

// Detection every 5 minutes from `from` to `to`: the first flagged run, or -1.
Timestamp FirstDetection(PureDetector& detector, Timestamp from, Timestamp to,
                         RegressionAnalysis* found = nullptr) {
  for (Timestamp t = from; t <= to; t += kEvery) {
    RegressionAnalysis a = detector.At(t);
    if (a.regression) {
      if (found != nullptr) *found = a;
      return t;
    }
  }
  return -1;
}

// Runs flagged in a row are one episode (as an alert would fire once and resolve).
int Episodes(PureDetector& detector, Timestamp from, Timestamp to) {
  int episodes = 0;
  bool previous = false;
  for (Timestamp t = from; t < to; t += kEvery) {
    const bool flagged = detector.At(t).regression;
    if (flagged && !previous) ++episodes;
    previous = flagged;
  }
  return episodes;
}

// The accuracy bar (issue 14): a 10 % step in a noisy seasonal series is found within 30
// minutes, and the same series without the step gives at most 1 false episode in a week of
// 5-minute runs. Five step times (steep and flat parts of the daily cycle, weekday and
// weekend) and five seeds.
TEST(RegressionAccuracyTest, TenPercentStepWithinThirtyMinutes) {
  const Timestamp step_times[] = {
      kFirstRun + 3 * kHourMs + 17 * kMinuteMs,              // Monday 05:17
      kFirstRun + 1 * kDay + 4 * kHourMs + 3 * kMinuteMs,    // Tuesday, the steep part
      kFirstRun + 2 * kDay + 12 * kHourMs + 41 * kMinuteMs,  // Wednesday afternoon
      kFirstRun + 4 * kDay + 20 * kHourMs + 29 * kMinuteMs,  // Friday night
      kFirstRun + 5 * kDay + 16 * kHourMs + 58 * kMinuteMs,  // Saturday
  };
  Timestamp worst = 0;
  double total = 0;
  int found = 0;
  for (unsigned i = 0; i < 5; ++i) {
    SeriesSpec spec;
    spec.seed = 100 + i;
    spec.step_at = step_times[i];
    PureDetector detector(Generate(spec, kMondayMs, spec.step_at + 2 * kHourMs), true);
    RegressionAnalysis analysis;
    // From two hours before the step (no finding expected there) to one hour after.
    const Timestamp first =
        FirstDetection(detector, spec.step_at - 2 * kHourMs, spec.step_at + kHourMs, &analysis);
    ASSERT_GE(first, spec.step_at)
        << "a finding before the step, case " << i << ": " << analysis.ToJson().dump();
    const Timestamp delay = first - spec.step_at;
    EXPECT_LE(delay, 30 * kMinuteMs) << "case " << i;
    EXPECT_NEAR(static_cast<double>(analysis.start - spec.step_at), 0, 15.0 * kMinuteMs)
        << "case " << i;
    EXPECT_NEAR(analysis.magnitude, 10, 4) << "case " << i;
    EXPECT_LT(analysis.p, 0.001);
    worst = std::max(worst, delay);
    total += static_cast<double>(delay);
    ++found;
  }
  std::cout << "FIGURE regression_detection_delay_minutes " << worst / kMinuteMs
            << " (worst of 5; mean " << total / found / kMinuteMs << ")\n";
}

TEST(RegressionAccuracyTest, AtMostOneFalseEpisodePerWeek) {
  int worst = 0;
  for (unsigned seed = 200; seed < 205; ++seed) {
    SeriesSpec spec;
    spec.seed = seed;
    PureDetector detector(Generate(spec, kMondayMs, kFirstRun + kWeekMs), true);
    const int episodes = Episodes(detector, kFirstRun, kFirstRun + kWeekMs);
    EXPECT_LE(episodes, 1) << "seed " << seed;
    worst = std::max(worst, episodes);
  }
  std::cout << "FIGURE regression_false_episodes_per_week " << worst << " (worst of 5 weeks)\n";
}

TEST(RegressionAccuracyTest, NoisierSeriesAreFoundLater) {
  // 7.5 % and 10 % noise: the step is 1.3 and 1 noise sd. Measured and printed; the bar is
  // asserted at 5 % noise above, here that the step is found within an hour and a clean week
  // keeps to one false episode.
  for (double noise : {0.075, 0.10}) {
    SeriesSpec spec;
    spec.noise = noise;
    spec.seed = 300;
    const Timestamp step_at = kFirstRun + 2 * kDay + 10 * kHourMs + 7 * kMinuteMs;
    spec.step_at = step_at;
    PureDetector stepped(Generate(spec, kMondayMs, step_at + 2 * kHourMs), true);
    const Timestamp first = FirstDetection(stepped, step_at - kHourMs, step_at + 2 * kHourMs);
    ASSERT_GE(first, step_at) << "noise " << noise;
    EXPECT_LE(first - step_at, 60 * kMinuteMs) << "noise " << noise;
    spec.step_at = -1;
    PureDetector clean(Generate(spec, kMondayMs, kFirstRun + kWeekMs), true);
    const int episodes = Episodes(clean, kFirstRun, kFirstRun + kWeekMs);
    EXPECT_LE(episodes, 1) << "noise " << noise;
    std::cout << "FIGURE regression_detection_delay_minutes_noise" << noise * 100 << " "
              << (first - step_at) / kMinuteMs << "\n";
    std::cout << "FIGURE regression_false_episodes_per_week_noise" << noise * 100 << " " << episodes
              << "\n";
  }
}

TEST(RegressionAccuracyTest, OutlierSpikesNeitherAlarmNorMoveTheStart) {
  // 1 % of the points are 3x spikes (a latency quantile's bad minutes).
  SeriesSpec spec;
  spec.spikes = 0.01;
  spec.seed = 350;
  PureDetector clean(Generate(spec, kMondayMs, kFirstRun + kWeekMs), true);
  const int episodes = Episodes(clean, kFirstRun, kFirstRun + kWeekMs);
  EXPECT_LE(episodes, 1);
  std::cout << "FIGURE regression_false_episodes_per_week_spikes " << episodes << "\n";
  spec.step_at = kFirstRun + 3 * kDay + 15 * kHourMs + 33 * kMinuteMs;
  PureDetector stepped(Generate(spec, kMondayMs, spec.step_at + 2 * kHourMs), true);
  RegressionAnalysis analysis;
  const Timestamp first =
      FirstDetection(stepped, spec.step_at - kHourMs, spec.step_at + kHourMs, &analysis);
  ASSERT_GE(first, spec.step_at);
  EXPECT_LE(first - spec.step_at, 30 * kMinuteMs);
  EXPECT_NEAR(static_cast<double>(analysis.start - spec.step_at), 0, 15.0 * kMinuteMs);
  std::cout << "FIGURE regression_detection_delay_minutes_spikes "
            << (first - spec.step_at) / kMinuteMs << "\n";
}

TEST(RegressionTest, ASpikeBeforeAStepDoesNotMoveItsStart) {
  // Flat series, 5 % noise; in the window a single 3x spike at minute 20 and a 15 % step at
  // minute 35. The residuals are clipped before the CUSUM, so the spike's sum has decayed
  // before the step and the start is the step's, not the spike's.
  SeriesSpec spec;
  spec.daily = 0;
  spec.weekly = 0;
  spec.seed = 370;
  const Timestamp now = kMondayMs + 3 * kDay;
  std::vector<Point> points = Generate(spec, kMondayMs, now + kMinuteMs);
  const Timestamp window_start = now - kHourMs;  // the window is (now - 1h, now]
  for (Point& p : points) {
    if (p.t == window_start + 20 * kMinuteMs) p.v *= 3;
    if (p.t >= window_start + 35 * kMinuteMs) p.v *= 1.15;
  }
  RegressionOptions options;
  Baseline b = ComputeBaseline({}, Slice(points, kMondayMs - 1, window_start), BaselineOptions{});
  std::span<const Point> day = Slice(points, window_start - kDay, window_start);
  std::vector<Point> reference(day.begin(), day.end());
  RegressionAnalysis a =
      AnalyzeSeries(b, Slice(points, window_start, now), reference, true, options);
  ASSERT_TRUE(a.regression) << a.reason;
  EXPECT_GE(a.cusum_index, 33u);
  EXPECT_LE(a.cusum_index, 37u);
  EXPECT_NEAR(a.magnitude, 15, 4);
}

TEST(RegressionTest, LowerIsWorseAndImprovements) {
  SeriesSpec spec;
  spec.seed = 400;
  spec.step_at = kFirstRun + kDay + 9 * kHourMs + 13 * kMinuteMs;
  spec.step = -0.10;  // throughput drops 10 %
  {
    PureDetector throughput(Generate(spec, kMondayMs, spec.step_at + 2 * kHourMs), false);
    RegressionAnalysis a;
    const Timestamp first =
        FirstDetection(throughput, spec.step_at - kHourMs, spec.step_at + kHourMs, &a);
    ASSERT_GE(first, spec.step_at);
    EXPECT_LE(first - spec.step_at, 30 * kMinuteMs);
    EXPECT_NEAR(a.magnitude, 10, 4);  // positive: worse
  }
  {
    // The same drop in a latency (higher is worse) is an improvement: no finding.
    PureDetector latency(Generate(spec, kMondayMs, spec.step_at + 2 * kHourMs), true);
    EXPECT_EQ(FirstDetection(latency, spec.step_at - kHourMs, spec.step_at + 2 * kHourMs), -1);
  }
  {
    // A 10 % rise in throughput is an improvement too.
    spec.step = 0.10;
    PureDetector throughput(Generate(spec, kMondayMs, spec.step_at + 2 * kHourMs), false);
    EXPECT_EQ(FirstDetection(throughput, spec.step_at - kHourMs, spec.step_at + 2 * kHourMs), -1);
  }
}

TEST(RegressionTest, GapsDoNotHideAStepNorBreakAnything) {
  SeriesSpec spec;
  spec.seed = 500;
  spec.step_at = kFirstRun + 3 * kDay + 11 * kHourMs + 2 * kMinuteMs;
  std::vector<Point> points = Generate(spec, kMondayMs, spec.step_at + 2 * kHourMs);
  // Every 4th point missing (NaN) and a 15-minute hole just before the step.
  for (std::size_t i = 0; i < points.size(); i += 4) points[i].v = std::nan("");
  for (Point& p : points) {
    if (p.t >= spec.step_at - 20 * kMinuteMs && p.t < spec.step_at - 5 * kMinuteMs) p.v = std::nan("");
  }
  PureDetector detector(points, true);
  const Timestamp first = FirstDetection(detector, spec.step_at - kHourMs, spec.step_at + kHourMs);
  ASSERT_GE(first, spec.step_at);
  EXPECT_LE(first - spec.step_at, 30 * kMinuteMs);

  // A window of nothing but gaps: no finding, a reason, no throw.
  Baseline baseline = detector.baseline();
  std::vector<Point> empty_window;
  for (Timestamp t = spec.step_at; t < spec.step_at + kHourMs; t += kMinuteMs) {
    empty_window.push_back({t, std::nan("")});
  }
  RegressionAnalysis a = AnalyzeSeries(baseline, empty_window, points, true, RegressionOptions{});
  EXPECT_FALSE(a.regression);
  EXPECT_FALSE(a.reason.empty());
  a = AnalyzeSeries(baseline, {}, {}, true, RegressionOptions{});
  EXPECT_FALSE(a.regression);
}

TEST(RegressionTest, ShortHistoryUsesTheFlatBaseline) {
  // Three days of a level series (no season) with 5 % noise, then a 10 % step.
  SeriesSpec spec;
  spec.daily = 0;
  spec.weekly = 0;
  spec.seed = 600;
  const Timestamp now_base = kMondayMs + 3 * kDay;
  spec.step_at = now_base + 37 * kMinuteMs;
  std::vector<Point> points = Generate(spec, kMondayMs, spec.step_at + kHourMs);
  RegressionOptions options;
  BaselineOptions baseline_options;
  int detected_after = -1;
  for (Timestamp now = now_base; now <= spec.step_at + kHourMs; now += kEvery) {
    const Timestamp window = options.window.count();
    Baseline b = ComputeBaseline({}, Slice(points, kMondayMs - 1, now - window), baseline_options);
    ASSERT_FALSE(b.seasonal);
    std::span<const Point> day = Slice(points, now - window - kDay, now - window);
    std::vector<Point> reference(day.begin(), day.end());
    RegressionAnalysis a =
        AnalyzeSeries(b, Slice(points, now - window, now), reference, true, options);
    if (a.regression) {
      EXPECT_GE(now, spec.step_at) << a.ToJson().dump();
      detected_after = static_cast<int>((now - spec.step_at) / kMinuteMs);
      break;
    }
  }
  EXPECT_GE(detected_after, 0);
  EXPECT_LE(detected_after, 30);
}

TEST(RegressionTest, AGaugeDroppingToZeroIsNotARegression) {
  // A restart drops a latency gauge to 0 for a few minutes (what a counter reset would look
  // like if a watch were a raw counter; watches are gauges and quantiles): lower is better,
  // and a blip is not a level shift.
  SeriesSpec spec;
  spec.seed = 700;
  std::vector<Point> points = Generate(spec, kMondayMs, kFirstRun + kDay);
  const Timestamp blip = kFirstRun + 10 * kHourMs;
  for (Point& p : points) {
    if (p.t >= blip && p.t < blip + 4 * kMinuteMs) p.v = 0;
  }
  PureDetector detector(points, true);
  EXPECT_EQ(FirstDetection(detector, blip - kHourMs, blip + 2 * kHourMs), -1);
}

TEST(RegressionTest, ReferenceWindowTakesTheSameHoursOfEarlierWeeks) {
  std::vector<Point> history;
  for (Timestamp t = kMondayMs; t < kMondayMs + 3 * kWeekMs; t += 10 * kMinuteMs) {
    history.push_back({t, 1});
  }
  const Timestamp now = kMondayMs + 2 * kWeekMs + 5 * kHourMs;
  std::vector<Point> reference = ReferenceWindow(history, now, kHourMs, 4);
  ASSERT_EQ(reference.size(), 12u);  // 6 per hour, weeks 1 and 2 ago (no data 3 or 4 ago)
  EXPECT_EQ(reference.front().t, kMondayMs + 4 * kHourMs + 10 * kMinuteMs);
  EXPECT_EQ(reference.back().t, kMondayMs + kWeekMs + 5 * kHourMs);
  EXPECT_TRUE(std::is_sorted(reference.begin(), reference.end(),
                             [](const Point& a, const Point& b) { return a.t < b.t; }));
}

// --- Through the real PromQL engine --------------------------------------------------------

struct EngineCase {
  std::shared_ptr<promql::MemoryQueryable> queryable = std::make_shared<promql::MemoryQueryable>();
  std::unique_ptr<QueryEngine> engine;
  AnalyticsConfig config;
  Timestamp step_at = kFirstRun + 2 * kDay + 14 * kHourMs + 21 * kMinuteMs;

  EngineCase() {
    SeriesSpec spec;
    spec.seed = 800;
    spec.step_at = step_at;
    queryable->Add({{"__name__", "ao_handler_p95"}, {"process", "x"}},
                   Generate(spec, kMondayMs, step_at + 2 * kHourMs));
    SeriesSpec quiet;
    quiet.seed = 801;
    queryable->Add({{"__name__", "ao_handler_p95"}, {"process", "y"}},
                   Generate(quiet, kMondayMs, step_at + 2 * kHourMs));
    engine = MakeQueryableEngine(queryable);
    Watch watch;
    watch.name = "ao_handler_p95";
    watch.expr = "ao_handler_p95";
    watch.unit = "milliseconds";
    config.watches = {watch};
  }
};

TEST(RegressionEngineTest, DetectsTheStepThroughTheEngine) {
  EngineCase c;
  Timestamp first = -1;
  Finding finding;
  const auto started = std::chrono::steady_clock::now();
  int runs = 0;
  for (Timestamp now = c.step_at - 30 * kMinuteMs; now <= c.step_at + 45 * kMinuteMs; now += kEvery) {
    AnalysisContext context{.engine = *c.engine, .config = c.config, .now = now};
    std::vector<Finding> findings = DetectRegressions(context);
    ++runs;
    for (const Finding& f : findings) {
      EXPECT_EQ(f.labels, (Labels{{"process", "x"}})) << f.summary;
      if (first < 0) {
        first = now;
        finding = f;
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "FIGURE regression_engine_seconds_per_run " << seconds / runs << "\n";
  ASSERT_GE(first, c.step_at);
  std::cout << "FIGURE regression_engine_detection_delay_minutes " << (first - c.step_at) / kMinuteMs
            << "\n";
  EXPECT_LE(first - c.step_at, 30 * kMinuteMs);
  EXPECT_EQ(finding.kind, "regression");
  EXPECT_EQ(finding.watch, "ao_handler_p95");
  EXPECT_EQ(finding.detected, first);
  EXPECT_NEAR(static_cast<double>(finding.start - c.step_at), 0, 15.0 * kMinuteMs);
  EXPECT_NEAR(finding.magnitude, 10, 4);
  EXPECT_GT(finding.confidence, 0.999);
  EXPECT_EQ(finding.severity, "warning");
  EXPECT_EQ(finding.summary.rfind("ao_handler_p95{process=\"x\"} is ", 0), 0u) << finding.summary;
  EXPECT_NE(finding.summary.find("% higher than its baseline since "), std::string::npos);
  EXPECT_NE(finding.summary.find(" UTC (p="), std::string::npos);
  for (const char* key :
       {"p", "u", "z", "effect_size", "baseline_median", "recent_median", "cusum_index"}) {
    EXPECT_TRUE(finding.details.contains(key)) << key;
  }
  EXPECT_GT(finding.details["recent_median"].get<double>(),
            finding.details["baseline_median"].get<double>());
  EXPECT_FALSE(finding.details["start_at_window_begin"].get<bool>());

  // Ninety minutes on the shift fills the whole window: its start is the window's, "or
  // earlier".
  AnalysisContext later{.engine = *c.engine, .config = c.config, .now = c.step_at + 90 * kMinuteMs};
  std::vector<Finding> still = DetectRegressions(later);
  ASSERT_EQ(still.size(), 1u);
  EXPECT_TRUE(still[0].details["start_at_window_begin"].get<bool>());
  EXPECT_NE(still[0].summary.find(" UTC or earlier (p="), std::string::npos) << still[0].summary;
}

TEST(RegressionEngineTest, ReportSectionReplaysTheRange) {
  EngineCase c;
  const Timestamp end = c.step_at + 2 * kHourMs - kMinuteMs;
  AnalysisContext context{
      .engine = *c.engine, .config = c.config, .now = end, .start = end - 12 * kHourMs, .end = end};
  ReportSection section = BuildRegressionsSection(context);
  EXPECT_EQ(section.id, "regressions");
  EXPECT_TRUE(section.error.empty()) << section.error;
  const ReportFindings* findings = nullptr;
  const ReportChart* chart = nullptr;
  for (const auto& block : section.blocks) {
    if (const auto* f = std::get_if<ReportFindings>(&block)) findings = f;
    if (const auto* ch = std::get_if<ReportChart>(&block)) chart = ch;
  }
  ASSERT_NE(findings, nullptr);
  ASSERT_EQ(findings->findings.size(), 1u);  // one episode, however many evaluations saw it
  EXPECT_NEAR(static_cast<double>(findings->findings[0].start - c.step_at), 0, 15.0 * kMinuteMs);
  ASSERT_NE(chart, nullptr);
  ASSERT_EQ(chart->markers.size(), 1u);
  EXPECT_EQ(chart->markers[0].t, findings->findings[0].start);
  ASSERT_EQ(chart->bands.size(), 1u);
  EXPECT_EQ(chart->bands[0].lower.size(), chart->lines[0].points.size());
  EXPECT_EQ(section.data["findings"].size(), 1u);
  EXPECT_FALSE(section.notes.empty());
}

TEST(RegressionEngineTest, QueryErrorsAreReportedNotThrownPerWatch) {
  EngineCase c;
  Watch bad;
  bad.name = "broken";
  bad.expr = "rate(ao_handler_p95)";  // a range-vector function without a range
  c.config.watches.push_back(bad);
  AnalysisContext context{.engine = *c.engine, .config = c.config, .now = c.step_at + kHourMs};
  std::vector<std::string> errors;
  std::vector<Finding> findings = DetectRegressions(context, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("broken"), std::string::npos);
  EXPECT_FALSE(findings.empty());  // the good watch still reports
  // Only a failure of every watch throws (DetectAll turns it into its error list).
  c.config.watches = {bad};
  EXPECT_THROW(DetectRegressions(context), std::runtime_error);
}

TEST(RegressionEngineTest, ShortHistoryThroughTheEngineUsesTheDayBefore) {
  // Three days of history: flat baselines, the reference is the day before the window.
  SeriesSpec spec;
  spec.daily = 0;
  spec.weekly = 0;
  spec.seed = 900;
  spec.step_at = kMondayMs + 3 * kDay + 7 * kMinuteMs;
  auto queryable = std::make_shared<promql::MemoryQueryable>();
  queryable->Add({{"__name__", "tps"}, {"shard", "1"}},
                 Generate(spec, kMondayMs, spec.step_at + kHourMs));
  auto engine = MakeQueryableEngine(queryable);
  AnalyticsConfig config;
  Watch watch;
  watch.name = "tps";
  watch.expr = "tps";
  watch.kind = WatchKind::kThroughput;
  watch.direction = Direction::kLowerIsWorse;
  config.watches = {watch};
  // A 10 % rise in throughput: an improvement, never a finding.
  for (Timestamp now = spec.step_at - 20 * kMinuteMs; now <= spec.step_at + 40 * kMinuteMs;
       now += kEvery) {
    AnalysisContext context{.engine = *engine, .config = config, .now = now};
    EXPECT_TRUE(DetectRegressions(context).empty()) << "at +" << (now - spec.step_at) / kMinuteMs;
  }
  // The same rise with higher-is-worse is found through the flat baseline.
  config.watches[0].direction = Direction::kHigherIsWorse;
  Timestamp first = -1;
  for (Timestamp now = spec.step_at - 20 * kMinuteMs; now <= spec.step_at + 40 * kMinuteMs && first < 0;
       now += kEvery) {
    AnalysisContext context{.engine = *engine, .config = config, .now = now};
    std::vector<Finding> findings = DetectRegressions(context);
    if (!findings.empty()) first = now;
  }
  ASSERT_GE(first, spec.step_at);
  EXPECT_LE(first - spec.step_at, 30 * kMinuteMs);
}

}  // namespace
}  // namespace metricsd::analytics
