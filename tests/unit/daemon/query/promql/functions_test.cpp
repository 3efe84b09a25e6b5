// The function implementations called directly, with the inputs and expected values of
// Prometheus 2.42's promql/testdata (functions.test, histograms.test, trig_functions.test,
// aggregators.test's round cases) translated: a `load` becomes points, an `eval instant at T
// f(m[R])` becomes the window [T-R, T] (2.42's windows are closed at both ends), and
// instant-vector inputs are the loaded values at T. Edge cases the files do not cover take their
// expected values from 2.42's code (functions.go, quantile.go), cited where used.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/query/promql/functions.h"
#include "daemon/query/promql/query_error.h"

namespace metricsd::query::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;

// A `load <interval>` line's values: value i at i * interval.
std::vector<Point> Load(std::int64_t interval_ms, const std::vector<double>& values) {
  std::vector<Point> points;
  for (std::size_t i = 0; i < values.size(); ++i) {
    points.push_back(Point{static_cast<std::int64_t>(i) * interval_ms, values[i]});
  }
  return points;
}

// The test language's "a+bxn" (and "a-bxn"): a, a+b, ..., a+n*b.
std::vector<double> Seq(double start, double increment, int times) {
  std::vector<double> values;
  for (int i = 0; i <= times; ++i) values.push_back(start + increment * i);
  return values;
}
std::vector<double> Concat(std::vector<double> a, const std::vector<double>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Prometheus's test almostEqual, with our tighter default epsilon (1e-9 relative, what the
// differential test asks) unless the file's figure is rounded.
::testing::AssertionResult AlmostEqual(double actual, double expected, double epsilon = 1e-9) {
  if (std::isnan(actual) && std::isnan(expected)) return ::testing::AssertionSuccess();
  if (actual == expected) return ::testing::AssertionSuccess();
  const double diff = std::fabs(actual - expected);
  const bool ok = actual == 0 || expected == 0
                      ? diff < epsilon
                      : diff / (std::fabs(actual) + std::fabs(expected)) < epsilon;
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << actual << ", want " << expected;
}

// Calls the range function `name` over the points of `series` in [t - range - offset,
// t - offset], as the evaluator does for one step.
std::optional<double> EvalRange(std::string_view name, const std::vector<Point>& series,
                                std::int64_t t, std::int64_t range, std::vector<double> scalars = {},
                                std::int64_t offset = 0, std::optional<std::int64_t> at = {}) {
  const std::optional<FunctionImpl> impl = FindFunctionImpl(name);
  EXPECT_TRUE(impl.has_value() && impl->range != nullptr) << name;
  if (!impl || impl->range == nullptr) return std::nullopt;
  const std::int64_t end = at.value_or(t) - offset;
  const std::int64_t start = end - range;
  std::vector<Point> window;
  for (const Point& point : series) {
    if (point.t >= start && point.t <= end) window.push_back(point);
  }
  if (window.empty()) return std::nullopt;  // the evaluator never calls with no samples
  RangeCall call;
  call.points = window;
  call.range_start = start;
  call.range_end = end;
  call.eval_t = t;
  call.scalars = scalars;
  return impl->range(call);
}

double MustEvalRange(std::string_view name, const std::vector<Point>& series, std::int64_t t,
                     std::int64_t range, std::vector<double> scalars = {},
                     std::int64_t offset = 0, std::optional<std::int64_t> at = {}) {
  const std::optional<double> value = EvalRange(name, series, t, range, scalars, offset, at);
  EXPECT_TRUE(value.has_value()) << name;
  return value.value_or(kNaN);
}

Labels L(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  Labels labels;
  for (const auto& [name, value] : pairs) SetLabel(labels, name, value);
  return labels;
}

// Calls the instant function `name` at `t` with the given arguments.
Vector EvalInstant(std::string_view name, std::vector<Argument> args, std::int64_t t = 0) {
  const std::optional<FunctionImpl> impl = FindFunctionImpl(name);
  EXPECT_TRUE(impl.has_value() && impl->instant != nullptr) << name;
  if (!impl || impl->instant == nullptr) return {};
  InstantCall call;
  call.t = t;
  call.args = args;
  return impl->instant(call);
}

// One sample per value, labelled l=<label>.
Vector Values(const std::vector<std::pair<std::string, double>>& values,
              std::string_view metric = "m") {
  Vector out;
  for (const auto& [label, value] : values) {
    out.push_back(Sample{L({{"__name__", std::string(metric)}, {"l", label}}), 0, value});
  }
  return out;
}

// The output value for l=<label> (the name is dropped by these functions).
double ValueOf(const Vector& vector, std::string_view label) {
  for (const Sample& sample : vector) {
    const std::string* l = GetLabel(sample.labels, "l");
    if (l != nullptr && *l == label) return sample.v;
  }
  ADD_FAILURE() << "no sample l=" << label;
  return kNaN;
}

// --- The registry ---------------------------------------------------------------------------

TEST(FunctionRegistry, EveryFloatFunctionOf242HasAnImplementationOrIsTheEvaluators) {
  // functions.go's FunctionCalls, minus the native-histogram-only ones.
  const std::vector<std::string_view> names = {
      "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
      "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
      "count_over_time", "days_in_month", "day_of_month", "day_of_week", "day_of_year", "deg",
      "delta", "deriv", "exp", "floor", "histogram_quantile", "holt_winters", "hour", "idelta",
      "increase", "irate", "label_replace", "label_join", "ln", "log10", "log2",
      "last_over_time", "max_over_time", "min_over_time", "minute", "month", "pi",
      "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets",
      "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time",
      "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year"};
  for (const std::string_view name : names) {
    const std::optional<FunctionImpl> impl = FindFunctionImpl(name);
    if (EvaluatorHandles(name)) {
      EXPECT_FALSE(impl.has_value()) << name;
    } else {
      ASSERT_TRUE(impl.has_value()) << name;
      EXPECT_NE(impl->range == nullptr, impl->instant == nullptr) << name;
    }
  }
  EXPECT_FALSE(FindFunctionImpl("no_such_function").has_value());
  EXPECT_FALSE(EvaluatorHandles("rate"));
}

// --- resets, changes (functions.test) ---------------------------------------------------------

TEST(RangeFunctions, Resets) {
  const auto foo = Load(5 * kMinute, {1, 2, 3, 0, 1, 0, 0, 1, 2, 0});
  const auto bar = Load(5 * kMinute, {1, 2, 3, 4, 5, 1, 2, 3, 4, 5});
  const auto biz = Load(5 * kMinute, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  const std::int64_t t = 50 * kMinute;
  const std::vector<std::pair<std::int64_t, std::vector<double>>> cases = {
      {5 * kMinute, {0, 0, 0}},
      {20 * kMinute, {1, 0, 0}},
      {30 * kMinute, {2, 1, 0}},
      {50 * kMinute, {3, 1, 0}}};
  for (const auto& [range, want] : cases) {
    EXPECT_EQ(MustEvalRange("resets", foo, t, range), want[0]) << range;
    EXPECT_EQ(MustEvalRange("resets", bar, t, range), want[1]) << range;
    EXPECT_EQ(MustEvalRange("resets", biz, t, range), want[2]) << range;
  }
}

TEST(RangeFunctions, Changes) {
  const auto foo = Load(5 * kMinute, {1, 2, 3, 0, 1, 0, 0, 1, 2, 0});
  const auto bar = Load(5 * kMinute, {1, 2, 3, 4, 5, 1, 2, 3, 4, 5});
  const auto biz = Load(5 * kMinute, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  const std::int64_t t = 50 * kMinute;
  const std::vector<std::pair<std::int64_t, std::vector<double>>> cases = {
      {5 * kMinute, {0, 0, 0}},
      {20 * kMinute, {3, 3, 0}},
      {30 * kMinute, {4, 5, 1}},
      {50 * kMinute, {8, 9, 1}}};
  for (const auto& [range, want] : cases) {
    EXPECT_EQ(MustEvalRange("changes", foo, t, range), want[0]) << range;
    EXPECT_EQ(MustEvalRange("changes", bar, t, range), want[1]) << range;
    EXPECT_EQ(MustEvalRange("changes", biz, t, range), want[2]) << range;
  }
}

TEST(RangeFunctions, ChangesCountsNaNToNaNAsNoChange) {
  EXPECT_EQ(MustEvalRange("changes", Load(5 * kMinute, {kNaN, kNaN, kNaN}), 15 * kMinute,
                          15 * kMinute),
            0);
  EXPECT_EQ(MustEvalRange("changes", Load(5 * kMinute, {0, kNaN, 0}), 15 * kMinute,
                          15 * kMinute),
            2);
}

// --- increase, rate, irate, delta, idelta (functions.test) -------------------------------------

TEST(RangeFunctions, Increase) {
  const auto foo = Load(5 * kMinute, Seq(0, 10, 10));
  const auto bar = Load(5 * kMinute, Concat(Seq(0, 10, 5), Seq(0, 10, 5)));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("increase", foo, 50 * kMinute, 50 * kMinute), 100));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("increase", bar, 50 * kMinute, 50 * kMinute), 90));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("increase", foo, 50 * kMinute, 100 * kMinute), 100));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("increase", bar, 50 * kMinute, 100 * kMinute), 90));
}

