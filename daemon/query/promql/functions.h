// The implementations of PromQL's functions (Prometheus 2.42's promql/functions.go), called by
// the evaluator once per output step. Two shapes:
//  - range functions (rate, *_over_time, deriv, ...) take one series' window of points and
//    return at most one value; the evaluator slides the window, attaches the labels (dropping
//    the metric name except for last_over_time) and collects the points;
//  - instant functions (abs, histogram_quantile, label_replace, ...) take the evaluated
//    arguments at one step and return a vector (they drop the metric name themselves where
//    Prometheus does).
// The evaluator itself handles what needs the expression tree or the whole query: absent,
// absent_over_time, timestamp, scalar, vector, time, sort, sort_desc: EvaluatorHandles().
//
// Errors (label_replace with an invalid regex, a result with duplicate label sets) are thrown
// as QueryError (query_error.h); the engine catches them and answers with the message.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/query/promql/ast.h"
#include "daemon/query/promql/value.h"

namespace metricsd::query::promql {

// One call of a range function for one series at one step.
struct RangeCall {
  std::span<const Point> points;  // the window's samples, ascending, staleness markers removed
  Timestamp range_start = 0;      // the window: [range_start, range_end] (2.42 is closed)
  Timestamp range_end = 0;
  Timestamp eval_t = 0;           // the step's time, predict_linear's intercept point: the
                                  // step even under @ (2.42 intercepts at enh.Ts: functions.test
                                  // predict_linear(x[100m] @ 3000, 3600) at 10m uses 600+3600)
  std::span<const double> scalars;  // the call's scalar arguments at this step, in order
                                    // (quantile_over_time's φ; holt_winters' sf, tf; ...)
};
using RangeFunction = std::optional<double> (*)(const RangeCall& call);

// One argument of an instant function at one step.
using Argument = std::variant<double, const Vector*, std::string_view>;

struct InstantCall {
  Timestamp t = 0;                    // the step's time
  const Call* call = nullptr;         // the expression (argument expressions, positions)
  std::span<const Argument> args;     // evaluated, in order; absent optional args omitted
};
using InstantFunction = Vector (*)(const InstantCall& call);

struct FunctionImpl {
  RangeFunction range = nullptr;      // exactly one of these is set
  InstantFunction instant = nullptr;
};

// The implementation of `name`; nullopt for functions the evaluator handles itself.
std::optional<FunctionImpl> FindFunctionImpl(std::string_view name);

// True for the functions the evaluator implements itself (absent, absent_over_time, scalar,
// sort, sort_desc, time, timestamp, vector).
bool EvaluatorHandles(std::string_view name);

// quantile.go's quantile(), shared by quantile_over_time and the quantile aggregation: NaN for
// no values or a NaN φ, -Inf for φ < 0, +Inf for φ > 1, else the linear interpolation between
// the two closest ranks. Sorts `values` in place (NaN first, as 2.42's vectorByValueHeap).
double Quantile(double phi, std::span<double> values);

}  // namespace metricsd::query::promql
