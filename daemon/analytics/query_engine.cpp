#include "daemon/analytics/query_engine.h"

#include <utility>

namespace metricsd::analytics {
namespace {

class LocalQueryEngine final : public QueryEngine {
 public:
  explicit LocalQueryEngine(std::shared_ptr<query::QueryService> service)
      : service_(std::move(service)) {}
  promql::QueryResult Instant(std::string_view query, Timestamp t) override {
    return service_->Instant(query, t);
  }
  promql::QueryResult Range(std::string_view query, Timestamp start, Timestamp end,
                            std::int64_t step_ms) override {
    return service_->Range(query, start, end, step_ms);
  }
  std::string Describe() const override { return "local"; }

 private:
  std::shared_ptr<query::QueryService> service_;
};

class QueryableEngine final : public QueryEngine {
 public:
  QueryableEngine(std::shared_ptr<promql::Queryable> queryable, promql::EngineOptions options,
                  std::string description)
      : queryable_(std::move(queryable)), engine_(options), description_(std::move(description)) {}
  promql::QueryResult Instant(std::string_view query, Timestamp t) override {
    return engine_.Instant(*queryable_, query, t);
  }
  promql::QueryResult Range(std::string_view query, Timestamp start, Timestamp end,
                            std::int64_t step_ms) override {
    return engine_.Range(*queryable_, query, start, end, step_ms);
  }
  std::string Describe() const override { return description_; }

 private:
  std::shared_ptr<promql::Queryable> queryable_;
  promql::Engine engine_;
  std::string description_;
};

}  // namespace

std::unique_ptr<QueryEngine> MakeLocalQueryEngine(std::shared_ptr<query::QueryService> service) {
  return std::make_unique<LocalQueryEngine>(std::move(service));
}

std::unique_ptr<QueryEngine> MakeQueryableEngine(std::shared_ptr<promql::Queryable> queryable,
                                                 promql::EngineOptions options,
                                                 std::string description) {
  return std::make_unique<QueryableEngine>(std::move(queryable), options, std::move(description));
}

}  // namespace metricsd::analytics
