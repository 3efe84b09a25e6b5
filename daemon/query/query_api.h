// Prometheus 2.42's query API over the daemon's one engine (web/api/v1/api.go), with its
// parameters, validation messages, status codes and JSON, so Grafana's Prometheus data source
// and Prometheus's tools work unchanged:
//   GET|POST /api/v1/query?query=&time=&timeout=                  instant query
//   GET|POST /api/v1/query_range?query=&start=&end=&step=&timeout= range query
//   GET|POST /api/v1/format_query?query=                          the expression prettified
//   GET|POST /api/v1/query_exemplars?query=&start=&end=           always no exemplars
//   GET      /api/v1/metadata?metric=&limit=                      families' type and help
//   GET      /api/v1/status/buildinfo                             version and revision
// Parameters come from the query string and a form-encoded POST body (the body first, as Go's
// r.FormValue reads them).
//
// Thread-safety: the routes' handlers are thread-safe; the getters are called from the
// server's worker threads concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "daemon/core/route.h"
#include "daemon/core/source_set.h"
#include "daemon/query/promql/value.h"
#include "daemon/query/query_service.h"

namespace metricsd::query {

// What /api/v1/status/buildinfo answers (Prometheus's PrometheusVersion fields).
struct BuildInfo {
  std::string version;
  std::string revision;
  std::string branch;
  std::string build_user;
  std::string build_date;
  std::string go_version;  // the field Prometheus names so; the daemon puts its compiler there
};

struct QueryApiOptions {
  std::shared_ptr<QueryService> service;
  BuildInfo build_info;
  // The Sources /metrics serves now (metadata); null while there are none.
  std::function<SourceSetPtr()> sources;
  // The default `time` of an instant query (ms); the wall clock unless a test sets it.
  std::function<promql::Timestamp()> now;
};

Routes QueryApiRoutes(QueryApiOptions options);

// The handlers, for tests.
HttpResponse HandleQuery(const HttpRequest& request, const QueryApiOptions& options);
HttpResponse HandleQueryRange(const HttpRequest& request, const QueryApiOptions& options);
HttpResponse HandleFormatQuery(const HttpRequest& request);
HttpResponse HandleQueryExemplars(const HttpRequest& request);
HttpResponse HandleBuildInfo(const HttpRequest& request, const BuildInfo& build_info);

}  // namespace metricsd::query
