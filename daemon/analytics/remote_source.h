// Where analytics read their data from: the daemon's own history (no url), or a remote
// Prometheus-compatible query API (Prometheus, Thanos, Mimir, VictoriaMetrics), so a fleet runs
// the same analytics on its central store. See remote_query_engine.h for how it is asked.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"
#include "daemon/core/http_client_config.h"

namespace metricsd::analytics {

// Prometheus refuses a range query of more than 11,000 points per series
// (web/api/v1/api.go: "exceeded maximum resolution of 11,000 points per timeseries").
inline constexpr std::int64_t kPrometheusMaxSteps = 11000;

// Thread-safety: a value; immutable once loaded.
struct RemoteSource {
  // Base URL of the API, the part before /api/v1 ("http://prometheus:9090",
  // "https://mimir/prometheus"); empty: the local history. Never with userinfo (basic_auth).
  std::string url;
  HttpAuth auth;   // basic_auth, or bearer_token (inline or a file read at each request)
  TlsOptions tls;  // https only
  Duration timeout = std::chrono::minutes(2);  // per HTTP request
  // Extra request headers (a tenant's X-Scope-OrgID for Mimir, THANOS-TENANT, ...); values are
  // masked in the effective config.
  std::map<std::string, std::string> headers;
  // Steps per range request: longer ranges are split into requests of at most this many steps
  // and the results concatenated.
  std::int64_t max_steps = kPrometheusMaxSteps;
  std::int64_t body_limit = std::int64_t{256} << 20;  // bytes of one response

  bool remote() const { return !url.empty(); }

  // HttpAuth has no operator==; compared field by field.
  bool operator==(const RemoteSource& other) const;
};

const config::Section<RemoteSource>& RemoteSourceSection();

}  // namespace metricsd::analytics
