// HTTP ingestion for browsers: POST /api/v1/statsd with CORS, and its preflight.
#include "collectors/statsd/statsd_routes.h"

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace metricsd::statsd {
namespace {

// The Access-Control-Allow-Origin value for `origin`, or empty when it is not allowed.
std::string AllowedOrigin(const StatsdConfig& config, std::string_view origin) {
  for (const std::string& allowed : config.http_allowed_origins) {
    if (allowed == "*") return "*";
    if (allowed == origin) return std::string(origin);
  }
  return {};
}

void SetCors(HttpResponse& response, const std::string& allowed) {
  response.set(http::field::access_control_allow_origin, allowed);
  if (allowed != "*") response.set(http::field::vary, "Origin");
}

HttpResponse ServeStatsd(const StatsdConfig& config, StatsdService* service,
                         const HttpRequest& request) {
  std::string_view origin = request[http::field::origin];
  std::string allowed = origin.empty() ? std::string() : AllowedOrigin(config, origin);
  // A browser's simple POST arrives without a preflight: refuse origins not allowed, or any
  // page on the web could write into our metrics.
  if (!origin.empty() && allowed.empty()) {
    return MakeResponse(request, http::status::forbidden,
                        "origin not allowed (statsd.http.allowed_origins)\n");
  }
  if (service == nullptr) {
    return MakeResponse(request, http::status::service_unavailable, "statsd is disabled\n");
  }
  // The server reads bodies up to the largest limit of any route; this is the route's own.
  if (request.body().size() > config.http_max_body) {
    return MakeResponse(request, http::status::payload_too_large,
                        "body larger than statsd.http.max_body_bytes\n");
  }
  Ingester::Counts counts = service->IngestHttp(request.body());
  nlohmann::json answer = {{"accepted", counts.accepted}, {"rejected", counts.rejected}};
  http::status status = counts.accepted == 0 && counts.rejected > 0 ? http::status::bad_request
                                                                     : http::status::ok;
  HttpResponse response = MakeResponse(request, status, answer.dump() + "\n", "application/json");
  if (!allowed.empty()) SetCors(response, allowed);
  return response;
}

HttpResponse ServePreflight(const StatsdConfig& config, const HttpRequest& request) {
  std::string allowed = AllowedOrigin(config, request[http::field::origin]);
  if (allowed.empty()) {
    return MakeResponse(request, http::status::forbidden,
                        "origin not allowed (statsd.http.allowed_origins)\n");
  }
  HttpResponse response = MakeResponse(request, http::status::no_content, "");
  SetCors(response, allowed);
  response.set(http::field::access_control_allow_methods, "POST");
  response.set(http::field::access_control_allow_headers, "Content-Type");
  response.set(http::field::access_control_max_age, "600");
  return response;
}

}  // namespace

Routes StatsdRoutes(StatsdConfigFn config, StatsdService* service) {
  Routes routes;
  routes.push_back(Route{
      .path = "/api/v1/statsd",
      .methods = {http::verb::post},
      .handler = [config, service](const HttpRequest& request) {
        return ServeStatsd(*config(), service, request);
      },
      // Ingestion parses and maps every line: the worker pool's job.
      .heavy = true,
      .doc = "StatsD lines in the body (for browsers); answers `{\"accepted\":N,\"rejected\":M}` "
             "(400 when nothing was accepted), 413 beyond `statsd.http.max_body_bytes`, 403 for "
             "an `Origin` not in `statsd.http.allowed_origins`",
  });
  routes.push_back(Route{
      .path = "/api/v1/statsd",
      .methods = {http::verb::options},
      .handler = [config](const HttpRequest& request) {
        return ServePreflight(*config(), request);
      },
      .doc = "the CORS preflight of the POST: 204 with `Access-Control-Allow-*` for an allowed "
             "`Origin`, 403 otherwise",
  });
  return routes;
}

}  // namespace metricsd::statsd
