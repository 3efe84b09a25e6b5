// Where the load goes, and where its effect is read: udp://HOST:PORT, tcp://HOST:PORT and
// http://HOST:PORT[/PATH] (POST /api/v1/statsd when no path is given) for StatsD, and a
// metricsd web address (http://HOST:PORT[/PATH]) whose /metrics is read.
//
// Thread-safety: Endpoint is a plain value; ParseEndpoint is a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace metricsd::loadgen {

struct Endpoint {
  enum class Kind { kUdp, kTcp, kHttp };
  Kind kind = Kind::kUdp;
  std::string host;        // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string path;        // http: the request target, at least "/"

  std::string ToString() const;
};

// Parses `text`; on failure returns nullopt and sets `error`. `default_path` is the http path
// when the URL has none. https is refused (a load generator on a trusted network).
std::optional<Endpoint> ParseEndpoint(std::string_view text, std::string_view default_path,
                                      std::string& error);

}  // namespace metricsd::loadgen
