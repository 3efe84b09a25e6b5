#include "daemon/client/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace metricsd {

std::optional<Url> ParseUrl(std::string_view text) {
  Url url;
  if (text.substr(0, 7) == "http://") {
    text.remove_prefix(7);
    url.port = 80;
  } else if (text.substr(0, 8) == "https://") {
    text.remove_prefix(8);
    url.https = true;
    url.port = 443;
  } else {
    return std::nullopt;
  }
  std::size_t slash = text.find_first_of("/?");
  std::string_view authority = text.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  if (url.target[0] == '?') url.target = "/" + url.target;
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port_text = authority.substr(close + 2);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return std::nullopt;
    }
    url.port = static_cast<std::uint16_t>(port);
  } else if (authority.back() == ':') {
    return std::nullopt;
  }
  return url;
}

std::optional<Url> ResolveUrl(const Url& base, std::string_view location) {
  if (location.substr(0, 7) == "http://" || location.substr(0, 8) == "https://") {
    return ParseUrl(location);
  }
  if (location.empty()) return std::nullopt;
  Url url = base;
  if (location[0] == '/') {
    url.target = std::string(location);
  } else {
    std::string path = base.target.substr(0, base.target.find('?'));
    url.target = path.substr(0, path.rfind('/') + 1) + std::string(location);
  }
  return url;
}

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!out.empty() && out.back() == '.') out.pop_back();  // "host." is "host"
  return out;
}

}  // namespace

bool CredentialsMayFollow(const Url& initial, const Url& dest) {
  if (initial.port != dest.port) return false;
  std::string parent = Lower(initial.host), sub = Lower(dest.host);
  if (sub == parent) return true;
  // No subdomains of IP literals (Go: "sub" containing ':' or '%' is never a subdomain).
  if (sub.find_first_of(":%") != std::string::npos) return false;
  return sub.size() > parent.size() && sub.ends_with(parent) && sub[sub.size() - parent.size() - 1] == '.';
}

std::string RedactUrl(std::string_view text) {
  std::string out(text);
  std::size_t scheme = out.find("://");
  std::size_t authority = scheme == std::string::npos ? 0 : scheme + 3;
  std::size_t end = out.find_first_of("/?#", authority);
  std::size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
  if (at != std::string::npos && at >= authority) {
    std::size_t colon = out.find(':', authority);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "<secret>");
  }
  std::size_t query = out.find('?', authority);
  if (query != std::string::npos) out.replace(query + 1, std::string::npos, "<secret>");
  return out;
}

std::string Url::HostHeader() const {
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if ((https && port == 443) || (!https && port == 80)) return shown;
  return shown + ":" + std::to_string(port);
}

std::string Url::ToString() const {
  return (https ? "https://" : "http://") + HostHeader() + target;
}

}  // namespace metricsd
