// A route of the daemon's HTTP API as the component that serves it declares it: path,
// methods, handler, how the server must run it, and one line of documentation. Components
// return their routes; the daemon only wires the lists into the router, and the index page and
// the README's endpoint table are rendered from the same list.
//
// Thread-safety: a Route is a value; its handler is called concurrently from the server's
// threads, so every handler must be thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/beast.h"

namespace metricsd {

struct Route {
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Every member has a default, so a designated initializer may leave any out.
  std::string path{};                 // exact match on the target's path ("/metrics")
  std::vector<http::verb> methods{};  // GET also answers HEAD
  Handler handler{};
  // Needs the web-config file's basic auth when that file configures users.
  bool auth = true;
  // Renders, compresses, reloads or ingests: runs on the server's worker pool, not on the io
  // threads, and counts against web.max_requests.
  bool heavy = false;
  std::string doc{};  // one line, Markdown (the README table and the index page show it)
};

using Routes = std::vector<Route>;

// Appends `more` to `routes` (wiring several components' lists into one).
void AppendRoutes(Routes& routes, Routes more);

// "GET, HEAD" / "POST, OPTIONS": the methods a route answers, as the README lists them.
std::string MethodsText(const Route& route);

// The routes as a Markdown table (path, methods, doc), one row per route in list order.
std::string RoutesMarkdownTable(const Routes& routes);

// A response with the request's version and keep-alive, `status`, a body and its type.
HttpResponse MakeResponse(const HttpRequest& request, http::status status, std::string body,
                          std::string_view content_type = "text/plain; charset=utf-8");

}  // namespace metricsd
