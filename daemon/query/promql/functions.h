// The implementations of PromQL's functions (Prometheus 2.42's promql/functions.go), called by
// the evaluator once per output step. Two shapes:
//  - range functions (rate, *_over_time, deriv, ...) take one series' window of points and
//    return at most one value; the evaluator slides the window, attaches the labels (dropping
//    the metric name except for last_over_time) and collects the points;
//  - instant functions (abs, histogram_quantile, label_replace, ...) take the evaluated
//    arguments at one step and return a vector (they drop the metric name themselves where
//    Prometheus does).
// The evaluator itself handles what needs the expression tree or the whole query: absent,
// absent_over_time, timestamp of a selector, scalar, vector, time, sort, sort_desc... listed in
// EvaluatorHandles().
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
  Timestamp eval_t = 0;           // the step's time (the @ time when given); predict_linear's
                                  // intercept point
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

}  // namespace metricsd::query::promql
