// A QueryEngine over a remote Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir,
// VictoriaMetrics): POST {url}/api/v1/query and /api/v1/query_range, form-encoded, the answer
// read back into the engine's types (remote_response.h).
//
// - Synchronous over the asynchronous client (daemon/client/http_pool.h): each request goes
//   over a keep-alive connection of the engine's own pool (at most 4 kept idle) on `ioc`, which
//   other threads run (the daemon's, or one the CLI starts), and the caller waits for it with
//   the source's timeout plus a margin. Destroy the engine before `ioc`. NEVER call it from a thread
//   running `ioc`: the caller would wait for work only it could run. Such a call is detected
//   and answered with an error instead of a deadlock.
// - A range query of more than `max_steps` steps (default 11,000, Prometheus's limit per
//   series) is split into requests of at most that many steps, asked one after another and
//   concatenated; a query using `@ start()` / `@ end()` then sees each piece's own bounds.
//   A piece whose answer is over body_limit is split in two and asked again (down to one
//   step), so a wide query still gets through. At most kMaxRangePieces requests per query.
// - Failures are results, never exceptions: the API's JSON errors keep their errorType;
//   transport failures (refused, timeout, TLS, HTTP 5xx, a body over body_limit, garbage) are
//   kUnavailable or kInternal. No message ever holds a credential: not the Authorization
//   header, the password, the token, a header value, nor userinfo or a query string of a URL;
//   anything the server echoes back is scrubbed of them too.
//
// Thread-safety: thread-safe; concurrent queries run as concurrent requests.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "daemon/analytics/query_engine.h"
#include "daemon/analytics/remote_source.h"
#include "daemon/core/asio.h"
#include "daemon/core/mutex.h"

namespace metricsd::analytics {

// Requests one range query may be split into (11 million points per series at 11,000 steps).
inline constexpr std::int64_t kMaxRangePieces = 1000;

class RemoteQueryEngine final : public QueryEngine {
 public:
  // `source.url` must be set. Bad settings (an invalid URL, an unreadable CA file) do not
  // throw: every query then answers the error.
  RemoteQueryEngine(net::io_context& ioc, RemoteSource source);
  ~RemoteQueryEngine() override;

  promql::QueryResult Instant(std::string_view query, Timestamp t) override;
  promql::QueryResult Range(std::string_view query, Timestamp start, Timestamp end,
                            std::int64_t step_ms) override;
  // The URL without userinfo or query string ("http://prometheus:9090").
  std::string Describe() const override;

 private:
  struct State;  // the parsed URL, TLS context, secrets to scrub; immutable after construction
  // One POST of `form` to `path` (below the base URL), waited for. `too_large`, when given,
  // tells whether it failed for an answer over body_limit.
  promql::QueryResult Ask(std::string_view path, std::string form, bool* too_large = nullptr) const;

  net::io_context& ioc_;
  std::shared_ptr<const State> state_;
};

// The same, as the interface; `source.url` must be set. Bad settings (an invalid URL, an unreadable
// CA file) do not throw: every query then answers the error.
std::unique_ptr<QueryEngine> MakeRemoteQueryEngine(net::io_context& ioc,
                                                   const RemoteSource& source);

// One remote engine kept across analyses while analytics.source stays the same, so that its
// connections (a TCP and often a TLS handshake each) serve every analysis, not only one: the
// daemon makes an engine per analysis (AnalyticsService::Engine). A changed source (a reload)
// replaces the kept engine; analyses still running keep the one they started with.
//
// Thread-safety: thread-safe. Destroy it (and every engine it gave) before `ioc`.
class RemoteEngineCache {
 public:
  explicit RemoteEngineCache(net::io_context& ioc) : ioc_(ioc) {}
  // An engine for `source` (`source.url` set) over the kept engine's connections.
  std::unique_ptr<QueryEngine> Engine(const RemoteSource& source);

 private:
  net::io_context& ioc_;
  Mutex mutex_;
  RemoteSource source_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<QueryEngine> engine_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace metricsd::analytics
