// The element-wise functions (abs, ln, sin, ... 2.42's simpleFunc: the metric name is dropped),
// clamp, clamp_min, clamp_max, round, and pi.
#include <cmath>
#include <numbers>
#include <variant>

#include "daemon/query/promql/functions_internal.h"

namespace metricsd::query::promql::functions_internal {

namespace {

const Vector& VectorArg(const InstantCall& call, std::size_t index) {
  return *std::get<const Vector*>(call.args[index]);
}
double ScalarArg(const InstantCall& call, std::size_t index) {
  return std::get<double>(call.args[index]);
}

template <typename F>
Vector Simple(const InstantCall& call, F f) {
  Vector out;
  const Vector& in = VectorArg(call, 0);
  out.reserve(in.size());
  for (const Sample& sample : in) {
    out.push_back(Sample{DropMetricName(sample.labels), call.t, f(sample.v)});
  }
  return out;
}

// Go's math.Log2 and Log10 (log2 via the exponent, log10 as log2 times log10(2)), so that
// log2 of a power of two is exact and both round as Prometheus's do.
double GoLog2(double x) {
  int exp = 0;
  const double frac = std::frexp(x, &exp);
  if (frac == 0.5) return static_cast<double>(exp - 1);
  return std::log(frac) * (1 / std::numbers::ln2) + static_cast<double>(exp);
}
double GoLog10(double x) { return GoLog2(x) * (std::numbers::ln2 / std::numbers::ln10); }

double SignOf(double v) {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v;  // 0, -0 and NaN as they are
}

Vector Abs(const InstantCall& call) { return Simple(call, [](double v) { return std::fabs(v); }); }
Vector Ceil(const InstantCall& call) { return Simple(call, [](double v) { return std::ceil(v); }); }
Vector Floor(const InstantCall& call) {
  return Simple(call, [](double v) { return std::floor(v); });
}
Vector Exp(const InstantCall& call) { return Simple(call, [](double v) { return std::exp(v); }); }
Vector Sqrt(const InstantCall& call) { return Simple(call, [](double v) { return std::sqrt(v); }); }
Vector Ln(const InstantCall& call) { return Simple(call, [](double v) { return std::log(v); }); }
Vector Log2(const InstantCall& call) { return Simple(call, GoLog2); }
Vector Log10(const InstantCall& call) { return Simple(call, GoLog10); }
Vector Sgn(const InstantCall& call) { return Simple(call, SignOf); }
Vector Sin(const InstantCall& call) { return Simple(call, [](double v) { return std::sin(v); }); }
Vector Cos(const InstantCall& call) { return Simple(call, [](double v) { return std::cos(v); }); }
Vector Tan(const InstantCall& call) { return Simple(call, [](double v) { return std::tan(v); }); }
Vector Asin(const InstantCall& call) { return Simple(call, [](double v) { return std::asin(v); }); }
Vector Acos(const InstantCall& call) { return Simple(call, [](double v) { return std::acos(v); }); }
Vector Atan(const InstantCall& call) { return Simple(call, [](double v) { return std::atan(v); }); }
// Go's math.Sinh and Cosh compute exp(|x|) / 2 for |x| > 21, which overflows to ±Inf from
// |x| ≈ 709.78 on, where the C library's still returns a finite value up to ≈ 710.47.
// Prometheus answers what Go computes.
Vector Sinh(const InstantCall& call) {
  return Simple(call, [](double v) {
    if (std::fabs(v) > 21) return std::copysign(std::exp(std::fabs(v)) * 0.5, v);
    return std::sinh(v);
  });
}
Vector Cosh(const InstantCall& call) {
  return Simple(call, [](double v) {
    if (std::fabs(v) > 21) return std::exp(std::fabs(v)) * 0.5;
    return std::cosh(v);
  });
}
Vector Tanh(const InstantCall& call) { return Simple(call, [](double v) { return std::tanh(v); }); }
Vector Asinh(const InstantCall& call) {
  return Simple(call, [](double v) { return std::asinh(v); });
}
Vector Acosh(const InstantCall& call) {
  return Simple(call, [](double v) { return std::acosh(v); });
}
Vector Atanh(const InstantCall& call) {
  return Simple(call, [](double v) { return std::atanh(v); });
}
Vector Rad(const InstantCall& call) {
  return Simple(call, [](double v) { return v * std::numbers::pi / 180; });
}
Vector Deg(const InstantCall& call) {
  return Simple(call, [](double v) { return v * 180 / std::numbers::pi; });
}

// A scalar function: one sample without labels, which the evaluator turns into the scalar.
Vector Pi(const InstantCall& call) { return Vector{Sample{{}, call.t, std::numbers::pi}}; }

// clamp with min > max selects nothing; a NaN bound makes every value NaN (Go's Max/Min).
Vector Clamp(const InstantCall& call) {
  const double min = ScalarArg(call, 1);
  const double max = ScalarArg(call, 2);
  if (max < min) return {};
  return Simple(call, [min, max](double v) { return GoMax(min, GoMin(max, v)); });
}
Vector ClampMax(const InstantCall& call) {
  const double max = ScalarArg(call, 1);
  return Simple(call, [max](double v) { return GoMin(max, v); });
}
Vector ClampMin(const InstantCall& call) {
  const double min = ScalarArg(call, 1);
  return Simple(call, [min](double v) { return GoMax(min, v); });
}

// Ties round up; dividing by the inverse of to_nearest rounds better than multiplying by it.
Vector Round(const InstantCall& call) {
  const double to_nearest = call.args.size() >= 2 ? ScalarArg(call, 1) : 1.0;
  const double inverse = 1.0 / to_nearest;
  return Simple(call, [inverse](double v) { return std::floor(v * inverse + 0.5) / inverse; });
}

constexpr NamedFunctionImpl kMathRows[] = {
    {"abs", {.instant = Abs}},         {"acos", {.instant = Acos}},
    {"acosh", {.instant = Acosh}},     {"asin", {.instant = Asin}},
    {"asinh", {.instant = Asinh}},     {"atan", {.instant = Atan}},
    {"atanh", {.instant = Atanh}},     {"ceil", {.instant = Ceil}},
    {"clamp", {.instant = Clamp}},     {"clamp_max", {.instant = ClampMax}},
    {"clamp_min", {.instant = ClampMin}}, {"cos", {.instant = Cos}},
    {"cosh", {.instant = Cosh}},       {"deg", {.instant = Deg}},
    {"exp", {.instant = Exp}},         {"floor", {.instant = Floor}},
    {"ln", {.instant = Ln}},           {"log10", {.instant = Log10}},
    {"log2", {.instant = Log2}},       {"pi", {.instant = Pi}},
    {"rad", {.instant = Rad}},         {"round", {.instant = Round}},
    {"sgn", {.instant = Sgn}},         {"sin", {.instant = Sin}},
    {"sinh", {.instant = Sinh}},       {"sqrt", {.instant = Sqrt}},
    {"tan", {.instant = Tan}},         {"tanh", {.instant = Tanh}},
};

}  // namespace

std::span<const NamedFunctionImpl> MathFunctionImpls() { return kMathRows; }

}  // namespace metricsd::query::promql::functions_internal
