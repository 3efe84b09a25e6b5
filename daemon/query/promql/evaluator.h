// The evaluator behind Engine: evaluates an AST over every step of [start, end] at once, as
// Prometheus 2.42's promql/engine.go (evaluator.eval / rangeEval) does, into a Matrix whose
// points sit at the step times; an instant query is the range with start == end.
//
// Split by job: evaluator.cpp (dispatch, selectors, subqueries, step invariance, the step loop),
// eval_binary.cpp (operators), eval_aggregate.cpp (aggregations), eval_call.cpp (functions).
// Errors are thrown as QueryError; the Engine catches them.
//
// Thread-safety: one Evaluator (and its QueryState) belongs to one query on one thread; the AST
// is only read, so many queries may evaluate one parsed expression at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "daemon/query/promql/ast.h"
#include "daemon/query/promql/engine.h"
#include "daemon/query/promql/queryable.h"
#include "daemon/query/promql/value.h"

namespace metricsd::query::promql {

// What every evaluator of one query shares (nested evaluators of subqueries and step-invariant
// parts included). Thread-safety: belongs to one query on one thread.
struct QueryState {
  const EngineOptions* options = nullptr;
  Timestamp query_start = 0;  // what @ start() and @ end() mean
  Timestamp query_end = 0;
  std::int64_t query_interval = 0;  // the query's step (0 for an instant query)
  std::chrono::steady_clock::time_point deadline;
  std::int64_t current_samples = 0;  // held in memory now, as Prometheus counts them
  QueryStats* stats = nullptr;
  // Each selector's series from the Queryable, selected once over the time the query needs.
  std::unordered_map<const VectorSelector*, Matrix> selected;
  // Nodes Prometheus would wrap in a StepInvariantExpr (PreprocessExpr): evaluated once.
  std::unordered_set<const Expr*> step_invariant;

  // Throws Prometheus's timeout error once the deadline has passed.
  void CheckDeadline() const;
  // Accounts `n` more samples held; throws Prometheus's error past max_samples.
  void AddSamples(std::int64_t n);
  void UpdatePeak();
  // Hands over a selector's series: each node is evaluated once per query, so its data is
  // released as soon as it is used (a second use is an internal error, never a silent empty).
  Matrix TakeSelected(const VectorSelector* selector);
  // The time @ resolves to, or nullopt without @.
  std::optional<Timestamp> AtTime(const AtModifier& at) const;
};

// Prepares `state` for `expr` evaluated over [start, end] (end == start for an instant query):
// marks the step-invariant parts and selects every selector's series from `queryable` over the
// time it needs (Prometheus's populateSeries / getTimeRangesForSelector).
void PrepareQuery(const Expr& expr, Queryable& queryable, QueryState& state);

// One sample of an input at one step: which series of the input matrix, its value and time.
struct StepSample {
  std::uint32_t series = 0;
  double v = 0;
  Timestamp t = 0;
};
using StepVector = std::vector<StepSample>;

// Collects the output of a node step by step into series with interned label sets, so labels
// are computed once per output series rather than once per step. Raises Prometheus's
// "vector cannot contain metrics with the same labelset" when a step adds a label set twice.
// Thread-safety: belongs to one node's evaluation on one thread.
class SeriesCollector {
 public:
  // The id of `labels` (added when new).
  std::uint32_t Intern(const Labels& labels);
  std::uint32_t Intern(Labels&& labels);
  const Labels& LabelsOf(std::uint32_t id) const { return series_[id].labels; }
  void BeginStep(Timestamp t) { step_t_ = t; ++step_; }
  // Adds a point at the current step's time (or `t`).
  void Add(std::uint32_t id, double v) { Add(id, v, step_t_); }
  void Add(std::uint32_t id, double v, Timestamp t);
  std::int64_t points() const { return points_; }
  // The series that got points, in the order they first got one (an instant query's order).
  Matrix Take();

