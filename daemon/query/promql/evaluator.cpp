#include "daemon/query/promql/evaluator.h"

#include <algorithm>
#include <limits>

#include "absl/hash/hash.h"
#include "daemon/query/promql/function_table.h"

namespace metricsd::query::promql {

// ---- QueryState ----------------------------------------------------------------------------

void QueryState::CheckDeadline() const {
  if (std::chrono::steady_clock::now() > deadline) {
    throw QueryError(ErrorType::kTimeout, "query timed out in expression evaluation");
  }
}

void QueryState::AddSamples(std::int64_t n) {
  current_samples += n;
  UpdatePeak();
  if (current_samples > options->max_samples) {
    throw QueryError(ErrorType::kExecution,
                     "query processing would load too many samples into memory in query "
                     "execution");
  }
}

void QueryState::UpdatePeak() {
  if (stats != nullptr && current_samples > stats->peak_samples) {
    stats->peak_samples = current_samples;
  }
}

Matrix QueryState::TakeSelected(const VectorSelector* selector) {
  auto found = selector != nullptr ? selected.find(selector) : selected.end();
  if (found == selected.end()) {
    throw QueryError(ErrorType::kInternal, "selector evaluated without its selection");
  }
  Matrix data = std::move(found->second);
  selected.erase(found);
  return data;
}

std::optional<Timestamp> QueryState::AtTime(const AtModifier& at) const {
  switch (at.kind) {
    case AtModifier::Kind::kNone: return std::nullopt;
    case AtModifier::Kind::kTimestamp: return at.t;
    case AtModifier::Kind::kStart: return query_start;
    case AtModifier::Kind::kEnd: return query_end;
  }
  return std::nullopt;
}

// ---- Labels helpers ------------------------------------------------------------------------

std::uint64_t LabelsHash(const Labels& labels) {
  std::uint64_t hash = 0x9e3779b97f4a7c15ULL;
  for (const Label& label : labels) {
    hash = absl::HashOf(hash, label.name, label.value);
  }
  return hash;
}

std::int64_t TotalPoints(const Matrix& matrix) {
  std::int64_t n = 0;
  for (const Series& series : matrix) n += std::ssize(series.points);
  return n;
}

void CheckNoDuplicateLabelsets(const Matrix& matrix) {
  if (matrix.size() < 2) return;
  std::unordered_multimap<std::uint64_t, std::size_t> seen;
  seen.reserve(matrix.size());
  for (std::size_t i = 0; i < matrix.size(); ++i) {
    const std::uint64_t hash = LabelsHash(matrix[i].labels);
    auto [begin, end] = seen.equal_range(hash);
    for (auto it = begin; it != end; ++it) {
      if (matrix[it->second].labels == matrix[i].labels) {
        throw QueryError(ErrorType::kExecution,
                         "vector cannot contain metrics with the same labelset");
      }
    }
    seen.emplace(hash, i);
  }
}

// ---- SeriesCollector -----------------------------------------------------------------------

std::uint32_t SeriesCollector::InternHashed(std::uint64_t hash, const Labels& labels,
                                            Labels* movable) {
  auto [begin, end] = index_.equal_range(hash);
  for (auto it = begin; it != end; ++it) {
    if (series_[it->second].labels == labels) return it->second;
  }
  const auto id = static_cast<std::uint32_t>(series_.size());
  series_.push_back(Series{movable != nullptr ? std::move(*movable) : labels, {}});
  last_step_.push_back(0);
  index_.emplace(hash, id);
  return id;
}

std::uint32_t SeriesCollector::Intern(const Labels& labels) {
  return InternHashed(LabelsHash(labels), labels, nullptr);
}

std::uint32_t SeriesCollector::Intern(Labels&& labels) {
  return InternHashed(LabelsHash(labels), labels, &labels);
}

void SeriesCollector::Add(std::uint32_t id, double v, Timestamp t) {
  if (last_step_[id] == step_) {
    throw QueryError(ErrorType::kExecution,
                     "vector cannot contain metrics with the same labelset");
  }
  last_step_[id] = step_;
  std::vector<Point>& points = series_[id].points;
  if (points.empty()) order_.push_back(id);
  points.push_back(Point{t, v});
  ++points_;
}

Matrix SeriesCollector::Take() {
  Matrix out;
  out.reserve(order_.size());
  for (std::uint32_t id : order_) out.push_back(std::move(series_[id]));
  series_.clear();
  last_step_.clear();
  order_.clear();
  index_.clear();
  points_ = 0;
  return out;
}

// ---- Preparation: step invariance and selection --------------------------------------------

namespace {

bool IsAtModifierUnsafe(std::string_view name) {
  static constexpr std::string_view kUnsafe[] = {
      "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute",
      "month",         "year",         "predict_linear", "time",     "timestamp"};
  return std::find(std::begin(kUnsafe), std::end(kUnsafe), name) != std::end(kUnsafe);
}

// Prometheus 2.42's preprocessExprHelper: true when `expr` is step invariant; marks the
// children it would wrap in a StepInvariantExpr.
bool MarkStepInvariant(const Expr& expr, QueryState& state) {
  auto mark = [&state](const Expr& e) { state.step_invariant.insert(&e); };
  if (const auto* n = expr.As<VectorSelector>()) return n->at.kind != AtModifier::Kind::kNone;
  if (const auto* n = expr.As<AggregateExpr>()) return MarkStepInvariant(*n->expr, state);
  if (const auto* n = expr.As<BinaryExpr>()) {
    const bool lhs = MarkStepInvariant(*n->lhs, state);
    const bool rhs = MarkStepInvariant(*n->rhs, state);
    if (lhs && rhs) return true;
    if (lhs) mark(*n->lhs);
    if (rhs) mark(*n->rhs);
    return false;
  }
  if (const auto* n = expr.As<Call>()) {
    bool invariant = n->func == nullptr || !IsAtModifierUnsafe(n->func->name);
    std::vector<bool> args(n->args.size());
    for (std::size_t i = 0; i < n->args.size(); ++i) {
      args[i] = MarkStepInvariant(*n->args[i], state);
      invariant = invariant && args[i];
    }
    if (invariant) return true;
    for (std::size_t i = 0; i < n->args.size(); ++i) {
      if (args[i]) mark(*n->args[i]);
    }
    return false;
  }
  if (const auto* n = expr.As<MatrixSelector>()) return MarkStepInvariant(*n->selector, state);
  if (const auto* n = expr.As<SubqueryExpr>()) {
    if (MarkStepInvariant(*n->expr, state)) mark(*n->expr);
    return n->at.kind != AtModifier::Kind::kNone;
  }
  if (const auto* n = expr.As<ParenExpr>()) return MarkStepInvariant(*n->expr, state);
  if (const auto* n = expr.As<UnaryExpr>()) return MarkStepInvariant(*n->expr, state);
  if (const auto* n = expr.As<StepInvariantExpr>()) {
    MarkStepInvariant(*n->expr, state);
    return true;
  }
  return true;  // number and string literals
}

struct SelectWalk {
  QueryState& state;
  Queryable& queryable;
  Timestamp query_start;
  Timestamp query_end;
  std::vector<const SubqueryExpr*> path;