TEST(RangeFunctions, IncreaseTreatsADropAsAResetToZero) {
  // 3 2 is read as 3 0 1 2.
  const auto foo = Load(5 * kMinute, {0, 1, 2, 3, 2, 3, 4});
  EXPECT_TRUE(AlmostEqual(MustEvalRange("increase", foo, 30 * kMinute, 30 * kMinute), 7));
}

TEST(RangeFunctions, RateHandlesResetsInTheMiddleAndAtTheEnd) {
  const auto reset_middle = Load(5 * kMinute, Concat(Seq(0, 10, 4), Seq(0, 10, 5)));
  const auto reset_end = Load(5 * kMinute, Concat(Seq(0, 10, 9), {0, 10}));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("rate", reset_middle, 50 * kMinute, 50 * kMinute), 0.03));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("rate", reset_end, 50 * kMinute, 5 * kMinute), 0));
}

TEST(RangeFunctions, RateIsPerSecondAndHonoursOffset) {
  EXPECT_TRUE(AlmostEqual(
      MustEvalRange("rate", Load(5 * kMinute, Seq(0, 80, 10)), 50 * kMinute, 50 * kMinute),
      0.26666666666666666));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("rate", Load(5 * kMinute, Seq(0, 10, 10)), 50 * kMinute,
                                        10 * kMinute, {}, 5 * kMinute),
                          0.03333333333333333));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("rate", Load(5 * kMinute, Seq(0, 20, 10)), 50 * kMinute,
                                        10 * kMinute, {}, 5 * kMinute),
                          0.06666666666666667));
}

TEST(RangeFunctions, RateExtrapolatesNoFurtherBackThanTheCountersZero) {
  const std::vector<std::pair<double, std::pair<double, double>>> cases = {
      // start value: rate at 10m (zero cutoff), at 50m (half-interval cutoff)
      {0, {0.5, 0.6}},    {60, {0.55, 0.6}},  {120, {0.6, 0.6}},
      {180, {0.65, 0.6}}, {240, {0.7, 0.6}},  {300, {0.6, 0.6}}};
  for (const auto& [start, want] : cases) {
    const auto series = Load(4 * kMinute, Seq(start, 240, 10));
    EXPECT_TRUE(AlmostEqual(MustEvalRange("rate", series, 10 * kMinute, 20 * kMinute),
                            want.first))
        << start;
    EXPECT_TRUE(AlmostEqual(MustEvalRange("rate", series, 50 * kMinute, 20 * kMinute),
                            want.second))
        << start;
  }
}

TEST(RangeFunctions, Irate) {
  const auto foo = Load(5 * kMinute, Seq(0, 10, 10));
  const auto bar = Load(5 * kMinute, Concat(Seq(0, 10, 5), Seq(0, 10, 5)));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("irate", foo, 50 * kMinute, 50 * kMinute),
                          0.03333333333333333333));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("irate", bar, 50 * kMinute, 50 * kMinute),
                          0.03333333333333333333));
  // A reset between the last two samples.
  EXPECT_TRUE(AlmostEqual(MustEvalRange("irate", foo, 30 * kMinute, 50 * kMinute),
                          0.03333333333333333333));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("irate", bar, 30 * kMinute, 50 * kMinute), 0));
}

TEST(RangeFunctions, DeltaAndIdelta) {
  EXPECT_TRUE(AlmostEqual(MustEvalRange("delta", Load(5 * kMinute, {0, 50, 100, 150, 200}),
                                        20 * kMinute, 20 * kMinute),
                          200));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("delta", Load(5 * kMinute, {200, 150, 100, 50, 0}),
                                        20 * kMinute, 20 * kMinute),
                          -200));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("idelta", Load(5 * kMinute, {0, 50, 100, 150}),
                                        20 * kMinute, 20 * kMinute),
                          50));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("idelta", Load(5 * kMinute, {0, 50, 100, 50}),
                                        20 * kMinute, 20 * kMinute),
                          -50));
}

TEST(RangeFunctions, FewerThanTwoSamplesGiveNothing) {
  // functions.go: "No sense in trying to compute a rate without at least two points."
  const auto one = Load(5 * kMinute, {7});
  for (const std::string_view name :
       {"rate", "increase", "delta", "irate", "idelta", "deriv"}) {
    EXPECT_FALSE(EvalRange(name, one, 0, 5 * kMinute).has_value()) << name;
  }
  EXPECT_FALSE(EvalRange("predict_linear", one, 0, 5 * kMinute, {60}).has_value());
  EXPECT_FALSE(EvalRange("holt_winters", one, 0, 5 * kMinute, {0.5, 0.5}).has_value());
}

TEST(RangeFunctions, RateOfNaNAndInfinities) {
  // extrapolatedRate's arithmetic: any NaN in the first or last sample makes the result NaN; an
  // infinite last sample an infinite increase.
  EXPECT_TRUE(std::isnan(MustEvalRange("rate", Load(kMinute, {1, 2, kNaN}), 2 * kMinute,
                                       2 * kMinute)));
  EXPECT_EQ(MustEvalRange("increase", Load(kMinute, {1, 2, kInf}), 2 * kMinute, 2 * kMinute),
            kInf);
  EXPECT_EQ(MustEvalRange("delta", Load(kMinute, {1, 2, -kInf}), 2 * kMinute, 2 * kMinute),
            -kInf);
}

// --- deriv, predict_linear (functions.test) -----------------------------------------------------

TEST(RangeFunctions, DerivEqualsRateOnALine) {
  const auto http_requests = Load(5 * kMinute, Seq(0, 80, 10));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("deriv", http_requests, 50 * kMinute, 50 * kMinute),
                          0.26666666666666666));
}

