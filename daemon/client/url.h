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

// Whether credentials sent to `initial` may follow a redirect to `dest`: the same port and the
// same host or a subdomain of it (foo.com -> sub.foo.com), never another IP literal. Go's
// net/http (shouldCopyHeaderOnRedirect) compares host names only; a different port is another
// server here too, as in Go before 1.22 and in browsers' origins.
bool CredentialsMayFollow(const Url& initial, const Url& dest);

// `text` (a URL, parsed or not) fit for a log line or an error: a password in its userinfo
// becomes <secret> ("https://user:<secret>@host/"), and the query string, which often carries
// tokens, is cut ("/path?<secret>").
std::string RedactUrl(std::string_view text);

}  // namespace metricsd
