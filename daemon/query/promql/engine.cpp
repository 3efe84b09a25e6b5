#include "daemon/query/promql/engine.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <new>

#include "daemon/query/promql/evaluator.h"
#include "daemon/query/promql/parser.h"

namespace metricsd::query::promql {

// A place among max_concurrency running queries; waiting for one counts against the query's
// timeout (Prometheus's "query queue").
class Engine::Slot {
 public:
  Slot(Engine& engine, std::chrono::steady_clock::time_point deadline) : engine_(engine) {
    MutexLock lock(engine_.mutex_);
    while (engine_.running_ >= std::max(engine_.options_.max_concurrency, 1)) {
      if (engine_.slot_freed_.wait_until(engine_.mutex_, deadline) == std::cv_status::timeout &&
          engine_.running_ >= std::max(engine_.options_.max_concurrency, 1)) {
        throw QueryError(ErrorType::kTimeout, "query timed out in query queue");
      }
    }
    ++engine_.running_;
  }
  ~Slot() {
    {
      MutexLock lock(engine_.mutex_);
      --engine_.running_;
    }
    engine_.slot_freed_.notify_one();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  Engine& engine_;
};

Engine::Engine(EngineOptions options) : options_(options) {}

namespace {

void Fail(QueryResult& result, ErrorType type, std::string message) {
  result.value = Vector{};
  result.error_type = type;
  result.error = std::move(message);
}

}  // namespace

void Engine::Run(Queryable& queryable, const Expr& expr, Timestamp start, Timestamp end,
                 std::int64_t step_ms, bool range, std::chrono::steady_clock::time_point began,
                 QueryResult& result) {
  const ValueType type = expr.Type();
  if (range && type != ValueType::kVector && type != ValueType::kScalar) {
    throw QueryError(ErrorType::kBadData,
                     "invalid expression type \"" + std::string(DocumentedTypeName(type)) +
                         "\" for range query, must be Scalar or instant Vector");
  }
  if (range && step_ms <= 0) {
    throw QueryError(ErrorType::kBadData,
                     "zero or negative query resolution step widths are not accepted. Try a "
                     "positive integer");
  }
  if (range && end < start) {
    throw QueryError(ErrorType::kBadData, "end timestamp must not be before start time");
  }
  const auto deadline = began + options_.timeout;
  Slot slot(*this, deadline);

  QueryState state;
  state.options = &options_;
  state.query_start = start;
  state.query_end = end;
  state.query_interval = range ? step_ms : 0;
  state.deadline = deadline;
  state.stats = &result.stats;

  // A string is its own value (it needs no data).
  if (const auto* s = UnwrapArgument(expr).As<StringLiteral>()) {
    result.value = String{start, s->value};
    return;
  }
  PrepareQuery(expr, queryable, state);
  Evaluator evaluator(state, start, range ? end : start, range ? step_ms : 1);
  Matrix matrix = evaluator.Eval(expr);
  state.CheckDeadline();

  if (range) {
    std::sort(matrix.begin(), matrix.end(),
              [](const Series& a, const Series& b) { return a.labels < b.labels; });
    result.value = std::move(matrix);
    return;
  }
  switch (type) {
    case ValueType::kVector: {
      Vector vector;
      vector.reserve(matrix.size());
      for (Series& series : matrix) {
        if (series.points.empty()) continue;
        vector.push_back(Sample{std::move(series.labels), start, series.points[0].v});
      }
      result.value = std::move(vector);
      return;
    }
    case ValueType::kScalar: {
      const double v = !matrix.empty() && !matrix[0].points.empty()
                           ? matrix[0].points[0].v
                           : std::numeric_limits<double>::quiet_NaN();
      result.value = Scalar{start, v};
      return;
    }
    case ValueType::kMatrix:
      result.value = std::move(matrix);
      return;
    default:
      throw QueryError(ErrorType::kInternal, "unexpected expression type");
  }
}

namespace {

template <typename F>
QueryResult Guarded(F&& run) {
  QueryResult result;
  const auto began = std::chrono::steady_clock::now();
  try {
    run(began, result);
  } catch (const QueryError& e) {
    Fail(result, e.type(), e.what());
  } catch (const std::bad_alloc&) {
    Fail(result, ErrorType::kExecution, "query ran out of memory");
  } catch (const std::exception& e) {
    Fail(result, ErrorType::kInternal, e.what());
  }
  result.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return result;
}

}  // namespace

QueryResult Engine::Instant(Queryable& queryable, std::string_view query, Timestamp t) {
  return Guarded([&](std::chrono::steady_clock::time_point began, QueryResult& result) {
    ParseError error;
    ExprPtr expr = ParseExpr(query, &error);
    if (expr == nullptr) throw QueryError(ErrorType::kBadData, error.ToString(query));
    Run(queryable, *expr, t, t, 0, false, began, result);
  });
}

QueryResult Engine::Range(Queryable& queryable, std::string_view query, Timestamp start,
                          Timestamp end, std::int64_t step_ms) {
  return Guarded([&](std::chrono::steady_clock::time_point began, QueryResult& result) {
    ParseError error;
    ExprPtr expr = ParseExpr(query, &error);
    if (expr == nullptr) throw QueryError(ErrorType::kBadData, error.ToString(query));
    Run(queryable, *expr, start, end, step_ms, true, began, result);
  });
}

QueryResult Engine::InstantExpr(Queryable& queryable, const Expr& expr, Timestamp t) {
  return Guarded([&](std::chrono::steady_clock::time_point began, QueryResult& result) {
    Run(queryable, expr, t, t, 0, false, began, result);
  });
}

QueryResult Engine::RangeExpr(Queryable& queryable, const Expr& expr, Timestamp start,
                              Timestamp end, std::int64_t step_ms) {
  return Guarded([&](std::chrono::steady_clock::time_point began, QueryResult& result) {
    Run(queryable, expr, start, end, step_ms, true, began, result);
  });
}

}  // namespace metricsd::query::promql