TEST(RangeFunctions, DerivAndPredictLinearOfACounterWithAReset) {
  const auto series = Load(5 * kMinute, Concat(Seq(0, 10, 4), Seq(0, 10, 5)));
  EXPECT_TRUE(AlmostEqual(MustEvalRange("deriv", series, 50 * kMinute, 100 * kMinute),
                          0.010606060606060607));
  EXPECT_TRUE(AlmostEqual(
      MustEvalRange("predict_linear", series, 50 * kMinute, 100 * kMinute, {3600}),
      76.81818181818181));
}

TEST(RangeFunctions, PredictLinearInterceptsAtTheStepEvenUnderAt) {
  const auto series = Load(5 * kMinute, Concat(Seq(0, 10, 4), Seq(0, 10, 5)));
  const std::int64_t at = 3000 * kSecond;
  EXPECT_TRUE(AlmostEqual(
      MustEvalRange("predict_linear", series, 50 * kMinute, 100 * kMinute, {3600}, 0, at),
      76.81818181818181));
  EXPECT_TRUE(AlmostEqual(
      MustEvalRange("predict_linear", series, 10 * kMinute, 100 * kMinute, {3600}, 0, at),
      51.36363636363637));
  EXPECT_TRUE(AlmostEqual(
      MustEvalRange("predict_linear", series, 70 * kMinute, 100 * kMinute, {3600}, 0, at),
      89.54545454545455));
}

TEST(RangeFunctions, LinearRegressionOfAConstant) {
  // linearRegression: a constant has slope 0 exactly, an infinite constant NaN.
  EXPECT_EQ(MustEvalRange("deriv", Load(kMinute, {1.5990505637277868, 1.5990505637277868,
                                                   1.5990505637277868}),
                          2 * kMinute, 2 * kMinute),
            0);
  EXPECT_TRUE(std::isnan(
      MustEvalRange("deriv", Load(kMinute, {kInf, kInf}), kMinute, kMinute)));
  EXPECT_EQ(MustEvalRange("predict_linear", Load(kMinute, {4, 4, 4}), 2 * kMinute, 2 * kMinute,
                          {1000}),
            4);
}

// --- holt_winters (functions.test) --------------------------------------------------------------

TEST(RangeFunctions, HoltWintersFollowsTrends) {
  const std::int64_t t = 8000 * kSecond;
  const auto w = [&](const std::vector<double>& values) {
    return MustEvalRange("holt_winters", Load(10 * kSecond, values), t, kMinute, {0.01, 0.1});
  };
  // Positive trends.
  EXPECT_TRUE(AlmostEqual(w(Concat(Seq(0, 10, 1000), Seq(100, 30, 1000))), 8000));
  EXPECT_TRUE(AlmostEqual(w(Concat(Seq(0, 20, 1000), Seq(200, 30, 1000))), 16000));
  EXPECT_TRUE(AlmostEqual(w(Concat(Seq(0, 30, 1000), Seq(300, 80, 1000))), 24000));
  EXPECT_TRUE(AlmostEqual(w(Seq(0, 40, 2000)), 32000));
  // Negative trends.
  EXPECT_TRUE(AlmostEqual(w(Seq(8000, -10, 1000)), 0));
  EXPECT_TRUE(AlmostEqual(w(Seq(0, -20, 1000)), -16000));
  EXPECT_TRUE(AlmostEqual(w(Concat(Seq(0, 30, 1000), Seq(300, -80, 1000))), 24000));
  EXPECT_TRUE(AlmostEqual(w(Concat(Seq(0, -40, 1000), Seq(0, 40, 1000))), -32000));
}

TEST(RangeFunctions, HoltWintersRejectsFactorsOutsideTheOpenUnitInterval) {
  // functions.go's messages (fmt %f), checked before the window's size.
  const auto one = Load(kMinute, {1});
  const auto message = [&](double sf, double tf) -> std::string {
    try {
      EvalRange("holt_winters", one, 0, kMinute, {sf, tf});
    } catch (const QueryError& error) {
      EXPECT_EQ(error.type(), ErrorType::kExecution);
      return error.what();
    }
    return "no error";
  };
  EXPECT_EQ(message(1, 0.5), "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000");
  EXPECT_EQ(message(0, 0.5), "invalid smoothing factor. Expected: 0 < sf < 1, got: 0.000000");
  EXPECT_EQ(message(0.5, -0.25), "invalid trend factor. Expected: 0 < tf < 1, got: -0.250000");
  EXPECT_EQ(message(kInf, 0.5), "invalid smoothing factor. Expected: 0 < sf < 1, got: +Inf");
  // NaN passes both checks (every comparison with NaN is false).
  EXPECT_EQ(message(kNaN, 0.5), "no error");
}

// --- *_over_time (functions.test) ---------------------------------------------------------------

TEST(OverTime, AvgAndSumOfInfinitiesAndHugeValues) {
  const double big = 9.988465674311579e+307;
  struct Case {
    std::vector<double> values;
    double avg;
    double sum_over_count;
  };
  const std::vector<Case> cases = {
      {{1, 2, 3, 4, 5}, 3, 3},
      {{1, 2, 3, 4, kInf}, kInf, kInf},
      {{1, 2, 3, 4, -kInf}, -kInf, -kInf},
      {{1, 2, 3, kInf, -kInf}, kNaN, kNaN},
      {{kInf, 0, kInf}, kInf, kInf},
      {{kInf, kInf, kInf, -kInf}, kNaN, kNaN},
      {{1, 2, 3, -kInf, -kInf}, -kInf, -kInf},
      {{-kInf, 0, -kInf}, -kInf, -kInf},
      {{-kInf, -kInf, -kInf, kInf}, kNaN, kNaN},
      {{1, 2, -kInf, -kInf, kInf}, kNaN, kNaN},
      {{big, big}, big, kInf},  // the sum overflows, the incremental mean does not
      {{-big, -big, -big}, -big, -kInf},
      {{-big, big}, 0, 0},
  };
  for (const Case& c : cases) {
    const auto series = Load(10 * kSecond, c.values);
    EXPECT_TRUE(AlmostEqual(MustEvalRange("avg_over_time", series, kMinute, kMinute), c.avg))
        << c.values.size();
    const double sum = MustEvalRange("sum_over_time", series, kMinute, kMinute);
    const double count = MustEvalRange("count_over_time", series, kMinute, kMinute);
    EXPECT_EQ(count, static_cast<double>(c.values.size()));
    EXPECT_TRUE(AlmostEqual(sum / count, c.sum_over_count)) << c.values.size();
  }
}

TEST(OverTime, StddevAndStdvar) {
  const auto series = Load(10 * kSecond, {0, 8, 8, 2, 3});
  EXPECT_TRUE(AlmostEqual(MustEvalRange("stdvar_over_time", series, kMinute, kMinute), 10.56));
  EXPECT_TRUE(
      AlmostEqual(MustEvalRange("stddev_over_time", series, kMinute, kMinute), 3.249615, 1e-6));
  // prometheus/prometheus#4927: a constant has no variance, exactly.
  const auto constant =
      Load(10 * kSecond, {1.5990505637277868, 1.5990505637277868, 1.5990505637277868});
  EXPECT_EQ(MustEvalRange("stdvar_over_time", constant, kMinute, kMinute), 0);
  EXPECT_EQ(MustEvalRange("stddev_over_time", constant, kMinute, kMinute), 0);
}

