// One asynchronous probe conversation on the io_context: resolve, connect, optionally a TLS
// handshake, and (for HTTP) one request and its response, following redirects as Go's net/http
// client does for blackbox_exporter (see FollowRedirect in exchange.cpp), all under one
// deadline. It records blackbox_exporter's phases (resolve, connect, tls, processing,
// transfer) and the earliest certificate expiry. Every failure is an Outcome with a message;
// nothing a server does (hang, reset, garbage, a 1 GB body) gets past the deadline or the body
// limit. Runs on a strand of its own, so its timer and its socket never race.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ssl.hpp>

#include "daemon/client/outcome.h"
#include "daemon/client/url.h"
#include "daemon/core/asio.h"
#include "daemon/core/duration.h"

namespace metricsd {

struct ExchangeRequest {
  std::string host;              // to resolve and connect to
  std::uint16_t port = 0;
  bool prefer_ip6 = false;       // else IPv4 first; either falls back to the other
  bool use_tls = false;                    // now (a redirect may change it)
  std::shared_ptr<net::ssl::context> tls;  // for TLS, now or after a redirect
  std::string server_name;       // SNI and verified name (the host when empty)
  bool http = true;              // false: stop after connecting (and the handshake)
  Url url;                       // http: what to ask
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool follow_redirects = true;
  int max_redirects = 10;                  // Go's default; the 11th is an error
  bool allow_insecure_redirect = false;    // follow https -> http (else the exchange fails)
  std::size_t body_limit = 10 << 20;
  Duration timeout = std::chrono::seconds(5);
};

struct ExchangeResult {
  Outcome outcome = Outcome::kOk;  // kOk: connected (and, for HTTP, a whole response arrived)
  std::string error;
  unsigned status = 0;
  std::string retry_after;  // the response's Retry-After header, as sent ("" when absent)
  std::string body;
  std::int64_t content_length = -1;
  int redirects = 0;
  bool credentials_dropped = false;  // a redirect left the first host: credentials not re-sent
  // Phases in seconds, as blackbox_exporter splits them (summed over redirects).
  double resolve = 0, connect = 0, tls = 0, processing = 0, transfer = 0;
  double total = 0;
  std::optional<double> cert_expiry;  // earliest notAfter of the peer's chain, unix seconds
};

using ExchangeCallback = std::function<void(ExchangeResult)>;

// Starts the exchange; `done` runs once, on an io_context thread.
void RunExchange(net::io_context& ioc, ExchangeRequest request, ExchangeCallback done);

// A client TLS context: the system CA store or `ca_file`, verification on unless `insecure`.
// Throws std::runtime_error for an unreadable CA file.
std::shared_ptr<net::ssl::context> MakeTlsContext(const std::string& ca_file, bool insecure);

}  // namespace metricsd
