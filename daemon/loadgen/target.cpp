#include "daemon/loadgen/target.h"

#include <charconv>

namespace metricsd::loadgen {

std::string Endpoint::ToString() const {
  const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  switch (kind) {
    case Kind::kUdp: return "udp://" + shown_host + ":" + std::to_string(port);
    case Kind::kTcp: return "tcp://" + shown_host + ":" + std::to_string(port);
    case Kind::kHttp: return "http://" + shown_host + ":" + std::to_string(port) + path;
  }
  return {};
}

std::optional<Endpoint> ParseEndpoint(std::string_view text, std::string_view default_path,
                                      std::string& error) {
  Endpoint endpoint;
  std::string_view rest;
  if (text.starts_with("udp://")) {
    endpoint.kind = Endpoint::Kind::kUdp;
    rest = text.substr(6);
  } else if (text.starts_with("tcp://")) {
    endpoint.kind = Endpoint::Kind::kTcp;
    rest = text.substr(6);
  } else if (text.starts_with("http://")) {
    endpoint.kind = Endpoint::Kind::kHttp;
    rest = text.substr(7);
  } else if (text.starts_with("https://")) {
    error = "\"" + std::string(text) + "\": https is not supported; use http://";
    return std::nullopt;
  } else {
    error = "\"" + std::string(text) + "\": expected udp://HOST:PORT, tcp://HOST:PORT or "
            "http://HOST:PORT[/PATH]";
    return std::nullopt;
  }
  std::string_view authority = rest;
  if (std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    if (endpoint.kind != Endpoint::Kind::kHttp && slash + 1 < rest.size()) {
      error = "\"" + std::string(text) + "\": a path only goes with http://";
      return std::nullopt;
    }
    endpoint.path = std::string(rest.substr(slash));
  }
  std::string_view host, port;
  if (authority.starts_with("[")) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close + 1 >= authority.size() ||
        authority[close + 1] != ':') {
      error = "\"" + std::string(text) + "\": expected [IPV6]:PORT";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    port = authority.substr(close + 2);
  } else {
    std::size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos) {
      error = "\"" + std::string(text) + "\": the port is missing (HOST:PORT)";
      return std::nullopt;
    }
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    error = "\"" + std::string(text) + "\": invalid host or port";
    return std::nullopt;
  }
  endpoint.host = std::string(host);
  endpoint.port = static_cast<std::uint16_t>(value);
  if (endpoint.kind == Endpoint::Kind::kHttp && (endpoint.path.empty() || endpoint.path == "/")) {
    endpoint.path = default_path.empty() ? "/" : std::string(default_path);
  }
  return endpoint;
}

}  // namespace metricsd::loadgen