TEST(OverTime, QuantileOverTime) {
  const auto two = Load(10 * kSecond, {0, 1});
  const auto three = Load(10 * kSecond, {0, 1, 2});
  const auto uneven = Load(10 * kSecond, {0, 1, 4});
  const std::vector<std::pair<double, std::vector<double>>> cases = {
      {0, {0, 0, 0}},           {0.5, {0.5, 1, 1}},       {0.75, {0.75, 1.5, 2.5}},
      {0.8, {0.8, 1.6, 2.8}},   {1, {1, 2, 4}},           {-1, {-kInf, -kInf, -kInf}},
      {2, {kInf, kInf, kInf}},
  };
  for (const auto& [phi, want] : cases) {
    EXPECT_TRUE(AlmostEqual(MustEvalRange("quantile_over_time", two, kMinute, kMinute, {phi}),
                            want[0]))
        << phi;
    EXPECT_TRUE(AlmostEqual(
        MustEvalRange("quantile_over_time", three, kMinute, kMinute, {phi}), want[1]))
        << phi;
    EXPECT_TRUE(AlmostEqual(
        MustEvalRange("quantile_over_time", uneven, kMinute, kMinute, {phi}), want[2]))
        << phi;
  }
  // quantile.go: a NaN φ gives NaN.
  EXPECT_TRUE(
      std::isnan(MustEvalRange("quantile_over_time", three, kMinute, kMinute, {kNaN})));
}

TEST(OverTime, QuantileSortsNaNFirst) {
  // vectorByValueHeap puts NaN below every number: φ=1 still finds the largest number.
  std::vector<double> values = {3, kNaN, 1, 2};
  EXPECT_EQ(Quantile(1, values), 3);
  EXPECT_TRUE(std::isnan(values[0]));
  std::vector<double> none;
  EXPECT_TRUE(std::isnan(Quantile(0.5, none)));
}

TEST(OverTime, MinMaxLastWithNaN) {
  struct Case {
    std::vector<double> values;
    double min, max, last;
  };
  const std::vector<Case> cases = {
      {{2, 0, 3}, 0, 3, 3},
      {{2, 0, kNaN}, 0, 2, kNaN},
      {{2, kNaN, 1}, 1, 2, 1},
      {{kNaN, 0, 1}, 0, 1, 1},
      {{kNaN, kNaN, kNaN}, kNaN, kNaN, kNaN},
  };
  for (const Case& c : cases) {
    const auto series = Load(10 * kSecond, c.values);
    EXPECT_TRUE(AlmostEqual(MustEvalRange("min_over_time", series, kMinute, kMinute), c.min));
    EXPECT_TRUE(AlmostEqual(MustEvalRange("max_over_time", series, kMinute, kMinute), c.max));
    EXPECT_TRUE(AlmostEqual(MustEvalRange("last_over_time", series, kMinute, kMinute), c.last));
  }
}

TEST(OverTime, PresentAndCount) {
  const auto series = Load(kMinute, Seq(1, 1, 10));
  EXPECT_EQ(MustEvalRange("present_over_time", series, 5 * kMinute, 5 * kMinute), 1);
  EXPECT_EQ(MustEvalRange("count_over_time", series, 5 * kMinute, 5 * kMinute), 6);
  // A window of NaNs is present.
  EXPECT_EQ(MustEvalRange("present_over_time", Load(kMinute, {kNaN, kNaN}), 5 * kMinute,
                          4 * kMinute),
            1);
}

// --- math (functions.test, trig_functions.test, aggregators.test) ------------------------------

TEST(MathFunctions, DropTheMetricName) {
  const Vector in = {Sample{L({{"__name__", "m"}, {"job", "a"}}), 0, -2}};
  const Vector out = EvalInstant("abs", {&in});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels, L({{"job", "a"}}));
  EXPECT_EQ(out[0].v, 2);
}

TEST(MathFunctions, ExpLnSqrtLog2Log10) {
  const Vector x10 = Values({{"x", 10}, {"y", 20}});
  const Vector x0 = Values({{"x", 0}, {"y", 10}});       // exp_root_log - 10
  const Vector xneg = Values({{"x", -10}, {"y", 0}});    // exp_root_log - 20
  struct Case {
    std::string_view name;
    const Vector* in;
    double x, y;
  };
  const std::vector<Case> cases = {
      {"exp", &x10, 22026.465794806718, 485165195.4097903},
      {"exp", &x0, 1, 22026.465794806718},
      {"exp", &xneg, 4.5399929762484854e-05, 1},
      {"ln", &x10, 2.302585092994046, 2.995732273553991},
      {"ln", &x0, -kInf, 2.302585092994046},
      {"ln", &xneg, kNaN, -kInf},
      {"sqrt", &x10, 3.1622776601683795, 4.47213595499958},
      {"log2", &x10, 3.3219280948873626, 4.321928094887363},
      {"log2", &x0, -kInf, 3.3219280948873626},
      {"log2", &xneg, kNaN, -kInf},
      {"log10", &x10, 1, 1.301029995663981},
      {"log10", &x0, -kInf, 1},
      {"log10", &xneg, kNaN, -kInf},
  };
  for (const Case& c : cases) {
    const Vector out = EvalInstant(c.name, {c.in});
    EXPECT_TRUE(AlmostEqual(ValueOf(out, "x"), c.x)) << c.name;
    EXPECT_TRUE(AlmostEqual(ValueOf(out, "y"), c.y)) << c.name;
  }
  // exp(ln(x)) round-trips.
  const Vector ln = EvalInstant("ln", {&x10});
  const Vector back = EvalInstant("exp", {&ln});
  EXPECT_TRUE(AlmostEqual(ValueOf(back, "x"), 10));
  EXPECT_TRUE(AlmostEqual(ValueOf(back, "y"), 20));
}

TEST(MathFunctions, Trigonometry) {
  const Vector trig = Values({{"x", 10}, {"y", 20}, {"NaN", kNaN}});
  const Vector minus_10_1 = Values({{"x", 10 - 10.1}, {"y", 20 - 10.1}, {"NaN", kNaN}});
  const Vector minus_10 = Values({{"x", 0}, {"y", 10}, {"NaN", kNaN}});
  const Vector minus_20 = Values({{"x", -10}, {"y", 0}, {"NaN", kNaN}});
  struct Case {
    std::string_view name;
    const Vector* in;
    double x, y;
  };
  const std::vector<Case> cases = {
      {"sin", &trig, -0.5440211108893699, 0.9129452507276277},
      {"cos", &trig, -0.8390715290764524, 0.40808206181339196},
      {"tan", &trig, 0.6483608274590867, 2.2371609442247427},
      {"asin", &minus_10_1, -0.10016742116155944, kNaN},
      {"acos", &minus_10_1, 1.670963747956456, kNaN},
      {"atan", &trig, 1.4711276743037345, 1.5208379310729538},
      {"sinh", &trig, 11013.232920103324, 2.4258259770489514e+08},
      {"cosh", &trig, 11013.232920103324, 2.4258259770489514e+08},
      {"tanh", &trig, 0.9999999958776927, 1},
      {"asinh", &trig, 2.99822295029797, 3.6895038689889055},
      {"acosh", &trig, 2.993222846126381, 3.6882538673612966},
      {"atanh", &minus_10_1, -0.10033534773107522, kNaN},
      {"rad", &trig, 0.17453292519943295, 0.3490658503988659},
      {"rad", &minus_10, 0, 0.17453292519943295},
      {"rad", &minus_20, -0.17453292519943295, 0},
      {"deg", &trig, 572.9577951308232, 1145.9155902616465},
      {"deg", &minus_10, 0, 572.9577951308232},
      {"deg", &minus_20, -572.9577951308232, 0},
  };
  for (const Case& c : cases) {
    const Vector out = EvalInstant(c.name, {c.in});
    // The file lists cosh(10) for sinh(10) too, 2e-9 off, within the test language's 1e-6.
    const double epsilon = c.name == "sinh" ? 1e-6 : 1e-9;
    EXPECT_TRUE(AlmostEqual(ValueOf(out, "x"), c.x, epsilon)) << c.name;
    EXPECT_TRUE(AlmostEqual(ValueOf(out, "y"), c.y, epsilon)) << c.name;
    EXPECT_TRUE(std::isnan(ValueOf(out, "NaN"))) << c.name;
  }
}

