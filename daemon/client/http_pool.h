// Keep-alive HTTP/1.1 connections to one origin (scheme, host, port), reused across requests:
// for clients that talk to the same server again and again (remote_write shards, the alert
// notifier, AO unit calls, the remote query engine), where a new TCP (and TLS) handshake per
// request costs more than the request. A request on a reused connection that the server had
// already closed (the keep-alive race) is retried once on a new connection, before any byte
// of the response arrived. blackbox-style HTTP probes do NOT use it: they measure the
// connection phases of a fresh connection, as blackbox_exporter does.
//
// - A connection is kept for the next request when the whole response was read and the server
//   did not ask to close it (`Connection: close`, HTTP/1.0 without keep-alive, a body ended by
//   EOF); at most max_idle are kept, each closed after idle_timeout unused. There is no limit
//   on connections in use: N concurrent requests open up to N connections (Go's default).
// - Before a request goes over an idle connection, the socket is checked for an EOF the
//   server already sent; one that closed meanwhile is replaced by a new connection.
// - Each connection runs on a strand of its own; its deadline timer, idle timer and socket
//   never race. request.timeout covers the whole request, connect and retry included.
// - Destroying the pool closes its connections: requests in flight end at once with an error
//   ("HTTP pool closed"); every `done` still runs exactly once, on the io_context. Destroy the
//   pool before its io_context (like any socket).
//
// Thread-safety: thread-safe; Request() and Stats() from any thread; `done` runs on an
// io_context thread, never inside Request().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ssl.hpp>

#include "daemon/client/exchange.h"
#include "daemon/core/asio.h"
#include "daemon/core/duration.h"

namespace metricsd {

struct HttpPoolOptions {
  std::string host;
  std::uint16_t port = 0;
  std::shared_ptr<net::ssl::context> tls;  // null: plain HTTP
  std::string server_name;                 // SNI and verified name; empty: host
  std::size_t max_idle = 8;                // idle connections kept
  Duration idle_timeout = std::chrono::seconds(90);  // Go's http.Transport default
};

struct HttpPoolStats {
  std::uint64_t connections_opened = 0;  // new TCP (and TLS) connections
  std::uint64_t requests = 0;
  std::uint64_t reused = 0;              // requests that went over an idle connection
  std::uint64_t retried = 0;             // keep-alive races: resent once on a new connection
  std::uint64_t stale = 0;               // idle connections found closed by the server on reuse
  std::uint64_t idle = 0;                // idle connections now
};

class HttpPool {
 public:
  HttpPool(net::io_context& ioc, HttpPoolOptions options);
  ~HttpPool();
  HttpPool(const HttpPool&) = delete;
  HttpPool& operator=(const HttpPool&) = delete;

  // Sends request.method request.url with its headers and body over an idle connection or a
  // new one, under request.timeout and request.body_limit; redirects are not followed (the
  // status is returned). request.host/port/tls are ignored: the pool's own are used.
  void Request(ExchangeRequest request, ExchangeCallback done);
  HttpPoolStats Stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace metricsd
