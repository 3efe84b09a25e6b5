#include "daemon/query/query_config.h"

namespace metricsd::query {

const config::Section<QueryConfig>& QuerySection() {
  static const auto* section = [] {
    auto* query = new config::Section<QueryConfig>(
        "The PromQL engine behind /api/v1/query, /api/v1/query_range and the rules: its "
        "limits, as Prometheus's --query.* flags.");
    query
        ->Dur("lookback_delta", &QueryConfig::lookback_delta,
              "how far back an instant selector looks for a series' latest sample "
              "(--query.lookback-delta)",
              config::DurationBounds{std::chrono::seconds(1), std::chrono::hours(24 * 7)})
        .Dur("timeout", &QueryConfig::timeout,
             "longest a query may run; past it the query fails with 503 \"query timed out\" "
             "(--query.timeout)",
             config::DurationBounds{std::chrono::milliseconds(10), std::chrono::hours(24)})
        .Int("max_samples", &QueryConfig::max_samples, 1, std::int64_t{1} << 40,
             "samples one query may hold in memory at once; past it the query fails with 422 "
             "(--query.max-samples)")
        .Int("max_concurrency", &QueryConfig::max_concurrency, 1, 10000,
             "queries evaluated at once; the rest wait, within their timeout "
             "(--query.max-concurrency)");
    return query;
  }();
  return *section;
}

promql::EngineOptions EngineOptionsFrom(const QueryConfig& config) {
  promql::EngineOptions options;
  options.lookback_delta_ms = config.lookback_delta.count();
  options.timeout = config.timeout;
  options.max_samples = config.max_samples;
  options.max_concurrency = config.max_concurrency;
  return options;
}

}  // namespace metricsd::query