  // 2.42's getTimeRangesForSelector.
  void Select(const VectorSelector& selector, std::int64_t range_ms) {
    if (state.selected.contains(&selector)) return;
    Timestamp start = query_start;
    Timestamp end = query_end;
    std::int64_t subquery_offset = 0;
    std::int64_t subquery_range = 0;
    std::optional<Timestamp> subquery_at;
    for (const SubqueryExpr* subquery : path) {
      subquery_offset += subquery->offset_ms;
      subquery_range += subquery->range_ms;
      if (std::optional<Timestamp> at = state.AtTime(subquery->at)) {
        subquery_offset = subquery->offset_ms;
        subquery_range = subquery->range_ms;
        subquery_at = at;
      }
    }
    if (subquery_at) start = end = *subquery_at;
    if (std::optional<Timestamp> at = state.AtTime(selector.at)) {
      start = end = *at;
    } else {
      start = start - subquery_offset - subquery_range;
      end = end - subquery_offset;
    }
    start -= range_ms == 0 ? state.options->lookback_delta_ms : range_ms;
    start -= selector.offset_ms;
    end -= selector.offset_ms;
    state.CheckDeadline();
    Matrix series = queryable.Select(selector.matchers, start, end);
    if (state.stats != nullptr) {
      for (const Series& s : series) state.stats->samples_read += std::ssize(s.points);
    }
    state.selected.emplace(&selector, std::move(series));
  }