TEST(MathFunctions, PiIsAScalarSample) {
  const Vector out = EvalInstant("pi", {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].labels.empty());
  EXPECT_EQ(out[0].v, 3.141592653589793);
}

TEST(MathFunctions, Sgn) {
  const Vector in = Values({{"a", -kInf}, {"b", kInf}, {"c", kNaN}, {"d", -50}, {"e", 0},
                            {"f", 100}});
  const Vector out = EvalInstant("sgn", {&in});
  EXPECT_EQ(ValueOf(out, "a"), -1);
  EXPECT_EQ(ValueOf(out, "b"), 1);
  EXPECT_TRUE(std::isnan(ValueOf(out, "c")));
  EXPECT_EQ(ValueOf(out, "d"), -1);
  EXPECT_EQ(ValueOf(out, "e"), 0);
  EXPECT_EQ(ValueOf(out, "f"), 1);
}

TEST(MathFunctions, ClampClampMinClampMax) {
  const Vector in = Values({{"a", -50}, {"b", 0}, {"c", 100}});
  auto check = [](const Vector& out, double a, double b, double c) {
    EXPECT_TRUE(AlmostEqual(ValueOf(out, "a"), a));
    EXPECT_TRUE(AlmostEqual(ValueOf(out, "b"), b));
    EXPECT_TRUE(AlmostEqual(ValueOf(out, "c"), c));
  };
  check(EvalInstant("clamp_max", {&in, 75.0}), -50, 0, 75);
  check(EvalInstant("clamp_min", {&in, -25.0}), -25, 0, 100);
  check(EvalInstant("clamp", {&in, -25.0, 75.0}), -25, 0, 75);
  const Vector min20 = EvalInstant("clamp_min", {&in, -20.0});
  check(EvalInstant("clamp_max", {&min20, 70.0}), -20, 0, 70);
  check(EvalInstant("clamp", {&in, 0.0, kNaN}), kNaN, kNaN, kNaN);
  check(EvalInstant("clamp", {&in, kNaN, 0.0}), kNaN, kNaN, kNaN);
  EXPECT_TRUE(EvalInstant("clamp", {&in, 5.0, -5.0}).empty());
}

TEST(MathFunctions, Round) {
  // aggregators.test: http_requests{group="production",job="api-server"} is 100 (instance 0)
  // and 200 (instance 1) at 50m; each case is round(f(x)[, to_nearest]).
  struct Case {
    double (*f)(double);
    std::optional<double> to_nearest;
    double want0, want1;
  };
  const std::vector<Case> cases = {
      {[](double x) { return 0.004 * x; }, {}, 0, 1},
      {[](double x) { return -1 * (0.004 * x); }, {}, 0, -1},
      {[](double x) { return 0.005 * x; }, {}, 1, 1},
      {[](double x) { return -1 * (0.005 * x); }, {}, 0, -1},
      {[](double x) { return 1 + 0.005 * x; }, {}, 2, 2},
      {[](double x) { return -1 * (1 + 0.005 * x); }, {}, -1, -2},
      {[](double x) { return 0.0005 * x; }, 0.1, 0.1, 0.1},
      {[](double x) { return 2.1 + 0.0005 * x; }, 0.1, 2.2, 2.2},
      {[](double x) { return 5.2 + 0.0005 * x; }, 0.1, 5.3, 5.3},
      {[](double x) { return -1 * (5.2 + 0.0005 * x); }, 0.1, -5.2, -5.3},
      {[](double x) { return 0.025 * x; }, 5, 5, 5},
      {[](double x) { return 0.045 * x; }, 5, 5, 10},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const Vector in = Values({{"0", c.f(100)}, {"1", c.f(200)}});
    std::vector<Argument> args = {&in};
    if (c.to_nearest) args.push_back(*c.to_nearest);
    const Vector out = EvalInstant("round", args);
    EXPECT_TRUE(AlmostEqual(ValueOf(out, "0"), c.want0)) << i;
    EXPECT_TRUE(AlmostEqual(ValueOf(out, "1"), c.want1)) << i;
  }
}

// --- calendar (functions.test) ------------------------------------------------------------------

double DateOf(std::string_view name, std::optional<double> unix_seconds, std::int64_t t = 0) {
  Vector in;
  std::vector<Argument> args;
  if (unix_seconds) {
    in.push_back(Sample{L({{"__name__", "m"}}), t, *unix_seconds});
    args.push_back(&in);
  }
  const Vector out = EvalInstant(name, args, t);
  EXPECT_EQ(out.size(), 1u) << name;
  if (out.size() != 1) return kNaN;
  EXPECT_TRUE(out[0].labels.empty()) << name;
  return out[0].v;
}

TEST(TimeFunctions, WithoutArgumentTheStepsTimeWithArgumentTheValue) {
  const double t = 1136239445;  // 2006-01-02 22:04:05 UTC, a Monday
  EXPECT_EQ(DateOf("year", {}), 1970);
  EXPECT_EQ(DateOf("year", t), 2006);
  EXPECT_EQ(DateOf("month", {}), 1);
  EXPECT_EQ(DateOf("month", t), 1);
  EXPECT_EQ(DateOf("day_of_month", {}), 1);
  EXPECT_EQ(DateOf("day_of_month", t), 2);
  EXPECT_EQ(DateOf("day_of_year", {}), 1);
  EXPECT_EQ(DateOf("day_of_year", t), 2);
  EXPECT_EQ(DateOf("day_of_week", {}), 4);  // Thursday
  EXPECT_EQ(DateOf("day_of_week", t), 1);
  EXPECT_EQ(DateOf("hour", {}), 0);
  EXPECT_EQ(DateOf("hour", t), 22);
  EXPECT_EQ(DateOf("minute", {}), 0);
  EXPECT_EQ(DateOf("minute", t), 4);
}

TEST(TimeFunctions, LeapSecondsLeapYearsAndMonthLengths) {
  EXPECT_EQ(DateOf("year", 1230767999), 2008);  // just before the leap second
  EXPECT_EQ(DateOf("year", 1230768000), 2009);
  EXPECT_TRUE(AlmostEqual(
      DateOf("month", 1456790399) + DateOf("day_of_month", 1456790399) / 100, 2.29));
  EXPECT_TRUE(AlmostEqual(
      DateOf("month", 1456790400) + DateOf("day_of_month", 1456790400) / 100, 3.01));
  EXPECT_EQ(DateOf("day_of_year", 1483191420), 366);
  EXPECT_EQ(DateOf("day_of_year", 1672493820), 365);
  EXPECT_EQ(DateOf("days_in_month", 1454284800), 29);
  EXPECT_EQ(DateOf("days_in_month", 1485907200), 28);
}

