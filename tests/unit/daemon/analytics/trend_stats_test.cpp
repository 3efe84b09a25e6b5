// Mann-Kendall and Theil-Sen on values whose answer is known: hand-computed small cases,
// exact lines, seeded noise (false-positive rate), seeded ramps (interval coverage).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "daemon/analytics/mann_kendall.h"
#include "daemon/analytics/normal_distribution.h"
#include "daemon/analytics/theil_sen.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {

using query::promql::Point;

TEST(MannKendallTest, StrictlyRisingFiveValuesMatchesHandComputation) {
  const std::vector<double> y = {1, 2, 3, 4, 5};
  const MannKendallResult r = MannKendall(y);
  EXPECT_EQ(r.n, 5u);
  EXPECT_DOUBLE_EQ(r.s, 10);
  // n(n-1)(2n+5)/18 = 5*4*15/18
  EXPECT_NEAR(r.var_s, 16.6666667, 1e-6);
  // (S - 1) / sqrt(Var) = 9 / 4.0825 = 2.2045; two-sided p = erfc(2.2045 / sqrt 2) = 0.0275
  EXPECT_NEAR(r.z, 2.20454, 1e-4);
  EXPECT_NEAR(r.p_two_sided, 0.02749, 1e-4);
  EXPECT_NEAR(r.p_increasing, 0.01375, 1e-4);
  EXPECT_NEAR(r.p_decreasing, 1 - 0.01375, 1e-4);
  EXPECT_DOUBLE_EQ(r.tau, 1.0);
}

TEST(MannKendallTest, TieCorrectionAndFallingSeries) {
  // Pairs of {1, 1, 2, 3}: one tie, five rising: S = 5.
  // Var = (4*3*13 - 2*1*9) / 18 = 138 / 18.
  const std::vector<double> y = {1, 1, 2, 3};
  const MannKendallResult r = MannKendall(y);
  EXPECT_DOUBLE_EQ(r.s, 5);
  EXPECT_NEAR(r.var_s, 138.0 / 18, 1e-12);
  EXPECT_NEAR(r.tau, 5.0 / 6, 1e-12);

  const std::vector<double> falling = {5, 4, 3, 2, 1};
  const MannKendallResult f = MannKendall(falling);
  EXPECT_DOUBLE_EQ(f.s, -10);
  EXPECT_NEAR(f.z, -2.20454, 1e-4);
  EXPECT_NEAR(f.p_decreasing, 0.01375, 1e-4);
  EXPECT_DOUBLE_EQ(f.tau, -1.0);
}

TEST(MannKendallTest, GapsAreSkippedAndConstantSeriesIsNotATrend) {
  const std::vector<double> gaps = {1,    kNaN, 2, 3,
                                    kNaN, 4,    5, std::numeric_limits<double>::infinity()};
  const MannKendallResult r = MannKendall(gaps);
  EXPECT_EQ(r.n, 5u);
  EXPECT_DOUBLE_EQ(r.s, 10);
  EXPECT_NEAR(r.p_two_sided, 0.02749, 1e-4);

  const std::vector<double> flat(20, 3.0);
  const MannKendallResult c = MannKendall(flat);
  EXPECT_DOUBLE_EQ(c.s, 0);
  EXPECT_DOUBLE_EQ(c.p_two_sided, 1);
  EXPECT_DOUBLE_EQ(c.p_increasing, 1);

  const std::vector<double> two = {1, 2};
  EXPECT_TRUE(std::isnan(MannKendall(two).p_two_sided));
}