 private:
  std::uint32_t InternHashed(std::uint64_t hash, const Labels& labels, Labels* movable);
  Matrix series_;
  std::vector<std::uint64_t> last_step_;
  std::vector<std::uint32_t> order_;
  std::unordered_multimap<std::uint64_t, std::uint32_t> index_;
  std::uint64_t step_ = 0;
  Timestamp step_t_ = 0;
  std::int64_t points_ = 0;
};

// The number of points in `matrix`.
std::int64_t TotalPoints(const Matrix& matrix);
// A hash of the whole label set (names and values).
std::uint64_t LabelsHash(const Labels& labels);
// Throws "vector cannot contain metrics with the same labelset" if two series share labels.
void CheckNoDuplicateLabelsets(const Matrix& matrix);

// Evaluates nodes over [start, end] by interval. Thread-safety: belongs to one query on one
// thread (it shares that query's QueryState).
class Evaluator {
 public:
  Evaluator(QueryState& state, Timestamp start, Timestamp end, std::int64_t interval);

  // The value of `expr` at every step: a Matrix (scalars: one series without labels with a
  // point at every step). Strings are handled by the caller.
  Matrix Eval(const Expr& expr);

  Timestamp start() const { return start_; }
  Timestamp end() const { return end_; }
  std::int64_t interval() const { return interval_; }
  int num_steps() const {
    return end_ < start_ ? 0 : static_cast<int>((end_ - start_) / interval_) + 1;
  }

  // Steps through the inputs: calls `step(ts, inputs)` at each step with each input's samples
  // at that step (StepVector per input, series indexing that input's matrix).
  template <typename StepFn>
  void ForEachStep(std::vector<Matrix*>& inputs, StepFn&& step);

 private:
  Matrix EvalNode(const Expr& expr);
  Matrix EvalStepInvariant(const Expr& expr);
  Matrix EvalVectorSelector(const VectorSelector& selector);
  Matrix EvalMatrixSelector(const MatrixSelector& selector);
  Matrix EvalSubquery(const SubqueryExpr& subquery);
  Matrix EvalUnary(const UnaryExpr& unary);
  Matrix EvalNumber(double value);
  // eval_binary.cpp
  Matrix EvalBinary(const BinaryExpr& binary);
  Matrix EvalScalarScalar(const BinaryExpr& binary);
  Matrix EvalVectorScalar(const BinaryExpr& binary, bool scalar_on_left);
  Matrix EvalVectorVector(const BinaryExpr& binary);
  Matrix EvalSetOperator(const BinaryExpr& binary, Matrix& lhs, Matrix& rhs);
  // eval_aggregate.cpp
  Matrix EvalAggregate(const AggregateExpr& aggregate);
  // eval_call.cpp
  Matrix EvalCall(const Call& call);
  Matrix EvalRangeFunction(const Call& call, std::size_t matrix_arg);
  Matrix EvalInstantFunction(const Call& call);
  Matrix EvalTimestampOfSelector(const VectorSelector& selector);

 public:
  // The offset a selector or subquery is evaluated with at this evaluator: with @ the offset
  // is taken relative to this evaluator's start, as 2.42's setOffsetForAtModifier does.
  std::int64_t EffectiveOffset(std::int64_t offset_ms, const AtModifier& at) const;
  QueryState& state() { return state_; }

 private:
  QueryState& state_;
  Timestamp start_;
  Timestamp end_;
  std::int64_t interval_;
};

// Unwraps parentheses and a step-invariant wrapper (2.42's unwrapParenExpr and
// unwrapStepInvariantExpr as the evaluator applies them to arguments).
const Expr& UnwrapArgument(const Expr& expr);

template <typename StepFn>
void Evaluator::ForEachStep(std::vector<Matrix*>& inputs, StepFn&& step) {
  std::vector<std::vector<std::size_t>> cursors(inputs.size());
  std::vector<StepVector> vectors(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] == nullptr) continue;
    cursors[i].assign(inputs[i]->size(), 0);
    vectors[i].reserve(inputs[i]->size());
  }
  for (Timestamp ts = start_; ts <= end_; ts += interval_) {
    state_.CheckDeadline();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      StepVector& vec = vectors[i];
      vec.clear();
      if (inputs[i] == nullptr) continue;
      Matrix& matrix = *inputs[i];
      for (std::size_t si = 0; si < matrix.size(); ++si) {
        std::size_t& cursor = cursors[i][si];
        const std::vector<Point>& points = matrix[si].points;
        if (cursor < points.size() && points[cursor].t == ts) {
          vec.push_back(StepSample{static_cast<std::uint32_t>(si), points[cursor].v, ts});
          ++cursor;
        }
      }
    }
    step(ts, vectors);
  }
}

}  // namespace metricsd::query::promql
