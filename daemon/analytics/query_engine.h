// What analytics ask their questions through: PromQL, instant or range, against either the
// daemon's own engine over its history or a remote Prometheus-compatible API (Prometheus,
// Thanos, Mimir, VictoriaMetrics), so a fleet runs the same analytics on its central store.
// Results use the engine's own types (daemon/query/promql/engine.h): a Matrix for a range
// query, a Vector or Scalar for an instant one, or an error with Prometheus's errorType.
//
// Thread-safety: implementations are thread-safe; queries may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/query/promql/engine.h"
#include "daemon/query/promql/queryable.h"
#include "daemon/query/query_service.h"

namespace metricsd::analytics {

namespace promql = query::promql;
using promql::Timestamp;  // milliseconds since the Unix epoch

class QueryEngine {
 public:
  virtual ~QueryEngine() = default;
  virtual promql::QueryResult Instant(std::string_view query, Timestamp t) = 0;
  // Every step from `start` to `end` inclusive (ms); a Matrix on success.
  virtual promql::QueryResult Range(std::string_view query, Timestamp start, Timestamp end,
                                    std::int64_t step_ms) = 0;
  // What reports and logs name as the data's origin: "local" or the remote URL (never its
  // credentials).
  virtual std::string Describe() const = 0;
};

// The daemon's own engine over its history.
std::unique_ptr<QueryEngine> MakeLocalQueryEngine(std::shared_ptr<query::QueryService> service);

// An engine over any Queryable: unit tests (MemoryQueryable) and `metricsd report` over the
// store of a stopped daemon.
std::unique_ptr<QueryEngine> MakeQueryableEngine(std::shared_ptr<promql::Queryable> queryable,
                                                 promql::EngineOptions options = {},
                                                 std::string description = "local");

}  // namespace metricsd::analytics
