// Where a ListenAddress binds: an empty host is every interface, v4 and v6 (a dual-stack v6
// socket); "localhost" is the IPv4 loopback; anything else an IP literal.
#pragma once

#include "daemon/core/asio.h"
#include "daemon/core/listen_address.h"

namespace metricsd {

inline net::ip::address ListenIp(const ListenAddress& address) {
  if (address.host.empty()) return net::ip::address_v6::any();
  if (address.host == "localhost") return net::ip::address_v4::loopback();
  return net::ip::make_address(address.host);
}

// Whether a socket bound to `address` must clear IPV6_V6ONLY to take IPv4 too.
inline bool NeedsDualStack(const ListenAddress& address) { return address.host.empty(); }

// Opens, binds and listens `acceptor` on `address` (throws boost::system::system_error);
// returns where it listens (port 0 becomes the port the kernel chose).
inline net::ip::tcp::endpoint OpenAcceptor(net::ip::tcp::acceptor& acceptor,
                                           const ListenAddress& address) {
  net::ip::tcp::endpoint endpoint(ListenIp(address), address.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  if (NeedsDualStack(address)) acceptor.set_option(net::ip::v6_only(false));
  acceptor.bind(endpoint);
  acceptor.listen(net::socket_base::max_listen_connections);
  return acceptor.local_endpoint();
}

}  // namespace metricsd
