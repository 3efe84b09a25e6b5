// The HTTP server: Beast on the daemon's io_context, shaped like Beast's advanced server.
//
// A listener accepts each connection onto its own strand (behind a TLS handshake when the
// web-config file asks for one); a session reads one request at a time with a fresh parser:
// the header first, checked (framing, auth, Expect) before any body is read, then the body.
// Cheap routes are answered on the strand; heavy ones (Router::Options::heavy) run on a small
// worker pool, at most max_requests at a time, so a large scrape never stalls /-/healthy.
// A streaming route (Route::stream) is written with chunked transfer encoding, one chunk
// produced on the worker pool at a time and written before the next is asked for. A route may
// accept a larger (or smaller) body than body_limit (Route::max_body_bytes).
// Every read and write has a deadline. At max_connections, the connection that has waited
// longest for its request (idle keep-alive or slow header) is closed to admit the new one, so
// idle or slowloris sockets cannot lock Prometheus out; a connection being answered is never
// closed for that. accept() errors (EMFILE) back off from 5 ms doubling to 1 s, as Go does.
//
// Thread-safety: Listen/Start/Stop/SetLimits/SetSecurity may be called from any thread;
// sessions run on strands.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "daemon/core/beast.h"
#include "daemon/core/duration.h"
#include "daemon/core/listen_address.h"
#include "daemon/http/router.h"
#include "daemon/http/web_security.h"

namespace metricsd {

struct HttpLimits {
  std::int64_t max_connections = 64;
  // Heavy requests handled or being written at once; beyond that, 503. 0: no limit.
  std::int64_t max_requests = 40;
  Duration read_timeout = std::chrono::seconds(10);
  Duration write_timeout = std::chrono::seconds(30);
  std::uint32_t header_limit = 16 * 1024;  // bytes of request line + headers
  std::uint64_t body_limit = 64 * 1024;    // bytes of request body (we take none that large)
};

// Counters the daemon exposes about its own server.
struct HttpServerStats {
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_rejected{0};  // over max_connections, none to evict
  std::atomic<std::uint64_t> connections_evicted{0};   // closed to admit a new one
  std::atomic<std::uint64_t> requests_throttled{0};    // 503 over max_requests
  std::atomic<std::uint64_t> accept_errors{0};         // accept() failed (EMFILE, ...)
  std::atomic<std::uint64_t> bad_requests{0};  // unparseable, too large, timed out, bad TLS
};

class HttpServer {
 public:
  HttpServer(net::io_context& ioc, const Router& router, HttpLimits limits);
  // Waits for handlers still running on the worker pool.
  ~HttpServer();

  // Binds and listens; returns the bound endpoint (the real port when 0 was asked).
  // Throws boost::system::system_error when the address cannot be bound.
  net::ip::tcp::endpoint Listen(const ListenAddress& address);
  void Start();

  // Stops accepting and closes idle connections; a request being answered is finished first.
  void Stop();

  // Waits until no handler runs on the worker pool (and lets none start). For the owner's
  // teardown, after the io_context has stopped and before what the handlers use goes away.
  void JoinWorkers();

  // New limits apply to connections accepted and requests read from now on (config reload).
  void SetLimits(HttpLimits limits);

  // TLS, auth and headers for connections accepted from now on (config reload). Until
  // called: plain HTTP, no auth.
  void SetSecurity(WebSecurityPtr security);

  // Shares ownership of the counters, so a holder may outlive the server.
  std::shared_ptr<const HttpServerStats> stats() const;
  std::int64_t open_connections() const;

  // What sessions share with the server. Sessions hold it by shared_ptr: the io_context may
  // destroy a pending session after the server is gone (the acceptor, an I/O object, must
  // itself be destroyed before the io_context).
  struct Shared;

 private:
  void DoAccept();
  void OnAccept(beast::error_code ec, net::ip::tcp::socket socket);
  void BackOffAccept(const beast::error_code& ec);

  net::io_context& ioc_;
  std::shared_ptr<Shared> shared_;
  net::ip::tcp::acceptor acceptor_;
  // On the acceptor's strand: Go's accept back-off and its rate-limited log line.
  net::steady_timer accept_timer_;
  Duration accept_delay_{0};
  std::uint64_t accept_failures_unlogged_ = 0;
  std::chrono::steady_clock::time_point accept_last_log_{};
};

}  // namespace metricsd
