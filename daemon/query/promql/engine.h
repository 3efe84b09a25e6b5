// The PromQL engine: parses and evaluates instant and range queries with Prometheus 2.42's
// semantics (lookback delta, staleness, @ and offset, subqueries, vector matching) over a
// Queryable, within limits: a timeout, a cap on samples held at once, and a cap on queries
// running at once (the rest wait, within their timeout). Every consumer asks through it: the
// HTTP API, the rule manager, analytics, the dashboard.
//
// Thread-safety: thread-safe; queries run concurrently on the callers' threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/mutex.h"
#include "daemon/query/promql/ast.h"
#include "daemon/query/promql/query_error.h"
#include "daemon/query/promql/queryable.h"
#include "daemon/query/promql/value.h"

namespace metricsd::query::promql {

struct EngineOptions {
  std::int64_t lookback_delta_ms = 5 * 60 * 1000;
  std::chrono::milliseconds timeout{2 * 60 * 1000};
  std::int64_t max_samples = 50'000'000;  // samples held in memory at once by one query
  int max_concurrency = 20;
  // A subquery's step when it gives none (Prometheus: the global evaluation_interval).
  std::int64_t default_subquery_step_ms = 60 * 1000;
};

struct QueryStats {
  std::int64_t samples_read = 0;  // samples loaded from the Queryable
  std::int64_t peak_samples = 0;  // the most held at once (what max_samples limits)
  double seconds = 0;             // wall time, parse to result
};

struct QueryResult {
  Value value;  // Vector for an instant query of a vector, Matrix for any range query
  ErrorType error_type = ErrorType::kNone;
  std::string error;  // Prometheus's message ("1:5: parse error: ...", "query timed out ...")
  std::vector<std::string> warnings;
  QueryStats stats;
  bool ok() const { return error_type == ErrorType::kNone; }
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});

  // The query at `t` (ms).
  QueryResult Instant(Queryable& queryable, std::string_view query, Timestamp t);
  // The query at every step from `start` to `end` (ms, inclusive); a Matrix (or an error).
  QueryResult Range(Queryable& queryable, std::string_view query, Timestamp start,
                    Timestamp end, std::int64_t step_ms);
  // An already parsed expression at `t` (rules parse once at load).
  QueryResult InstantExpr(Queryable& queryable, const Expr& expr, Timestamp t);
  // An already parsed expression at every step from `start` to `end`.
  QueryResult RangeExpr(Queryable& queryable, const Expr& expr, Timestamp start, Timestamp end,
                        std::int64_t step_ms);

  const EngineOptions& options() const { return options_; }

 private:
  class Slot;  // a place among max_concurrency, released on destruction
  // Evaluates `expr` (instant when `range` is false) after waiting for a slot; fills `result`.
  void Run(Queryable& queryable, const Expr& expr, Timestamp start, Timestamp end,
           std::int64_t step_ms, bool range, std::chrono::steady_clock::time_point began,
           QueryResult& result);
  EngineOptions options_;
  Mutex mutex_;
  std::condition_variable_any slot_freed_;
  int running_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace metricsd::query::promql
