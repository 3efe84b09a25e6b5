// The HTTP server: Beast on the daemon's io_context, shaped like Beast's advanced server.
//
// A listener accepts each connection onto its own strand; a session reads one request at a time
// with a fresh parser (header and body limits), asks the Router, and writes the answer, with a
// deadline on every read and write. A slow or malicious client holds only its own connection,
// and connections beyond the cap are closed at once.
//
// Thread-safety: Listen/Start/Stop may be called from any thread; sessions run on strands.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "daemon/core/duration.h"
#include "daemon/core/listen_address.h"
#include "daemon/core/beast.h"
#include "daemon/http/router.h"

namespace metricsd {

struct HttpLimits {
  std::int64_t max_connections = 64;
  Duration read_timeout = std::chrono::seconds(10);
  Duration write_timeout = std::chrono::seconds(30);
  std::uint32_t header_limit = 16 * 1024;  // bytes of request line + headers
  std::uint64_t body_limit = 64 * 1024;    // bytes of request body (we take none that large)
};

// Counters the daemon exposes about its own server.
struct HttpServerStats {
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_rejected{0};  // over max_connections
  std::atomic<std::uint64_t> bad_requests{0};          // unparseable, too large, timed out
};

class HttpServer {
 public:
  HttpServer(net::io_context& ioc, const Router& router, HttpLimits limits);
  ~HttpServer();

  // Binds and listens; returns the bound endpoint (the real port when 0 was asked).
  // Throws boost::system::system_error when the address cannot be bound.
  net::ip::tcp::endpoint Listen(const ListenAddress& address);
  void Start();

  // Stops accepting and closes idle connections; a request being answered is finished first.
  void Stop();

  // New limits apply to connections accepted and requests read from now on (config reload).
  void SetLimits(HttpLimits limits);

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

  net::io_context& ioc_;
  std::shared_ptr<Shared> shared_;
  net::ip::tcp::acceptor acceptor_;
};

}  // namespace metricsd
