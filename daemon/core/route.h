// A route of the daemon's HTTP API as the component that serves it declares it: path,
// methods, handler, how the server must run it, and one line of documentation. Components
// return their routes; the daemon only wires the lists into the router, and the index page and
// the README's endpoint table are rendered from the same list.
//
// Thread-safety: a Route is a value; its handler is called concurrently from the server's
// threads, so every handler must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/beast.h"

namespace metricsd {

// A response whose body is produced piece by piece: the server sends `head` (status and
// headers) with chunked transfer encoding, then calls `next` on its worker pool for each chunk
// and writes it before asking for the next one (backpressure: a slow reader holds back the
// producer, and at most one chunk is in memory). Without `next`, `head` is a whole ordinary
// response (an error found before streaming began).
struct StreamedResponse {
  HttpResponse head;
  // Clears `chunk`, fills it with the next piece; false when there is nothing more (`chunk`
  // may still hold a last piece). May throw: the connection is then closed mid-body, so the
  // client sees a truncated transfer rather than a complete-looking one.
  std::function<bool(std::string& chunk)> next{};
};

// Request bodies larger than this are refused with 413 unless a route sets its own limit.
inline constexpr std::uint64_t kDefaultMaxBodyBytes = 64 * 1024;

struct Route {
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  using StreamHandler = std::function<StreamedResponse(const HttpRequest&)>;

  // Every member has a default, so a designated initializer may leave any out.
  // Exact match on the target's path ("/metrics"); with `prefix`, a path ending in '/' that
  // every target path starting with it matches ("/api/v1/label/" for /api/v1/label/<name>/values).
  std::string path{};
  bool prefix = false;
  std::vector<http::verb> methods{};  // GET also answers HEAD
  Handler handler{};
  // Instead of `handler`, for bodies too large to build in memory (needs `heavy`).
  StreamHandler stream{};
  // Needs the web-config file's basic auth when that file configures users.
  bool auth = true;
  // Renders, compresses, reloads or ingests: runs on the server's worker pool, not on the io
  // threads, and counts against web.max_requests.
  bool heavy = false;
  // Largest request body accepted (413 beyond); 0 is the server's web limit (64 KiB).
  std::uint64_t max_body_bytes = 0;
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
