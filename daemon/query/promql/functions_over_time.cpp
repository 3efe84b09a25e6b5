// The *_over_time aggregations, changes and resets: one number from a window of one series, with
// 2.42's exact arithmetic (compensated sums, the incremental mean and its infinity branches).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "daemon/query/promql/functions_internal.h"

namespace metricsd::query::promql {

double Quantile(double phi, std::span<double> values) {
  if (values.empty() || std::isnan(phi)) return std::numeric_limits<double>::quiet_NaN();
  if (phi < 0) return -std::numeric_limits<double>::infinity();
  if (phi > 1) return std::numeric_limits<double>::infinity();
  // vectorByValueHeap's order: NaN below everything.
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  const double n = static_cast<double>(values.size());
  const double rank = phi * (n - 1);
  const double lower_index = std::max(0.0, std::floor(rank));
  const double upper_index = std::min(n - 1, lower_index + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<std::size_t>(lower_index)] * (1 - weight) +
         values[static_cast<std::size_t>(upper_index)] * weight;
}

namespace functions_internal {

namespace {

// The mean as a running, compensated update mean += v/n - mean/n, which cannot overflow where
// the sum would; once the mean is infinite it stays so unless a NaN or an opposite infinity
// arrives.
std::optional<double> AvgOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  double mean = 0;
  double count = 0;
  double c = 0;
  for (const Point& point : call.points) {
    ++count;
    if (std::isinf(mean)) {
      if (std::isinf(point.v) && (mean > 0) == (point.v > 0)) continue;
      if (!std::isinf(point.v) && !std::isnan(point.v)) continue;
    }
    KahanSumInc(point.v / count - mean / count, mean, c);
  }
  if (std::isinf(mean)) return mean;
  return mean + c;
}

std::optional<double> CountOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return static_cast<double>(call.points.size());
}

std::optional<double> LastOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return call.points.back().v;
}

std::optional<double> MaxOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  double max = call.points.front().v;
  for (const Point& point : call.points) {
    if (point.v > max || std::isnan(max)) max = point.v;
  }
  return max;
}

std::optional<double> MinOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  double min = call.points.front().v;
  for (const Point& point : call.points) {
    if (point.v < min || std::isnan(min)) min = point.v;
  }
  return min;
}

std::optional<double> SumOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  double sum = 0;
  double c = 0;
  for (const Point& point : call.points) KahanSumInc(point.v, sum, c);
  if (std::isinf(sum)) return sum;
  return sum + c;
}

std::optional<double> QuantileOverTime(const RangeCall& call) {
  if (call.points.empty() || call.scalars.empty()) return std::nullopt;
  std::vector<double> values;
  values.reserve(call.points.size());
  for (const Point& point : call.points) values.push_back(point.v);
  return Quantile(call.scalars[0], values);
}

// Welford's variance with both running sums compensated, as 2.42 computes it.
double Variance(const RangeCall& call) {
  double count = 0;
  double mean = 0;
  double c_mean = 0;
  double aux = 0;
  double c_aux = 0;
  for (const Point& point : call.points) {
    ++count;
    const double delta = point.v - (mean + c_mean);
    KahanSumInc(delta / count, mean, c_mean);
    KahanSumInc(delta * (point.v - (mean + c_mean)), aux, c_aux);
  }
  return (aux + c_aux) / count;
}

std::optional<double> StdvarOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return Variance(call);
}
std::optional<double> StddevOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return std::sqrt(Variance(call));
}

std::optional<double> PresentOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return 1.0;
}

// A change is any two neighbours that differ, two NaNs being equal.
std::optional<double> Changes(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  int changes = 0;
  double previous = call.points.front().v;
  for (std::size_t i = 1; i < call.points.size(); ++i) {
    const double current = call.points[i].v;
    if (current != previous && !(std::isnan(current) && std::isnan(previous))) ++changes;
    previous = current;
  }
  return static_cast<double>(changes);
}

// A reset is any drop between neighbours.
std::optional<double> Resets(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  int resets = 0;
  double previous = call.points.front().v;
  for (std::size_t i = 1; i < call.points.size(); ++i) {
    const double current = call.points[i].v;
    if (current < previous) ++resets;
    previous = current;
  }
  return static_cast<double>(resets);
}

constexpr NamedFunctionImpl kOverTimeRows[] = {
    {"avg_over_time", {.range = AvgOverTime}},
    {"changes", {.range = Changes}},
    {"count_over_time", {.range = CountOverTime}},
    {"last_over_time", {.range = LastOverTime}},
    {"max_over_time", {.range = MaxOverTime}},
    {"min_over_time", {.range = MinOverTime}},
    {"present_over_time", {.range = PresentOverTime}},
    {"quantile_over_time", {.range = QuantileOverTime}},
    {"resets", {.range = Resets}},
    {"stddev_over_time", {.range = StddevOverTime}},
    {"stdvar_over_time", {.range = StdvarOverTime}},
    {"sum_over_time", {.range = SumOverTime}},
};

}  // namespace

std::span<const NamedFunctionImpl> OverTimeFunctionImpls() { return kOverTimeRows; }

}  // namespace functions_internal

}  // namespace metricsd::query::promql