TEST(MannKendallTest, NormalQuantileInvertsTheTail) {
  EXPECT_NEAR(normal::Quantile(0.975), 1.959963985, 1e-8);
  EXPECT_NEAR(normal::Quantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(normal::Quantile(0.01), -2.326347874, 1e-8);
  EXPECT_NEAR(normal::Quantile(1e-6), -4.753424309, 1e-7);
  EXPECT_NEAR(normal::UpperTail(1.959963985), 0.025, 1e-9);
  EXPECT_TRUE(std::isnan(normal::Quantile(0)));
  EXPECT_TRUE(std::isnan(normal::Quantile(1)));
}

// Pure noise: at a 5 % level about 5 % of series are called trends; allow 2..10 % of 400.
TEST(MannKendallTest, PureNoiseFalsePositiveRateNearAlpha) {
  std::mt19937 rng(1234);
  std::normal_distribution<double> noise(10, 2);
  int two_sided = 0, one_sided_1pct = 0;
  constexpr int kSeries = 400;
  for (int s = 0; s < kSeries; ++s) {
    std::vector<double> y(100);
    for (double& v : y) v = noise(rng);
    const MannKendallResult r = MannKendall(y);
    two_sided += r.p_two_sided < 0.05;
    one_sided_1pct += r.p_increasing < 0.01;
  }
  EXPECT_GE(two_sided, kSeries * 2 / 100);
  EXPECT_LE(two_sided, kSeries * 10 / 100);
  EXPECT_LE(one_sided_1pct, kSeries * 3 / 100);
}

// The autocorrelation guard: AR(1) noise (phi 0.9 at a 5-minute step, no trend) fools the
// test on raw points far more often than alpha; medians of 1-hour buckets (neighbours then
// correlate about 0.9^12 = 0.28) bring the rate most of the way back.
TEST(MannKendallTest, BucketMediansTameAutocorrelatedNoise) {
  std::mt19937 rng(2024);
  std::normal_distribution<double> shock(0, 1);
  int raw = 0, hourly = 0;
  constexpr int kSeries = 50;
  for (int s = 0; s < kSeries; ++s) {
    std::vector<Point> points;
    double e = 0;
    for (int i = 0; i < 2016; ++i) {  // a week
      e = 0.9 * e + shock(rng);
      points.push_back({i * 300'000, 10 + e});
    }
    std::vector<double> values;
    for (const Point& p : points) values.push_back(p.v);
    raw += MannKendall(values).p_two_sided < 0.05;
    values.clear();
    for (const Point& p : BucketMedians(points, 3'600'000)) values.push_back(p.v);
    hourly += MannKendall(values).p_two_sided < 0.05;
  }
  std::printf("AR(1) 0.9 noise, 5%% test: %d/%d raw, %d/%d on hourly medians\n", raw, kSeries,
              hourly, kSeries);
  EXPECT_GT(raw, kSeries * 30 / 100);
  EXPECT_LT(hourly, raw / 2);
}

TEST(MannKendallTest, NoisyRampIsSignificant) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> y(100);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = 0.05 * static_cast<double>(i) + noise(rng);
  const MannKendallResult r = MannKendall(y);
  EXPECT_LT(r.p_increasing, 1e-4);
  EXPECT_GT(r.tau, 0.3);
}

TEST(MannKendallTest, BucketMediansAlignToTheEpoch) {
  std::vector<Point> points;
  for (int i = 0; i < 12; ++i) points.push_back({i * 10'000, static_cast<double>(i)});
  points[1].v = kNaN;
  // 30 s buckets: {0, NaN, 2}, {3, 4, 5}, {6, 7, 8}, {9, 10, 11}
  const std::vector<Point> b = BucketMedians(points, 30'000);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].t, 15'000);
  EXPECT_DOUBLE_EQ(b[0].v, 1.0);  // median of {0, 2}
  EXPECT_DOUBLE_EQ(b[1].v, 4.0);
  EXPECT_EQ(b[3].t, 105'000);
  EXPECT_EQ(BucketMedians(points, 0).size(), 11u);  // the finite points as they are
}

TEST(TheilSenTest, ExactLineAndOutliers) {
  std::vector<double> x, y;
  for (int i = 0; i < 50; ++i) {
    x.push_back(100 + i);
    y.push_back(3 + 2.0 * (100 + i));
  }
  TheilSenFit fit = TheilSen(x, y);
  EXPECT_DOUBLE_EQ(fit.slope, 2.0);
  EXPECT_NEAR(fit.At(0), 3.0, 1e-9);
  EXPECT_DOUBLE_EQ(fit.slope_lower, 2.0);
  EXPECT_DOUBLE_EQ(fit.slope_upper, 2.0);
  // A fifth of the points wild: the median of slopes does not move much (least squares would).
  for (int i = 0; i < 50; i += 5) y[static_cast<std::size_t>(i)] += 1000;
  fit = TheilSen(x, y);
  EXPECT_NEAR(fit.slope, 2.0, 0.1);
}

TEST(TheilSenTest, TooFewPointsOrEqualXGiveNoSlope) {
  const std::vector<double> one = {1}, same_x = {5, 5, 5}, y3 = {1, 2, 3};
  EXPECT_FALSE(TheilSen(one, one).ok());
  EXPECT_FALSE(TheilSen(same_x, y3).ok());
}

// Sen's 95 % interval covers the true slope in about 95 % of seeded noisy ramps.
TEST(TheilSenTest, ConfidenceIntervalCoversTheTrueSlope) {
  std::mt19937 rng(99);
  std::normal_distribution<double> noise(0, 1);
  int covered = 0;
  constexpr int kRuns = 200;
  for (int run = 0; run < kRuns; ++run) {
    std::vector<double> x(60), y(60);
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = static_cast<double>(i);
      y[i] = 0.1 * x[i] + noise(rng);
    }
    const TheilSenFit fit = TheilSen(x, y, 0.95);
    covered += fit.slope_lower <= 0.1 && 0.1 <= fit.slope_upper;
  }
  EXPECT_GE(covered, kRuns * 90 / 100);
  EXPECT_LE(covered, kRuns * 99 / 100);
}

TEST(TheilSenTest, LongSeriesAreDownsampledToRunMedians) {
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0, 0.5);
  std::vector<Point> points;
  const query::promql::Timestamp t0 = 1'800'000'000'000;
  for (int i = 0; i < 5000; ++i) {
    points.push_back({t0 + i * 60'000, 10 + 0.001 * i * 60 + noise(rng)});  // 0.001 per second
  }
  points[100].v = kNaN;
  const TheilSenFit fit = TheilSenSeries(points);
  EXPECT_TRUE(fit.downsampled);
  EXPECT_EQ(fit.n, kTheilSenMaxPoints);
  EXPECT_NEAR(fit.slope, 0.001, 0.00002);
  EXPECT_LE(fit.slope_lower, 0.001);
  EXPECT_GE(fit.slope_upper, 0.001);
  EXPECT_NEAR(FittedAt(fit, t0), 10, 0.1);
  EXPECT_EQ(DownsampleMedians(points, 100).size(), 100u);
}

}  // namespace
}  // namespace metricsd::analytics