TEST(TimeFunctions, ValuesBeforeTheEpochAndOutsideInt64AsPrometheusReadsThem) {
  // Expected values: the Prometheus 2.42 binary's answers. Go truncates the value to int64
  // seconds (NaN and ±Inf become INT64_MIN on amd64) and its calendar wraps around.
  struct Case {
    double value;
    double year, month, day_of_month, day_of_week, day_of_year, days_in_month, hour, minute;
  };
  const std::vector<Case> cases = {
      {-1, 1969, 12, 31, 3, 365, 31, 23, 59},
      {-62135596801, 0, 12, 31, 0, 366, 31, 23, 59},  // the last second of 1 BC (a leap year)
      {kNaN, 292277026596, 12, 4, 0, 339, 31, 15, 30},
      {kInf, 292277026596, 12, 4, 0, 339, 31, 15, 30},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DateOf("year", c.value), c.year) << c.value;
    EXPECT_EQ(DateOf("month", c.value), c.month) << c.value;
    EXPECT_EQ(DateOf("day_of_month", c.value), c.day_of_month) << c.value;
    EXPECT_EQ(DateOf("day_of_week", c.value), c.day_of_week) << c.value;
    EXPECT_EQ(DateOf("day_of_year", c.value), c.day_of_year) << c.value;
    EXPECT_EQ(DateOf("days_in_month", c.value), c.days_in_month) << c.value;
    EXPECT_EQ(DateOf("hour", c.value), c.hour) << c.value;
    EXPECT_EQ(DateOf("minute", c.value), c.minute) << c.value;
  }
}

TEST(TimeFunctions, TheStepsTimeUnderAStep) {
  // at_modifier.test's minute()[50m:1m] @ 6000 relies on minute() reading the step: 6000 s is
  // 01:40 UTC.
  EXPECT_EQ(DateOf("minute", {}, 6000 * kSecond), 40);
  EXPECT_EQ(DateOf("hour", {}, 6000 * kSecond), 1);
}

// --- label_replace, label_join (functions.test) -------------------------------------------------

Vector TestMetric() {
  return {Sample{L({{"__name__", "testmetric"}, {"src", "source-value-10"},
                    {"dst", "original-destination-value"}}),
                 0, 0},
          Sample{L({{"__name__", "testmetric"}, {"src", "source-value-20"},
                    {"dst", "original-destination-value"}}),
                 0, 1}};
}

std::vector<std::string> Dsts(const Vector& out) {
  std::vector<std::string> dsts;
  for (const Sample& sample : out) {
    const std::string* dst = GetLabel(sample.labels, "dst");
    dsts.push_back(dst != nullptr ? *dst : "<none>");
  }
  return dsts;
}

TEST(LabelFunctions, LabelReplace) {
  const Vector in = TestMetric();
  const auto replace = [&](std::string_view dst, std::string_view repl, std::string_view src,
                           std::string_view regex) {
    return EvalInstant("label_replace", {&in, dst, repl, src, regex});
  };
  using ::testing::ElementsAre;
  // A full-string match; the name and the value are kept.
  const Vector full = replace("dst", "destination-value-$1", "src", "source-value-(.*)");
  EXPECT_THAT(Dsts(full), ElementsAre("destination-value-10", "destination-value-20"));
  ASSERT_EQ(full.size(), 2u);
  EXPECT_EQ(*GetLabel(full[0].labels, "__name__"), "testmetric");
  EXPECT_EQ(full[1].v, 1);
  // Not a substring match.
  EXPECT_THAT(Dsts(replace("dst", "destination-value-$1", "src", "value-(.*)")),
              ElementsAre("original-destination-value", "original-destination-value"));
  // Several groups.
  EXPECT_THAT(Dsts(replace("dst", "$1-value-$2", "src", "(.*)-value-(.*)")),
              ElementsAre("source-value-10", "source-value-20"));
  // A missing source does not match a non-empty pattern...
  EXPECT_THAT(Dsts(replace("dst", "value-$1", "nonexistent-src", "source-value-(.*)")),
              ElementsAre("original-destination-value", "original-destination-value"));
  // ...but is the empty string for one that matches it.
  EXPECT_THAT(Dsts(replace("dst", "value-$1", "nonexistent-src", "(.*)")),
              ElementsAre("value-", "value-"));
  EXPECT_THAT(Dsts(replace("dst", "value-$1", "src", "non-matching-regex")),
              ElementsAre("original-destination-value", "original-destination-value"));
  // An empty result removes the label.
  EXPECT_THAT(Dsts(replace("dst", "", "dst", ".*")), ElementsAre("<none>", "<none>"));
}

TEST(LabelFunctions, LabelReplaceExpandsAsGoDoes) {
  // regexp.Expand's rules: ${1}, $name, $$, "$1x" names the group "1x" (empty), a malformed
  // reference is literal.
  const Vector in = {Sample{L({{"src", "ab"}}), 0, 0}};
  const auto replace = [&](std::string_view repl, std::string_view regex) {
    const Vector out = EvalInstant("label_replace", {&in, "dst", repl, "src", regex});
    const std::string* dst = out.empty() ? nullptr : GetLabel(out[0].labels, "dst");
    return dst != nullptr ? *dst : std::string("<none>");
  };
  EXPECT_EQ(replace("${1}x", "(a)(b)"), "ax");
  EXPECT_EQ(replace("$1x", "(a)(b)"), "<none>");
  EXPECT_EQ(replace("$second-$1", "(a)(?P<second>b)"), "b-a");
  EXPECT_EQ(replace("$$1", "(a)b"), "$1");
  EXPECT_EQ(replace("${1", "(a)b"), "${1");
  EXPECT_EQ(replace("$3.", "(a)(b)"), ".");
  EXPECT_EQ(replace("[$2]", "(a)(x)?b"), "[]");
  // A repeated name: the first group of that name that took part (Prometheus 2.42 answers "a").
  EXPECT_EQ(replace("$n", "(?P<n>x)?(?P<n>a)b"), "a");
}

TEST(LabelFunctions, LabelReplaceErrors) {
  const Vector in = TestMetric();
  const auto message = [&](std::string_view dst, std::string_view regex) -> std::string {
    try {
      EvalInstant("label_replace", {&in, dst, "value-$1", "src", regex});
    } catch (const QueryError& error) {
      EXPECT_EQ(error.type(), ErrorType::kExecution);
      return error.what();
    }
    return "no error";
  };
  EXPECT_EQ(message("dst", "(.*"), "invalid regular expression in label_replace(): (.*");
  // RE2 knows \C (any byte), Go's syntax does not (Prometheus 2.42 rejects it); quoted, it is
  // two literal characters.
  EXPECT_EQ(message("dst", "a\\C"), "invalid regular expression in label_replace(): a\\C");
  EXPECT_EQ(message("dst", "\\Q\\C\\E"), "no error");
  EXPECT_EQ(message("invalid-label-name", "(.*)"),
            "invalid destination label name in label_replace(): invalid-label-name");
  // The regex is checked first, even with nothing to replace.
  const Vector empty;
  EXPECT_THROW(EvalInstant("label_replace", {&empty, "dst", "", "src", "(.*"}), QueryError);
}

TEST(LabelFunctions, LabelJoin) {
  using ::testing::ElementsAre;
  const Vector in = {
      Sample{L({{"__name__", "testmetric"}, {"src", "a"}, {"src1", "b"}, {"src2", "c"},
                {"dst", "original-destination-value"}}),
             0, 0},
      Sample{L({{"__name__", "testmetric"}, {"src", "d"}, {"src1", "e"}, {"src2", "f"},
                {"dst", "original-destination-value"}}),
             0, 1}};
  EXPECT_THAT(Dsts(EvalInstant("label_join", {&in, "dst", "-", "src", "src1", "src2"})),
              ElementsAre("a-b-c", "d-e-f"));
  EXPECT_THAT(Dsts(EvalInstant("label_join", {&in, "dst", "-", "src", "src3", "src1"})),
              ElementsAre("a--b", "d--e"));
  EXPECT_THAT(
      Dsts(EvalInstant("label_join", {&in, "dst", "", "emptysrc", "emptysrc1", "emptysrc2"})),
      ElementsAre("<none>", "<none>"));
  EXPECT_THAT(Dsts(EvalInstant("label_join", {&in, "dst", ", "})),
              ElementsAre("<none>", "<none>"));
  const Vector joined = EvalInstant("label_join", {&in, "dst", "-", "src"});
  ASSERT_EQ(joined.size(), 2u);
  EXPECT_EQ(*GetLabel(joined[0].labels, "__name__"), "testmetric");

  const Vector without_dst = {
      Sample{L({{"src", "foo"}, {"src1", "bar"}, {"src2", "foobar"}}), 0, 0}};
  EXPECT_THAT(
      Dsts(EvalInstant("label_join", {&without_dst, "dst", ", ", "src", "src1", "src2"})),
      ElementsAre("foo, bar, foobar"));
}

