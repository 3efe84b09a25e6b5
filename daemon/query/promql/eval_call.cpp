// Function calls (2.42's eval of *parser.Call): range functions slide a window over each
// series, one series at a time; instant functions are called once per step with the evaluated
// arguments; absent, absent_over_time, time, timestamp, vector, scalar, sort and sort_desc are
// handled here because they need the expression or the step.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "daemon/query/promql/evaluator.h"
#include "daemon/query/promql/function_table.h"
#include "daemon/query/promql/functions.h"
#include "daemon/query/promql/functions_internal.h"

namespace metricsd::query::promql {

namespace {

// 2.42's createLabelsForAbsentFunction: the labels a selector's equality matchers pin down.
Labels LabelsForAbsent(const Expr& arg) {
  const Expr& e = UnwrapArgument(arg);
  const VectorSelector* vs = e.As<VectorSelector>();
  if (const auto* ms = e.As<MatrixSelector>()) vs = ms->selector->As<VectorSelector>();
  Labels out;
  if (vs == nullptr) return out;
  std::vector<std::string> has;
  for (const storage::LabelMatcher& m : vs->matchers) {
    if (m.name() == kMetricName) continue;
    const bool seen = std::find(has.begin(), has.end(), m.name()) != has.end();
    if (m.type() == storage::MatchType::kEqual && !seen) {
      SetLabel(out, m.name(), m.value());
      has.push_back(m.name());
    } else {
      SetLabel(out, m.name(), "");
    }
  }
  return out;
}

bool IsHandledByEvaluator(std::string_view name) {
  static constexpr std::string_view kNames[] = {"absent", "absent_over_time", "time",
                                                "timestamp", "vector", "scalar",
                                                "sort", "sort_desc"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

[[noreturn]] void Unimplemented(std::string_view name) {
  throw QueryError(ErrorType::kInternal,
                   "function \"" + std::string(name) + "\" is unimplemented");
}

// 2.42's funcSort/funcSortDesc: sort.Sort(sort.Reverse(...)) over the heaps' Less, with Go's
// own algorithm so ties and NaN (last) end in Prometheus's order.
void SortStep(StepVector& vec, bool descending) {
  struct Reversed : functions_internal::GoSortable {
    Reversed(StepVector& v, bool d) : vec(v), descending(d) {}
    // Reverse(h).Less(i, j) == h.Less(j, i): NaN at j, or j beyond i in the wanted direction.
    bool Less(std::int64_t i, std::int64_t j) const override {
      const double vi = vec[static_cast<std::size_t>(i)].v;
      const double vj = vec[static_cast<std::size_t>(j)].v;
      if (std::isnan(vj)) return true;
      return descending ? vj < vi : vj > vi;
    }
    void Swap(std::int64_t i, std::int64_t j) override {
      std::swap(vec[static_cast<std::size_t>(i)], vec[static_cast<std::size_t>(j)]);
    }
    StepVector& vec;
    bool descending;
  };
  Reversed reversed(vec, descending);
  functions_internal::GoSort(reversed, std::ssize(vec));
}

}  // namespace

Matrix Evaluator::EvalCall(const Call& call) {
  if (call.func == nullptr) throw QueryError(ErrorType::kInternal, "call without a function");
  if (call.func->name == "timestamp" && !call.args.empty()) {
    if (const auto* vs = UnwrapArgument(*call.args[0]).As<VectorSelector>()) {
      return EvalTimestampOfSelector(*vs);
    }
  }
  for (std::size_t i = 0; i < call.args.size(); ++i) {
    const Expr& arg = UnwrapArgument(*call.args[i]);
    if (arg.As<MatrixSelector>() != nullptr || arg.As<SubqueryExpr>() != nullptr) {
      return EvalRangeFunction(call, i);
    }
  }
  return EvalInstantFunction(call);
}

Matrix Evaluator::EvalRangeFunction(const Call& call, std::size_t matrix_arg) {
  const std::int64_t before = state_.current_samples;
  const std::string_view name = call.func->name;
  RangeFunction fn = nullptr;
  const bool absent_over_time = name == "absent_over_time";
  if (!absent_over_time) {
    std::optional<FunctionImpl> impl = FindFunctionImpl(name);
    if (!impl || impl->range == nullptr) Unimplemented(name);
    fn = impl->range;
  }

  // The scalar arguments, each a point per step.
  std::vector<Matrix> scalar_args;
  for (std::size_t j = 0; j < call.args.size(); ++j) {
    if (j == matrix_arg || call.args[j]->Type() == ValueType::kString) continue;
    scalar_args.push_back(Eval(*call.args[j]));
  }

  const Expr& arg = UnwrapArgument(*call.args[matrix_arg]);
  Matrix data;
  std::int64_t offset = 0;
  std::int64_t range = 0;
  if (const auto* ms = arg.As<MatrixSelector>()) {
    const auto* vs = ms->selector->As<VectorSelector>();
    data = state_.TakeSelected(vs);
    offset = EffectiveOffset(vs->offset_ms, vs->at);
    range = ms->range_ms;
  } else {
    const auto& subquery = *arg.As<SubqueryExpr>();
    data = EvalSubquery(subquery);
    offset = EffectiveOffset(subquery.offset_ms, subquery.at);
    range = subquery.range_ms;
  }
  const std::int64_t data_samples = state_.current_samples - before;

  const bool keep_name = name == "last_over_time";
  const int steps = num_steps();
  Matrix out;
  out.reserve(data.size());
  std::vector<Point> filtered;  // a series' samples without staleness markers
  std::vector<double> scalars(scalar_args.size());
  for (Series& series : data) {
    state_.CheckDeadline();
    const bool has_markers = std::any_of(series.points.begin(), series.points.end(),
                                         [](const Point& p) { return storage::IsStaleMarker(p.v); });
    if (has_markers) {
      filtered.clear();
      for (const Point& p : series.points) {
        if (!storage::IsStaleMarker(p.v)) filtered.push_back(p);
      }
    }
    const std::vector<Point>& points = has_markers ? filtered : series.points;
    if (points.empty()) continue;
    std::vector<Point> result;
    result.reserve(static_cast<std::size_t>(steps));
    std::size_t lo = 0;
    std::size_t hi = 0;
    std::size_t widest = 0;
    int step = -1;
    for (Timestamp ts = start_; ts <= end_; ts += interval_) {
      ++step;
      const Timestamp maxt = ts - offset;
      const Timestamp mint = maxt - range;
      while (hi < points.size() && points[hi].t <= maxt) ++hi;
      while (lo < hi && points[lo].t < mint) ++lo;
      if (lo == hi) continue;
      widest = std::max(widest, hi - lo);
      if (absent_over_time) {
        result.push_back(Point{ts, 1});
        continue;
      }
      for (std::size_t j = 0; j < scalar_args.size(); ++j) {
        const std::vector<Point>& sp = scalar_args[j].empty() ? std::vector<Point>{}
                                                              : scalar_args[j][0].points;
        scalars[j] = static_cast<std::size_t>(step) < sp.size()
                         ? sp[static_cast<std::size_t>(step)].v
                         : std::numeric_limits<double>::quiet_NaN();
      }
      RangeCall rc;
      rc.points = std::span<const Point>(points.data() + lo, hi - lo);
      rc.range_start = mint;
      rc.range_end = maxt;
      rc.eval_t = ts;
      rc.scalars = scalars;
      if (std::optional<double> v = fn(rc)) result.push_back(Point{ts, *v});
    }
    // The window's samples were held while the series was evaluated.
    state_.AddSamples(static_cast<std::int64_t>(widest));
    state_.current_samples -= static_cast<std::int64_t>(widest);
    if (result.empty()) continue;
    if (result.capacity() > result.size() * 2 && steps > 1) result.shrink_to_fit();
    state_.AddSamples(std::ssize(result));
    out.push_back(Series{keep_name ? std::move(series.labels)
                                   : DropMetricName(std::move(series.labels)),
                         std::move(result)});
    series.points = {};  // done with this series' samples
  }
  state_.current_samples -= data_samples;

  if (absent_over_time) {
    // 1 at the steps where no series had a sample in its window.
    for (const Series& s : out) {
      if (std::ssize(s.points) == steps) return {};
    }
    std::vector<bool> found(static_cast<std::size_t>(std::max(steps, 0)), false);
    std::int64_t found_count = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      for (const Point& p : out[i].points) {
        const auto k = static_cast<std::size_t>((p.t - start_) / interval_);
        if (!found[k]) {
          found[k] = true;
          ++found_count;
        }
      }
      if (i > 0 && found_count == steps) return {};
    }
    Series absent{LabelsForAbsent(*call.args[0]), {}};
    for (Timestamp ts = start_; ts <= end_; ts += interval_) {
      if (!found[static_cast<std::size_t>((ts - start_) / interval_)]) {
        absent.points.push_back(Point{ts, 1});
      }
    }
    state_.current_samples = before;
    state_.AddSamples(std::ssize(absent.points));
    Matrix result;
    result.push_back(std::move(absent));
    return result;
  }
  CheckNoDuplicateLabelsets(out);
  return out;
}

Matrix Evaluator::EvalTimestampOfSelector(const VectorSelector& selector) {
  const Matrix data = state_.TakeSelected(&selector);
  const std::int64_t lookback = state_.options->lookback_delta_ms;
  const std::optional<Timestamp> at = state_.AtTime(selector.at);
  SeriesCollector collector;
  std::vector<std::uint32_t> ids(data.size(), ~std::uint32_t{0});
  std::vector<std::size_t> next(data.size(), 0);
  for (Timestamp ts = start_; ts <= end_; ts += interval_) {
    state_.CheckDeadline();
    collector.BeginStep(ts);
    // 2.42 sets the offset to (step - @) here, so @ replaces the offset rather than adding to it.
    const Timestamp ref = at ? *at : ts - selector.offset_ms;
    for (std::size_t i = 0; i < data.size(); ++i) {
      const std::vector<Point>& points = data[i].points;
      std::size_t& n = next[i];
      if (at) n = 0;  // the reference time does not move forward with @
      while (n < points.size() && points[n].t <= ref) ++n;
      if (n == 0) continue;
      const Point& p = points[n - 1];
      if (p.t < ref - lookback || storage::IsStaleMarker(p.v)) continue;
      if (ids[i] == ~std::uint32_t{0}) {
        ids[i] = collector.Intern(DropMetricName(data[i].labels));
      }
      collector.Add(ids[i], static_cast<double>(p.t) / 1000);
    }
  }
  state_.AddSamples(collector.points());
  return collector.Take();
}

Matrix Evaluator::EvalInstantFunction(const Call& call) {
  const std::int64_t before = state_.current_samples;
  const std::string_view name = call.func->name;
  InstantFunction fn = nullptr;
  if (!IsHandledByEvaluator(name)) {
    std::optional<FunctionImpl> impl = FindFunctionImpl(name);
    if (!impl || impl->instant == nullptr) Unimplemented(name);
    fn = impl->instant;
  }

  // Evaluated arguments (strings come from the expression, as in 2.42).
  std::vector<Matrix> matrices(call.args.size());
  std::vector<Matrix*> inputs(call.args.size(), nullptr);
  std::vector<std::string_view> strings(call.args.size());
  for (std::size_t i = 0; i < call.args.size(); ++i) {
    if (call.args[i]->Type() == ValueType::kString) {
      if (const auto* s = UnwrapArgument(*call.args[i]).As<StringLiteral>()) strings[i] = s->value;
      continue;
    }
    matrices[i] = Eval(*call.args[i]);
    inputs[i] = &matrices[i];
  }

  SeriesCollector collector;
  std::vector<std::uint32_t> ids(call.args.empty() ? 0 : matrices[0].size(), ~std::uint32_t{0});
  auto id_of_input = [&](std::uint32_t series, bool drop_name) {
    std::uint32_t& id = ids[series];
    if (id == ~std::uint32_t{0}) {
      const Labels& labels = matrices[0][series].labels;
      id = collector.Intern(drop_name ? DropMetricName(labels) : labels);
    }
    return id;
  };
  std::optional<std::uint32_t> empty_id;
  std::optional<std::uint32_t> absent_id;
  std::vector<Vector> vectors(call.args.size());
  std::vector<Argument> args(call.args.size());

  ForEachStep(inputs, [&](Timestamp ts, std::vector<StepVector>& in) {
    collector.BeginStep(ts);
    if (name == "time") {
      if (!empty_id) empty_id = collector.Intern(Labels{});
      collector.Add(*empty_id, static_cast<double>(ts) / 1000);
    } else if (name == "vector" || name == "scalar") {
      if (!empty_id) empty_id = collector.Intern(Labels{});
      const StepVector& v = in[0];
      const double value = name == "vector" || v.size() == 1
                               ? (v.empty() ? std::numeric_limits<double>::quiet_NaN() : v[0].v)
                               : std::numeric_limits<double>::quiet_NaN();
      collector.Add(*empty_id, value);
    } else if (name == "absent") {
      if (!in[0].empty()) return;
      if (!absent_id) absent_id = collector.Intern(LabelsForAbsent(*call.args[0]));
      collector.Add(*absent_id, 1);
    } else if (name == "timestamp") {
      for (const StepSample& s : in[0]) {
        collector.Add(id_of_input(s.series, true), static_cast<double>(s.t) / 1000);
      }
    } else if (name == "sort" || name == "sort_desc") {
      SortStep(in[0], name == "sort_desc");
      for (const StepSample& s : in[0]) collector.Add(id_of_input(s.series, false), s.v);
    } else {
      for (std::size_t i = 0; i < call.args.size(); ++i) {
        if (inputs[i] == nullptr) {
          args[i] = strings[i];
        } else if (call.args[i]->Type() == ValueType::kScalar) {
          args[i] = in[i].empty() ? std::numeric_limits<double>::quiet_NaN() : in[i][0].v;
        } else {
          Vector& vec = vectors[i];
          vec.resize(in[i].size());
          for (std::size_t k = 0; k < in[i].size(); ++k) {
            vec[k].labels = matrices[i][in[i][k].series].labels;
            vec[k].t = ts;
            vec[k].v = in[i][k].v;
          }
          args[i] = &vec;
        }
      }
      InstantCall ic;
      ic.t = ts;
      ic.call = &call;
      ic.args = args;
      Vector result = fn(ic);
      for (Sample& s : result) collector.Add(collector.Intern(std::move(s.labels)), s.v);
    }
  });
  state_.current_samples = before;
  state_.AddSamples(collector.points());
  return collector.Take();
}

}  // namespace metricsd::query::promql
