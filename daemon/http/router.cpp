#include "daemon/http/router.h"

#include <chrono>
#include <exception>

#include "daemon/core/logging.h"

namespace metricsd {

void Router::Add(Routes routes) {
  for (Route& route : routes) Add(std::move(route));
}

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

void Router::Add(http::verb method, std::string path, Handler handler, Options options) {
  Add(Route{.path = std::move(path),
            .methods = {method},
            .handler = std::move(handler),
            .heavy = options.heavy});
}

const Route* Router::FindRoute(http::verb method, std::string_view path,
                                       std::string_view* handler, std::string* allow) const {
  for (const Route& route : routes_) {
    if (route.path != path) continue;
    *handler = route.path;
    for (http::verb allowed : route.methods) {
      if (allowed == method || (allowed == http::verb::get && method == http::verb::head)) {
        return &route;
      }
    }
    for (http::verb allowed : route.methods) {
      if (!allow->empty()) *allow += ", ";
      *allow += std::string(http::to_string(allowed));
    }
  }
  return nullptr;
}

Router::Match Router::Find(http::verb method, std::string_view target) const {
  Match match;
  std::string allow;
  const Route* route = FindRoute(method, TargetPath(target), &match.handler, &allow);
  if (route != nullptr) {
    match.found = true;
    match.heavy = route->heavy;
    match.auth = route->auth;
  }
  return match;
}

void Router::Observe(std::string_view handler, unsigned status, double seconds) const {
  if (observer_) observer_(handler, status, seconds);
}

std::string_view TargetPath(std::string_view target) {
  return target.substr(0, target.find('?'));
}

HttpResponse Router::Handle(const HttpRequest& request) const {
  auto start = std::chrono::steady_clock::now();
  std::string_view path = TargetPath(request.target());
  std::string_view handler_name = "other";
  std::string allow;
  const Route* match = FindRoute(request.method(), path, &handler_name, &allow);

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
