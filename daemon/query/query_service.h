// The daemon's one PromQL engine over its history: what the HTTP API, the rule manager and
// (later) analytics and the dashboard ask. It answers "unavailable" while history is disabled,
// still opening or failed, so callers need no special case. A config reload swaps the engine's
// options; queries already running finish under the old ones.
//
// Thread-safety: thread-safe; queries run concurrently on the callers' threads.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "daemon/core/mutex.h"
#include "daemon/query/promql/engine.h"
#include "daemon/query/promql/queryable.h"

namespace metricsd::query {

class QueryService {
 public:
  // Returns the history as a Queryable, or null while it cannot answer.
  using QueryableGetter = std::function<std::shared_ptr<promql::Queryable>()>;

  QueryService(QueryableGetter queryable, promql::EngineOptions options);

  void SetOptions(const promql::EngineOptions& options);
  promql::EngineOptions options() const;

  promql::QueryResult Instant(std::string_view query, promql::Timestamp t);
  promql::QueryResult Range(std::string_view query, promql::Timestamp start, promql::Timestamp end,
                            std::int64_t step_ms);
  promql::QueryResult InstantExpr(const promql::Expr& expr, promql::Timestamp t);

 private:
  std::shared_ptr<promql::Engine> engine() const;
  static promql::QueryResult Unavailable();

  QueryableGetter queryable_;
  mutable Mutex mutex_;
  std::shared_ptr<promql::Engine> engine_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace metricsd::query