TEST(LabelFunctions, LabelJoinErrors) {
  // functions.go: sources are checked first, then the destination.
  const Vector in = TestMetric();
  try {
    EvalInstant("label_join", {&in, "bad-dst", "-", "src", "bad-src"});
    ADD_FAILURE() << "no error";
  } catch (const QueryError& error) {
    EXPECT_STREQ(error.what(), "invalid source label name in label_join(): bad-src");
  }
  try {
    EvalInstant("label_join", {&in, "bad-dst", "-", "src"});
    ADD_FAILURE() << "no error";
  } catch (const QueryError& error) {
    EXPECT_STREQ(error.what(), "invalid destination label name in label_join(): bad-dst");
  }
}

// --- histogram_quantile (histograms.test) -------------------------------------------------------

Sample Bucket(std::string_view metric, Labels labels, std::string_view le, double value) {
  SetLabel(labels, "__name__", metric);
  SetLabel(labels, "le", le);
  return Sample{std::move(labels), 0, value};
}

// testhistogram_bucket at 50m (each series is 0+Nx10: 10*N).
Vector TestHistogram(double scale = 1) {
  const Labels positive = L({{"start", "positive"}});
  const Labels negative = L({{"start", "negative"}});
  return {Bucket("testhistogram_bucket", positive, "0.1", 50 * scale),
          Bucket("testhistogram_bucket", positive, ".2", 70 * scale),
          Bucket("testhistogram_bucket", positive, "1e0", 110 * scale),
          Bucket("testhistogram_bucket", positive, "+Inf", 120 * scale),
          Bucket("testhistogram_bucket", negative, "-.2", 10 * scale),
          Bucket("testhistogram_bucket", negative, "-0.1", 20 * scale),
          Bucket("testhistogram_bucket", negative, "0.3", 20 * scale),
          Bucket("testhistogram_bucket", negative, "+Inf", 30 * scale)};
}

double QuantileFor(const Vector& out, const Labels& labels) {
  for (const Sample& sample : out) {
    if (sample.labels == labels) return sample.v;
  }
  ADD_FAILURE() << "no output " << LabelsToString(labels);
  return kNaN;
}

TEST(HistogramQuantile, TestHistogram) {
  const Labels positive = L({{"start", "positive"}});
  const Labels negative = L({{"start", "negative"}});
  struct Case {
    double q;
    double positive, negative;
  };
  const std::vector<Case> cases = {
      {-0.1, -kInf, -kInf}, {1.01, kInf, kInf}, {kNaN, kNaN, kNaN}, {0, 0, -0.2},
      {1, 1, 0.3},          {0.2, 0.048, -0.2}, {0.5, 0.15, -0.15}, {0.8, 0.72, 0.3},
  };
  // The plain buckets and their 5m rates (each bucket's increase over 300 s) agree.
  for (const double scale : {1.0, 1.0 / 300}) {
    const Vector in = TestHistogram(scale);
    for (const Case& c : cases) {
      const Vector out = EvalInstant("histogram_quantile", {c.q, &in});
      ASSERT_EQ(out.size(), 2u);
      EXPECT_TRUE(AlmostEqual(QuantileFor(out, positive), c.positive)) << c.q;
      EXPECT_TRUE(AlmostEqual(QuantileFor(out, negative), c.negative)) << c.q;
    }
  }
}

TEST(HistogramQuantile, ResultsInTheMiddleOfBuckets) {
  // testhistogram2_bucket at 7m (the 5m sample).
  const Vector in = {Bucket("testhistogram2_bucket", {}, "0", 0),
                     Bucket("testhistogram2_bucket", {}, "2", 1),
                     Bucket("testhistogram2_bucket", {}, "4", 2),
                     Bucket("testhistogram2_bucket", {}, "6", 3),
                     Bucket("testhistogram2_bucket", {}, "+Inf", 3)};
  EXPECT_TRUE(AlmostEqual(EvalInstant("histogram_quantile", {1. / 6., &in})[0].v, 1));
  EXPECT_TRUE(AlmostEqual(EvalInstant("histogram_quantile", {0.5, &in})[0].v, 3));
  EXPECT_TRUE(AlmostEqual(EvalInstant("histogram_quantile", {5. / 6., &in})[0].v, 5));
}

// request_duration_seconds_bucket's per-bucket increments (0+Nx10) by job and instance.
struct RequestDuration {
  std::string job, instance;
  double le01, le02, inf;
};
const std::vector<RequestDuration> kRequestDuration = {
    {"job1", "ins1", 1, 3, 4}, {"job1", "ins2", 2, 5, 6},
    {"job2", "ins1", 3, 4, 6}, {"job2", "ins2", 4, 7, 9}};

TEST(HistogramQuantile, AggregatedHistograms) {
  // sum(rate(request_duration_seconds_bucket[5m])) by (le): the rates (increment / 300) summed.
  double le01 = 0, le02 = 0, inf = 0;
  for (const RequestDuration& r : kRequestDuration) {
    le01 += r.le01 / 300;
    le02 += r.le02 / 300;
    inf += r.inf / 300;
  }
  const Vector all = {Sample{L({{"le", "0.1"}}), 0, le01}, Sample{L({{"le", "0.2"}}), 0, le02},
                      Sample{L({{"le", "+Inf"}}), 0, inf}};
  EXPECT_TRUE(AlmostEqual(EvalInstant("histogram_quantile", {0.3, &all})[0].v, 0.075));
  EXPECT_TRUE(
      AlmostEqual(EvalInstant("histogram_quantile", {0.5, &all})[0].v, 0.1277777777777778, 1e-6));
}

TEST(HistogramQuantile, ByJobAndInstanceAndUnaggregated) {
  Vector in;
  for (const RequestDuration& r : kRequestDuration) {
    const Labels labels = L({{"job", r.job}, {"instance", r.instance}});
    in.push_back(Bucket("request_duration_seconds_bucket", labels, "0.1", r.le01 / 300));
    in.push_back(Bucket("request_duration_seconds_bucket", labels, "0.2", r.le02 / 300));
    in.push_back(Bucket("request_duration_seconds_bucket", labels, "+Inf", r.inf / 300));
  }
  const Vector q3 = EvalInstant("histogram_quantile", {0.3, &in});
  const Vector q5 = EvalInstant("histogram_quantile", {0.5, &in});
  ASSERT_EQ(q3.size(), 4u);
  const auto at = [](const Vector& out, std::string job, std::string instance) {
    return QuantileFor(out, L({{"job", job}, {"instance", instance}}));
  };
  EXPECT_TRUE(AlmostEqual(at(q3, "job1", "ins1"), 0.11));
  EXPECT_TRUE(AlmostEqual(at(q3, "job1", "ins2"), 0.09));
  EXPECT_TRUE(AlmostEqual(at(q3, "job2", "ins1"), 0.06));
  EXPECT_TRUE(AlmostEqual(at(q3, "job2", "ins2"), 0.0675));
  EXPECT_TRUE(AlmostEqual(at(q5, "job1", "ins1"), 0.15));
  EXPECT_TRUE(AlmostEqual(at(q5, "job1", "ins2"), 0.13333333333333333));
  EXPECT_TRUE(AlmostEqual(at(q5, "job2", "ins1"), 0.1));
  EXPECT_TRUE(AlmostEqual(at(q5, "job2", "ins2"), 0.11666666666666667));
}

