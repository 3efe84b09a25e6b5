#include "daemon/http/router.h"

#include <chrono>
#include <exception>

#include "daemon/core/logging.h"

namespace metricsd {

void Router::Add(http::verb method, std::string path, Handler handler) {
  routes_.push_back({method, std::move(path), std::move(handler)});
}

std::string_view TargetPath(std::string_view target) {
  return target.substr(0, target.find('?'));
}

HttpResponse MakeResponse(const HttpRequest& request, http::status status, std::string body,
                          std::string_view content_type) {
  HttpResponse response{status, request.version()};
  response.set(http::field::server, "metricsd");
  response.set(http::field::content_type, content_type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse Router::Handle(const HttpRequest& request) const {
  auto start = std::chrono::steady_clock::now();
  std::string_view path = TargetPath(request.target());
  std::string_view handler_name = "other";
  std::string allow;
  const Route* match = nullptr;
  for (const Route& route : routes_) {
    if (route.path != path) continue;
    handler_name = route.path;
    if (route.method == request.method() ||
        (route.method == http::verb::get && request.method() == http::verb::head)) {
      match = &route;
      break;
    }
    if (!allow.empty()) allow += ", ";
    allow += std::string(http::to_string(route.method));
  }

  HttpResponse response;
  if (match != nullptr) {
    try {
      response = match->handler(request);
    } catch (const std::exception& e) {
      LogError("HTTP handler failed", {{"path", std::string(path)}, {"err", e.what()}});
      response = MakeResponse(request, http::status::internal_server_error,
                              "internal error\n");
    }
  } else if (!allow.empty()) {
    response = MakeResponse(request, http::status::method_not_allowed,
                            "method not allowed; use " + allow + "\n");
    response.set(http::field::allow, allow);
  } else {
    response = MakeResponse(request, http::status::not_found, "not found\n");
  }
  if (observer_) {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    observer_(handler_name, response.result_int(), elapsed.count());
  }
  return response;
}

}  // namespace metricsd
