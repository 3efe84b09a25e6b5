// Maps (method, path) to handlers, answers 404 and 405 (with Allow) itself, and reports every
// request to an observer so the daemon can count it per handler and status code. A prefix
// route ("/api/v1/label/") matches every path under it and is reported under its pattern, never
// the raw path, so the handler label's cardinality stays that of the route list.
//
// Thread-safety: routes are added before the server starts; from then on Find(), Observe() and
// Handle() may be called from any thread (handlers must be thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/beast.h"
#include "daemon/core/route.h"

namespace metricsd {

// How the server runs a route's handler.
struct RouteOptions {
  // Heavy routes (rendering, compression, reloads, ingestion) run on the server's worker
  // pool, not on the io threads, and count against web.max_requests.
  bool heavy = false;
};

class Router {
 public:
  using Handler = Route::Handler;
  // handler is the route's path ("/metrics"), or "other" for 404s; duration in seconds.
  using Observer = std::function<void(std::string_view handler, unsigned status, double seconds)>;

  using Options = RouteOptions;

  // What Handle() would do with a request, known from its method and target alone.
  struct Match {
    std::string_view handler = "other";  // as reported to the observer
    bool found = false;                  // false: Handle() answers 404 or 405
    bool heavy = false;
    bool auth = true;  // unknown paths need auth too: a 404 tells nothing to a stranger
    bool stream = false;  // answered by HandleStream()
    std::uint64_t max_body_bytes = 0;  // the route's limit; 0: the server's
  };

  // Serves `routes` (components' lists, wired by the daemon), in order. Throws
  // std::invalid_argument for a prefix route whose path does not end in '/', or a streaming
  // route that is not heavy or also has a plain handler.
  void Add(Routes routes);
  void Add(Route route);
  // One method of a route, as tests write it.
  void Add(http::verb method, std::string path, Handler handler, Options options = {});
  void SetObserver(Observer observer) { observer_ = std::move(observer); }

  // Lets the server decide, from the header alone, whether to read a body and where to run
  // the handler.
  Match Find(http::verb method, std::string_view target) const;

  // Reports a response the server made for a route without running it (503 over the cap).
  void Observe(std::string_view handler, unsigned status, double seconds) const;

  // Never throws: a handler that throws becomes a 500.
  HttpResponse Handle(const HttpRequest& request) const;
  // The same for every route: a streaming route's handler runs (and is observed when it
  // returns its head); any other route's response comes back whole, without `next`.
  StreamedResponse HandleStream(const HttpRequest& request) const;

  // The largest body any route accepts (at least `server_default`): the server reads headers
  // with it, then applies the matched route's own limit.
  std::uint64_t LargestBodyLimit(std::uint64_t server_default) const;

 private:
  const Route* FindRoute(http::verb method, std::string_view path, std::string_view* handler,
                         std::string* allow) const;
  // Runs `call` (a handler) and reports its status; 404/405 when nothing matched.
  template <typename Result, typename Call>
  Result Dispatch(const HttpRequest& request, Call call) const;

  std::vector<Route> routes_;
  Observer observer_;
};

// The path part of a request target ("/metrics?x=1" -> "/metrics").
std::string_view TargetPath(std::string_view target);

}  // namespace metricsd