TEST(HistogramQuantile, NonMonotonicBuckets) {
  const Vector in = {Bucket("nonmonotonic_bucket", {}, "0.1", 20),
                     Bucket("nonmonotonic_bucket", {}, "1", 10),
                     Bucket("nonmonotonic_bucket", {}, "10", 50),
                     Bucket("nonmonotonic_bucket", {}, "100", 40),
                     Bucket("nonmonotonic_bucket", {}, "1000", 90),
                     Bucket("nonmonotonic_bucket", {}, "+Inf", 80)};
  EXPECT_TRUE(AlmostEqual(EvalInstant("histogram_quantile", {0.01, &in})[0].v, 0.0045));
  EXPECT_TRUE(AlmostEqual(EvalInstant("histogram_quantile", {0.5, &in})[0].v, 8.5));
  EXPECT_TRUE(AlmostEqual(EvalInstant("histogram_quantile", {0.99, &in})[0].v, 979.75));
}

TEST(HistogramQuantile, DifferentSpellingsOfOneBound) {
  const Labels ins1 = L({{"job", "job1"}, {"instance", "ins1"}});
  const Labels ins2 = L({{"job", "job1"}, {"instance", "ins2"}});
  const Vector in = {Bucket("mixed_bucket", ins1, "0.1", 1. / 300),
                     Bucket("mixed_bucket", ins1, "0.2", 1. / 300),
                     Bucket("mixed_bucket", ins1, "2e-1", 1. / 300),
                     Bucket("mixed_bucket", ins1, "2.0e-1", 1. / 300),
                     Bucket("mixed_bucket", ins1, "+Inf", 4. / 300),
                     Bucket("mixed_bucket", ins2, "+inf", 0),
                     Bucket("mixed_bucket", ins2, "+Inf", 0)};
  const std::vector<std::pair<double, double>> cases = {{0.5, 0.15}, {0.75, 0.2}, {1, 0.2}};
  for (const auto& [q, want] : cases) {
    const Vector out = EvalInstant("histogram_quantile", {q, &in});
    EXPECT_TRUE(AlmostEqual(QuantileFor(out, ins1), want)) << q;
    EXPECT_TRUE(std::isnan(QuantileFor(out, ins2))) << q;
  }
}

TEST(HistogramQuantile, EmptyBucketsAreNaN) {
  const Labels labels = L({{"job", "job1"}, {"instance", "ins1"}});
  const Vector in = {Bucket("empty_bucket", labels, "0.1", 0),
                     Bucket("empty_bucket", labels, "0.2", 0),
                     Bucket("empty_bucket", labels, "+Inf", 0)};
  EXPECT_TRUE(std::isnan(EvalInstant("histogram_quantile", {0.2, &in})[0].v));
}

TEST(HistogramQuantile, EdgeCasesOfQuantileGo) {
  // bucketQuantile: no +Inf bucket → NaN; only the +Inf bucket (fewer than two) → NaN; a rank in
  // the +Inf bucket → the highest finite bound; the q checks come before the +Inf check.
  const Vector no_inf = {Bucket("h", {}, "1", 1), Bucket("h", {}, "2", 2)};
  EXPECT_TRUE(std::isnan(EvalInstant("histogram_quantile", {0.5, &no_inf})[0].v));
  EXPECT_EQ(EvalInstant("histogram_quantile", {-1.0, &no_inf})[0].v, -kInf);
  EXPECT_EQ(EvalInstant("histogram_quantile", {2.0, &no_inf})[0].v, kInf);
  const Vector only_inf = {Bucket("h", {}, "+Inf", 5)};
  EXPECT_TRUE(std::isnan(EvalInstant("histogram_quantile", {0.5, &only_inf})[0].v));
  const Vector top = {Bucket("h", {}, "1", 1), Bucket("h", {}, "2", 2),
                      Bucket("h", {}, "+Inf", 10)};
  EXPECT_EQ(EvalInstant("histogram_quantile", {0.9, &top})[0].v, 2);
}

TEST(HistogramQuantile, NaNBoundsLandWhereGosSortLeavesThem) {
  // A NaN bound compares false both ways with every bound, so where it ends depends on the sort's
  // steps (Go 1.19's sort.Sort). Expected values: the Prometheus 2.42 binary's answers for the
  // same buckets, in the same order.
  const Vector small = {Bucket("h", {}, "1", 3),   Bucket("h", {}, "NaN", 10),
                        Bucket("h", {}, "0.5", 1), Bucket("h", {}, "2", 6),
                        Bucket("h", {}, "+Inf", 8), Bucket("h", {}, "0.1", 0)};
  EXPECT_TRUE(AlmostEqual(EvalInstant("histogram_quantile", {0.25, &small})[0].v,
                          0.8333333333333334));
  EXPECT_TRUE(std::isnan(EvalInstant("histogram_quantile", {0.5, &small})[0].v));
  EXPECT_TRUE(std::isnan(EvalInstant("histogram_quantile", {0.75, &small})[0].v));

  // 30 bounds 29..0 descending (past insertion sort), NaN at positions 4 and 17.
  Vector large;
  for (int i = 0; i < 30; ++i) {
    const std::string le = i == 4 ? "NaN" : i == 17 ? "nan" : std::to_string(29 - i);
    large.push_back(Bucket("h", {}, le, (i * 37) % 101));
  }
  large.push_back(Bucket("h", {}, "+Inf", 150));
  EXPECT_EQ(EvalInstant("histogram_quantile", {0.25, &large})[0].v, 0);
  EXPECT_TRUE(AlmostEqual(EvalInstant("histogram_quantile", {0.5, &large})[0].v,
                          1.4444444444444444));
  EXPECT_EQ(EvalInstant("histogram_quantile", {0.75, &large})[0].v, 28);
}

TEST(HistogramQuantile, SkipsSamplesWithoutANumericLe) {
  const Vector in = {Bucket("h", {}, "0.5", 1), Bucket("h", {}, "+Inf", 2),
                     Bucket("h", {}, "abc", 100), Sample{L({{"__name__", "h"}}), 0, 100}};
  const Vector out = EvalInstant("histogram_quantile", {0.5, &in});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(AlmostEqual(out[0].v, 0.5));
  EXPECT_TRUE(out[0].labels.empty());
}

TEST(HistogramQuantile, HistogramsDifferingOnlyInNameAreSeparateGroups) {
  // histograms.test's eval_fail: request_duration_seconds and request_duration_seconds2 group
  // apart (the name is part of the group) and then collide without their names, which the
  // evaluator rejects as duplicate label sets.
  const Labels labels = L({{"job", "job1"}, {"instance", "ins1"}});
  Vector in;
  for (const std::string_view name :
       {"request_duration_seconds_bucket", "request_duration_seconds2_bucket"}) {
    in.push_back(Bucket(name, labels, "0.1", 10));
    in.push_back(Bucket(name, labels, "0.2", 30));
    in.push_back(Bucket(name, labels, "+Inf", 40));
  }
  const Vector out = EvalInstant("histogram_quantile", {0.99, &in});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels, labels);
  EXPECT_EQ(out[1].labels, labels);
}

}  // namespace
}  // namespace metricsd::query::promql
