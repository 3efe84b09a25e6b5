// The steps RunExchange (exchange.cpp) and HttpPool (http_pool.cpp) share when they open a
// connection and judge how it failed: the order of resolved addresses, the TLS peer name, the
// outcome of an I/O error and the body-limit message. Internal to daemon/client.
//
// Thread-safety: free functions without state; `ssl` must not be in use by another thread.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/client/outcome.h"
#include "daemon/core/asio.h"

namespace metricsd::client_steps {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// The preferred family first, the other as the fallback (blackbox_exporter's ip_protocol).
std::vector<net::ip::tcp::endpoint> OrderEndpoints(const net::ip::tcp::resolver::results_type& results,
                                                   bool prefer_ip6);

// Sets SNI and the name the peer's certificate is verified against (an IP literal is checked
// against the certificate's IP addresses, and sent without SNI).
void SetPeerName(SSL* ssl, const std::string& name);

// The outcome of an I/O error `ec` met while doing something whose failures are `outcome`:
// an error of the TLS layer during connect or the handshake is a TLS error.
Outcome Classify(const boost::system::error_code& ec, Outcome outcome);

// "body larger than the limit of N bytes".
std::string BodyLimitMessage(std::size_t limit);

}  // namespace metricsd::client_steps
