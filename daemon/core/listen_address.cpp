#include "daemon/core/listen_address.h"

#include "daemon/core/config_node.h"

#include <arpa/inet.h>

#include <charconv>

namespace metricsd {
namespace {

bool IsIpLiteral(const std::string& host, int family) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(family, host.c_str(), buf) == 1;
}

}  // namespace

std::string ListenAddress::ToString() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return out + ":" + std::to_string(port);
}

std::optional<ListenAddress> ParseListenAddress(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);

  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return std::nullopt;
  }

  ListenAddress address;
  address.port = static_cast<std::uint16_t>(port);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    address.host = std::string(host.substr(1, host.size() - 2));
    if (!IsIpLiteral(address.host, AF_INET6)) return std::nullopt;
    return address;
  }
  address.host = std::string(host);
  if (address.host.empty() || address.host == "localhost" || IsIpLiteral(address.host, AF_INET)) {
    return address;
  }
  return std::nullopt;
}

ListenAddress ListenAddressAt(const ConfigNode& node) {
  std::string text = node.AsString();
  std::optional<ListenAddress> parsed = ParseListenAddress(text);
  if (!parsed) node.Fail("invalid address \"" + text + "\" (expected HOST:PORT, e.g. 127.0.0.1:9102)");
  return *parsed;
}

}  // namespace metricsd
