// What the functions*.cpp files share and nothing else sees: each file's rows of the function
// table (the registry merges them) and the floating-point helpers Prometheus 2.42's
// functions.go uses in several places (Kahan-Neumaier summation, Go's math.Max/Min).
//
// Thread-safety: immutable data and pure functions.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

#include "daemon/query/promql/functions.h"

namespace metricsd::query::promql::functions_internal {

struct NamedFunctionImpl {
  std::string_view name;
  FunctionImpl impl;
};

// Each file's rows.
std::span<const NamedFunctionImpl> RateFunctionImpls();       // functions_rate.cpp
std::span<const NamedFunctionImpl> TrendFunctionImpls();      // functions_trend.cpp
std::span<const NamedFunctionImpl> OverTimeFunctionImpls();   // functions_over_time.cpp
std::span<const NamedFunctionImpl> MathFunctionImpls();       // functions_math.cpp
std::span<const NamedFunctionImpl> TimeFunctionImpls();       // functions_time.cpp
std::span<const NamedFunctionImpl> HistogramFunctionImpls();  // functions_histogram.cpp
std::span<const NamedFunctionImpl> LabelFunctionImpls();      // functions_labels.cpp

// Go's sort.Interface, for GoSort.
class GoSortable {
 public:
  virtual ~GoSortable() = default;
  virtual bool Less(std::int64_t i, std::int64_t j) const = 0;
  virtual void Swap(std::int64_t i, std::int64_t j) = 0;
};
// Go 1.19's sort.Sort (functions_go_sort.cpp): the same comparisons and swaps, so an order that
// is not a strict weak ordering (NaN) ends as in Prometheus.
void GoSort(GoSortable& data, std::int64_t n);

// functions.go's kahanSumInc: one step of Neumaier's compensated sum. The compensation `c` is
// added at the end (callers decide, as 2.42 does, whether to add it to an infinite sum).
inline void KahanSumInc(double inc, double& sum, double& c) {
  const double t = sum + inc;
  if (std::fabs(sum) >= std::fabs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  sum = t;
}

// Go's math.Max and math.Min: an infinity wins over NaN, then NaN wins, and signed zeros are
// ordered (std::fmax would return the number instead of NaN).
inline double GoMax(double x, double y) {
  if (std::isinf(x) && x > 0) return x;
  if (std::isinf(y) && y > 0) return y;
  if (std::isnan(x) || std::isnan(y)) return std::nan("");
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}
inline double GoMin(double x, double y) {
  if (std::isinf(x) && x < 0) return x;
  if (std::isinf(y) && y < 0) return y;
  if (std::isnan(x) || std::isnan(y)) return std::nan("");
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

}  // namespace metricsd::query::promql::functions_internal
