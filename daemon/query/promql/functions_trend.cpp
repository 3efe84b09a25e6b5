// deriv, predict_linear (2.42's least-squares linearRegression) and holt_winters (double
// exponential smoothing): the functions that fit a trend to a window.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>

#include "daemon/query/promql/functions_internal.h"
#include "daemon/query/promql/query_error.h"

namespace metricsd::query::promql::functions_internal {

namespace {

struct Line {
  double slope = 0;
  double intercept = 0;
};

// Least squares over (seconds since intercept_time, value) with compensated sums. A constant
// series has slope 0 exactly (or NaN when the constant is infinite), whatever rounding says.
Line LinearRegression(std::span<const Point> points, Timestamp intercept_time) {
  double n = 0;
  double sum_x = 0, c_x = 0;
  double sum_y = 0, c_y = 0;
  double sum_xy = 0, c_xy = 0;
  double sum_x2 = 0, c_x2 = 0;
  const double init_y = points.front().v;
  bool const_y = true;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Point& point = points[i];
    if (const_y && i > 0 && point.v != init_y) const_y = false;
    n += 1.0;
    // Wrapping as Go's int64 does (an @ centuries away must not be undefined behaviour).
    const auto dt = static_cast<std::int64_t>(static_cast<std::uint64_t>(point.t) -
                                              static_cast<std::uint64_t>(intercept_time));
    const double x = static_cast<double>(dt) / 1e3;
    KahanSumInc(x, sum_x, c_x);
    KahanSumInc(point.v, sum_y, c_y);
    KahanSumInc(x * point.v, sum_xy, c_xy);
    KahanSumInc(x * x, sum_x2, c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      const double nan = std::numeric_limits<double>::quiet_NaN();
      return {nan, nan};
    }
    return {0, init_y};
  }
  sum_x = sum_x + c_x;
  sum_y = sum_y + c_y;
  sum_xy = sum_xy + c_xy;
  sum_x2 = sum_x2 + c_x2;

  const double cov_xy = sum_xy - sum_x * sum_y / n;
  const double var_x = sum_x2 - sum_x * sum_x / n;
  Line line;
  line.slope = cov_xy / var_x;
  line.intercept = sum_y / n - line.slope * sum_x / n;
  return line;
}

std::optional<double> Deriv(const RangeCall& call) {
  if (call.points.size() < 2) return std::nullopt;
  // Seconds relative to the first sample keep x small (prometheus/prometheus#2674).
  return LinearRegression(call.points, call.points.front().t).slope;
}

std::optional<double> PredictLinear(const RangeCall& call) {
  if (call.points.size() < 2 || call.scalars.empty()) return std::nullopt;
  const Line line = LinearRegression(call.points, call.eval_t);
  return line.slope * call.scalars[0] + line.intercept;
}

// Go's %f: six decimals, infinities as +Inf/-Inf.
std::string GoFormatF(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, "%f", value);
  return buffer;
}

double CalcTrendValue(int i, double tf, double s0, double s1, double b) {
  if (i == 0) return b;
  const double x = tf * (s1 - s0);
  const double y = (1 - tf) * b;
  return x + y;
}

// The factors are checked before the window's size, as 2.42 does: one sample is enough for the
// error. NaN factors pass the check (every comparison with NaN is false).
std::optional<double> HoltWinters(const RangeCall& call) {
  if (call.scalars.size() < 2) return std::nullopt;
  const double sf = call.scalars[0];
  const double tf = call.scalars[1];
  if (sf <= 0 || sf >= 1) {
    throw QueryError(ErrorType::kExecution,
                     "invalid smoothing factor. Expected: 0 < sf < 1, got: " + GoFormatF(sf));
  }
  if (tf <= 0 || tf >= 1) {
    throw QueryError(ErrorType::kExecution,
                     "invalid trend factor. Expected: 0 < tf < 1, got: " + GoFormatF(tf));
  }
  const auto& points = call.points;
  if (points.size() < 2) return std::nullopt;

  double s0 = 0;
  double s1 = points[0].v;
  double b = points[1].v - points[0].v;
  for (std::size_t i = 1; i < points.size(); ++i) {
    const double x = sf * points[i].v;
    b = CalcTrendValue(static_cast<int>(i) - 1, tf, s0, s1, b);
    const double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

constexpr NamedFunctionImpl kTrendRows[] = {
    {"deriv", {.range = Deriv}},
    {"holt_winters", {.range = HoltWinters}},
    {"predict_linear", {.range = PredictLinear}},
};

}  // namespace

std::span<const NamedFunctionImpl> TrendFunctionImpls() { return kTrendRows; }

}  // namespace metricsd::query::promql::functions_internal
