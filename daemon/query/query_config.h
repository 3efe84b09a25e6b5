// The `query` section: the PromQL engine's limits (Prometheus's --query.* flags), read by the
// daemon's one QueryService (query_service.h) and applied again on every reload.
#pragma once

#include <cstdint>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"
#include "daemon/query/promql/engine.h"

namespace metricsd::query {

// Thread-safety: a value; immutable once loaded.
struct QueryConfig {
  Duration lookback_delta = std::chrono::minutes(5);
  Duration timeout = std::chrono::minutes(2);
  std::int64_t max_samples = 50'000'000;
  int max_concurrency = 20;
};

const config::Section<QueryConfig>& QuerySection();

// The engine's options for `config` (the rest keep the engine's defaults).
promql::EngineOptions EngineOptionsFrom(const QueryConfig& config);

}  // namespace metricsd::query
