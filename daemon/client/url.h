// http:// and https:// URLs as probes and notifiers use them: scheme, host, port, and the request target.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace metricsd {

struct Url {
  bool https = false;
  std::string host;    // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"

  std::string HostHeader() const;  // host[:port] when the port is not the scheme's default
  std::string ToString() const;
};

// nullopt unless `text` is an absolute http or https URL.
std::optional<Url> ParseUrl(std::string_view text);

// `location` (a redirect's Location) resolved against `base`.
std::optional<Url> ResolveUrl(const Url& base, std::string_view location);

}  // namespace metricsd
