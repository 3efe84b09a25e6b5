// HOST:PORT addresses as flags and config write them: "127.0.0.1:9102", "[::1]:9102",
// ":9102" (every interface), "localhost:9102". Port 0 asks the kernel for a free port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace metricsd {

struct ListenAddress {
  std::string host;  // an IP literal without brackets, "localhost", or empty for every interface
  std::uint16_t port = 0;

  std::string ToString() const;  // brackets IPv6 literals back
};

// nullopt unless `text` is HOST:PORT with an IP literal, "localhost" or empty host and a port
// in 0..65535.
std::optional<ListenAddress> ParseListenAddress(std::string_view text);

class ConfigNode;
// The address a config node holds; a ConfigError at the node otherwise.
ListenAddress ListenAddressAt(const ConfigNode& node);

}  // namespace metricsd
