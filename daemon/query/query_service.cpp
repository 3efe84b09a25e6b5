#include "daemon/query/query_service.h"

#include <utility>

namespace metricsd::query {

QueryService::QueryService(QueryableGetter queryable, promql::EngineOptions options)
    : queryable_(std::move(queryable)), engine_(std::make_shared<promql::Engine>(options)) {}

void QueryService::SetOptions(const promql::EngineOptions& options) {
  auto engine = std::make_shared<promql::Engine>(options);
  MutexLock lock(mutex_);
  engine_ = std::move(engine);
}

promql::EngineOptions QueryService::options() const { return engine()->options(); }

std::shared_ptr<promql::Engine> QueryService::engine() const {
  MutexLock lock(mutex_);
  return engine_;
}

promql::QueryResult QueryService::Unavailable() {
  promql::QueryResult result;
  result.error_type = promql::ErrorType::kUnavailable;
  result.error = "history is not available (disabled, still opening, or failed to open)";
  return result;
}

promql::QueryResult QueryService::Instant(std::string_view query, promql::Timestamp t) {
  std::shared_ptr<promql::Queryable> queryable = queryable_();
  if (queryable == nullptr) return Unavailable();
  return engine()->Instant(*queryable, query, t);
}

promql::QueryResult QueryService::Range(std::string_view query, promql::Timestamp start,
                                        promql::Timestamp end, std::int64_t step_ms) {
  std::shared_ptr<promql::Queryable> queryable = queryable_();
  if (queryable == nullptr) return Unavailable();
  return engine()->Range(*queryable, query, start, end, step_ms);
}

promql::QueryResult QueryService::InstantExpr(const promql::Expr& expr, promql::Timestamp t) {
  std::shared_ptr<promql::Queryable> queryable = queryable_();
  if (queryable == nullptr) return Unavailable();
  return engine()->InstantExpr(*queryable, expr, t);
}

}  // namespace metricsd::query
