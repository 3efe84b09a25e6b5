// The daemon's side of StatsD: starting the service, applying reloads, and HTTP ingestion for
// browsers (POST /api/v1/statsd with CORS).
#include <algorithm>

#include "daemon/app.h"
#include "daemon/core/logging.h"

namespace metricsd {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// The Access-Control-Allow-Origin value for `origin`, or empty when it is not allowed.
std::string AllowedOrigin(const statsd::StatsdConfig& config, std::string_view origin) {
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

}  // namespace

bool App::StartStatsd(const Config& config) {
  if (!config.statsd.enabled) return true;
  try {
    statsd_ = std::make_unique<statsd::StatsdService>(*ioc_, config.statsd, config.host.paths.procfs);
  } catch (const std::exception& e) {
    LogError("cannot listen for StatsD", {{"err", e.what()}});
    return false;
  }
  LogInfo("statsd listening", {{"listeners", Join(statsd_->BoundListeners())},
                               {"receivers", std::to_string(config.statsd.EffectiveReceivers())}});
  return true;
}

void App::ReconfigureStatsd(const Config& config) {
  if (!statsd_) {
    if (config.statsd.enabled) LogWarn("statsd was enabled; it takes effect on restart");
    return;
  }
  if (!config.statsd.enabled) {
    LogWarn("statsd was disabled; it keeps running until restart");
    return;
  }
  if (!statsd_->Configure(config.statsd)) {
    LogWarn("statsd listeners or receivers changed; they take effect on restart",
            {{"running", Join(statsd_->BoundListeners())}});
  }
}

HttpResponse App::ServeStatsd(const HttpRequest& request) {
  std::shared_ptr<const Config> config = config_.Load();
  std::string_view origin = request[http::field::origin];
  std::string allowed = origin.empty() ? std::string() : AllowedOrigin(config->statsd, origin);
  // A browser's simple POST arrives without a preflight: refuse origins not allowed, or any
  // page on the web could write into our metrics.
  if (!origin.empty() && allowed.empty()) {
    return MakeResponse(request, http::status::forbidden,
                        "origin not allowed (statsd.http.allowed_origins)\n");
  }
  if (!statsd_) {
    return MakeResponse(request, http::status::service_unavailable, "statsd is disabled\n");
  }
  // The server reads bodies up to the largest limit of any route; this is the route's own.
  if (request.body().size() > config->statsd.http_max_body) {
    return MakeResponse(request, http::status::payload_too_large,
                        "body larger than statsd.http.max_body_bytes\n");
  }
  statsd::Ingester::Counts counts = statsd_->IngestHttp(request.body());
  nlohmann::json answer = {{"accepted", counts.accepted}, {"rejected", counts.rejected}};
  http::status status = counts.accepted == 0 && counts.rejected > 0 ? http::status::bad_request
                                                                     : http::status::ok;
  HttpResponse response = MakeResponse(request, status, answer.dump() + "\n", "application/json");
  if (!allowed.empty()) SetCors(response, allowed);
  return response;
}

HttpResponse App::ServeStatsdPreflight(const HttpRequest& request) const {
  std::shared_ptr<const Config> config = config_.Load();
  std::string allowed = AllowedOrigin(config->statsd, request[http::field::origin]);
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

}  // namespace metricsd
