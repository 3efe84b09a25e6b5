#include "daemon/http/router.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <stdexcept>

#include "daemon/core/logging.h"

namespace metricsd {
namespace {

bool PathMatches(const Route& route, std::string_view path) {
  if (route.prefix) return path.starts_with(route.path);
  return route.path == path;
}

HttpResponse& ResponseOf(HttpResponse& response) { return response; }
HttpResponse& ResponseOf(StreamedResponse& response) { return response.head; }

}  // namespace

void Router::Add(Routes routes) {
  for (Route& route : routes) Add(std::move(route));
}

void Router::Add(Route route) {
  // Programmer errors in a component's route list: refuse them at start-up, not per request.
  if (route.prefix && !route.path.ends_with('/')) {
    throw std::invalid_argument("prefix route " + route.path + " must end in '/'");
  }
  if (route.stream && (!route.heavy || route.handler)) {
    throw std::invalid_argument("streaming route " + route.path +
                                " must be heavy and have no plain handler");
  }
  routes_.push_back(std::move(route));
}

void Router::Add(http::verb method, std::string path, Handler handler, Options options) {
  Add(Route{.path = std::move(path),
            .methods = {method},
            .handler = std::move(handler),
            .heavy = options.heavy});
}

const Route* Router::FindRoute(http::verb method, std::string_view path,
                                       std::string_view* handler, std::string* allow) const {
  for (const Route& route : routes_) {
    if (!PathMatches(route, path)) continue;
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
    match.stream = static_cast<bool>(route->stream);
    match.max_body_bytes = route->max_body_bytes;
  }
  return match;
}

std::uint64_t Router::LargestBodyLimit(std::uint64_t server_default) const {
  std::uint64_t largest = server_default;
  for (const Route& route : routes_) largest = std::max(largest, route.max_body_bytes);
  return largest;
}

void Router::Observe(std::string_view handler, unsigned status, double seconds) const {
  if (observer_) observer_(handler, status, seconds);
}

std::string_view TargetPath(std::string_view target) {
  return target.substr(0, target.find('?'));
}

template <typename Result, typename Call>
Result Router::Dispatch(const HttpRequest& request, Call call) const {
  auto start = std::chrono::steady_clock::now();
  std::string_view path = TargetPath(request.target());
  std::string_view handler_name = "other";
  std::string allow;
  const Route* match = FindRoute(request.method(), path, &handler_name, &allow);

  Result result;
  HttpResponse& response = ResponseOf(result);
  if (match != nullptr) {
    try {
      result = call(*match);
    } catch (const std::exception& e) {
      LogError("HTTP handler failed", {{"path", std::string(path)}, {"err", e.what()}});
      result = Result{};
      ResponseOf(result) = MakeResponse(request, http::status::internal_server_error,
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
    observer_(handler_name, ResponseOf(result).result_int(), elapsed.count());
  }
  return result;
}

HttpResponse Router::Handle(const HttpRequest& request) const {
  return Dispatch<HttpResponse>(request, [&request](const Route& route) -> HttpResponse {
    if (!route.handler) {
      // A streaming route asked for a whole response (a test, or a caller that cannot stream):
      // gather the chunks.
      StreamedResponse streamed = route.stream(request);
      if (streamed.next) {
        std::string chunk;
        bool more = true;
        while (more) {
          more = streamed.next(chunk);
          streamed.head.body() += chunk;
        }
        streamed.head.chunked(false);
        streamed.head.prepare_payload();
      }
      return std::move(streamed.head);
    }
    return route.handler(request);
  });
}

StreamedResponse Router::HandleStream(const HttpRequest& request) const {
  return Dispatch<StreamedResponse>(request, [&request](const Route& route) {
    if (route.stream) return route.stream(request);
    return StreamedResponse{.head = route.handler(request)};
  });
}

}  // namespace metricsd