  void Walk(const Expr& expr) {
    if (const auto* n = expr.As<VectorSelector>()) return Select(*n, 0);
    if (const auto* n = expr.As<MatrixSelector>()) {
      if (const auto* vs = n->selector->As<VectorSelector>()) Select(*vs, n->range_ms);
      return;
    }
    if (const auto* n = expr.As<SubqueryExpr>()) {
      path.push_back(n);
      Walk(*n->expr);
      path.pop_back();
      return;
    }
    if (const auto* n = expr.As<ParenExpr>()) return Walk(*n->expr);
    if (const auto* n = expr.As<UnaryExpr>()) return Walk(*n->expr);
    if (const auto* n = expr.As<StepInvariantExpr>()) return Walk(*n->expr);
    if (const auto* n = expr.As<BinaryExpr>()) {
      Walk(*n->lhs);
      Walk(*n->rhs);
      return;
    }
    if (const auto* n = expr.As<AggregateExpr>()) {
      if (n->param) Walk(*n->param);
      Walk(*n->expr);
      return;
    }
    if (const auto* n = expr.As<Call>()) {
      for (const ExprPtr& arg : n->args) Walk(*arg);
    }
  }
};

}  // namespace

void PrepareQuery(const Expr& expr, Queryable& queryable, QueryState& state) {
  if (MarkStepInvariant(expr, state)) state.step_invariant.insert(&expr);
  SelectWalk walk{state, queryable, state.query_start, state.query_end, {}};
  walk.Walk(expr);
}

const Expr& UnwrapArgument(const Expr& expr) {
  const Expr* e = &expr;
  while (const auto* paren = e->As<ParenExpr>()) e = paren->expr.get();
  if (const auto* invariant = e->As<StepInvariantExpr>()) e = invariant->expr.get();
  while (const auto* paren = e->As<ParenExpr>()) e = paren->expr.get();
  return *e;
}

// ---- Evaluator -----------------------------------------------------------------------------

Evaluator::Evaluator(QueryState& state, Timestamp start, Timestamp end, std::int64_t interval)
    : state_(state), start_(start), end_(end), interval_(interval > 0 ? interval : 1) {}

std::int64_t Evaluator::EffectiveOffset(std::int64_t offset_ms, const AtModifier& at) const {
  if (std::optional<Timestamp> t = state_.AtTime(at)) return offset_ms + (start_ - *t);
  return offset_ms;
}

Matrix Evaluator::Eval(const Expr& expr) {
  state_.CheckDeadline();
  if (start_ != end_ && state_.step_invariant.contains(&expr)) return EvalStepInvariant(expr);
  return EvalNode(expr);
}

Matrix Evaluator::EvalNode(const Expr& expr) {
  if (const auto* n = expr.As<NumberLiteral>()) return EvalNumber(n->value);
  if (const auto* n = expr.As<VectorSelector>()) return EvalVectorSelector(*n);
  if (const auto* n = expr.As<MatrixSelector>()) return EvalMatrixSelector(*n);
  if (const auto* n = expr.As<SubqueryExpr>()) return EvalSubquery(*n);
  if (const auto* n = expr.As<ParenExpr>()) return Eval(*n->expr);
  if (const auto* n = expr.As<UnaryExpr>()) return EvalUnary(*n);
  if (const auto* n = expr.As<BinaryExpr>()) return EvalBinary(*n);
  if (const auto* n = expr.As<Call>()) return EvalCall(*n);
  if (const auto* n = expr.As<AggregateExpr>()) return EvalAggregate(*n);
  if (const auto* n = expr.As<StepInvariantExpr>()) {
    return start_ != end_ ? EvalStepInvariant(*n->expr) : Eval(*n->expr);
  }
  throw QueryError(ErrorType::kInternal, "unexpected string expression in evaluation");
}

Matrix Evaluator::EvalStepInvariant(const Expr& expr) {
  if (expr.As<NumberLiteral>() != nullptr) return EvalNode(expr);
  Evaluator once(state_, start_, start_, interval_);
  Matrix result = once.EvalNode(expr);
  if (expr.As<MatrixSelector>() != nullptr || expr.As<SubqueryExpr>() != nullptr) {
    return result;  // a range's points do not depend on the step
  }
  // The same value at every step, stamped with each step's time.
  const int steps = num_steps();
  for (Series& series : result) {
    if (series.points.size() != 1) continue;
    const double v = series.points[0].v;
    series.points.reserve(static_cast<std::size_t>(steps));
    for (Timestamp ts = start_ + interval_; ts <= end_; ts += interval_) {
      series.points.push_back(Point{ts, v});
    }
    state_.AddSamples(steps - 1);
  }
  return result;
}

Matrix Evaluator::EvalNumber(double value) {
  Series series;
  series.points.reserve(static_cast<std::size_t>(num_steps()));
  for (Timestamp ts = start_; ts <= end_; ts += interval_) series.points.push_back(Point{ts, value});
  state_.AddSamples(std::ssize(series.points));
  Matrix out;
  out.push_back(std::move(series));
  return out;
}

Matrix Evaluator::EvalVectorSelector(const VectorSelector& selector) {
  Matrix data = state_.TakeSelected(&selector);
  const std::int64_t offset = EffectiveOffset(selector.offset_ms, selector.at);
  const std::int64_t lookback = state_.options->lookback_delta_ms;
  Matrix out;
  out.reserve(data.size());
  for (Series& series : data) {
    state_.CheckDeadline();
    const std::vector<Point>& points = series.points;
    std::vector<Point> result;
    std::size_t next = 0;  // the first point after the reference time
    for (Timestamp ts = start_; ts <= end_; ts += interval_) {
      const Timestamp ref = ts - offset;
      while (next < points.size() && points[next].t <= ref) ++next;
      if (next == 0) continue;
      const Point& p = points[next - 1];
      if (p.t < ref - lookback || storage::IsStaleMarker(p.v)) continue;
      if (result.empty()) result.reserve(static_cast<std::size_t>(num_steps()));
      result.push_back(Point{ts, p.v});
    }
    if (result.empty()) continue;
    state_.AddSamples(std::ssize(result));
    out.push_back(Series{std::move(series.labels), std::move(result)});
  }
  return out;
}

Matrix Evaluator::EvalMatrixSelector(const MatrixSelector& selector) {
  if (start_ != end_) {
    throw QueryError(ErrorType::kInternal, "cannot do range evaluation of matrix selector");
  }
  const auto* vs = selector.selector->As<VectorSelector>();
  Matrix data = state_.TakeSelected(vs);
  const Timestamp maxt = start_ - EffectiveOffset(vs->offset_ms, vs->at);
  const Timestamp mint = maxt - selector.range_ms;
  Matrix out;
  for (Series& series : data) {
    state_.CheckDeadline();
    std::vector<Point> window;
    for (const Point& p : series.points) {
      if (p.t >= mint && p.t <= maxt && !storage::IsStaleMarker(p.v)) window.push_back(p);
    }
    if (window.empty()) continue;
    state_.AddSamples(std::ssize(window));
    out.push_back(Series{std::move(series.labels), std::move(window)});
  }
  return out;
}

Matrix Evaluator::EvalSubquery(const SubqueryExpr& subquery) {
  const std::int64_t offset = EffectiveOffset(subquery.offset_ms, subquery.at);
  const std::int64_t step =
      subquery.step_ms != 0 ? subquery.step_ms : state_.options->default_subquery_step_ms;
  // The first time after (start - offset - range) that is a multiple of the step.
  const Timestamp from = start_ - offset - subquery.range_ms;
  Timestamp sub_start = step * (from / step);
  if (sub_start < from) sub_start += step;
  Evaluator inner(state_, sub_start, end_ - offset, step);
  return inner.Eval(*subquery.expr);
}

Matrix Evaluator::EvalUnary(const UnaryExpr& unary) {
  Matrix result = Eval(*unary.expr);
  if (!unary.negate) return result;
  for (Series& series : result) {
    series.labels = DropMetricName(std::move(series.labels));
    for (Point& p : series.points) p.v = -p.v;
  }
  CheckNoDuplicateLabelsets(result);
  return result;
}

}  // namespace metricsd::query::promql
