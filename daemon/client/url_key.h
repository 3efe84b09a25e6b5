// The `url` key every HTTP client block declares (probes, alert receivers, remote_write):
// an absolute http:// or https:// URL, checked at load; a password in its userinfo is redacted
// from errors.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "daemon/client/url.h"
#include "daemon/core/config_schema.h"

namespace metricsd {

// The JSON Schema of such a URL (its syntax beyond the scheme is checked at load).
inline nlohmann::json UrlSchema() {
  return {{"type", "string"}, {"pattern", "^[hH][tT][tT][pP][sS]?://"}};
}

template <class T, class Get>
config::Section<T>& AddUrlKey(config::Section<T>& section, std::string name, Get get,
                              std::string doc) {
  return section.Add(
      config::MakeKeyInfo(std::move(name), "URL", std::move(doc), UrlSchema()),
      [get](const ConfigNode& node, T& out) {
        std::string text = node.AsString();
        std::optional<Url> url = ParseUrl(text);
        if (!url) {
          node.Fail("invalid URL \"" + RedactUrl(text) +
                    "\" (expected http://HOST[:PORT]/... or https://...)");
        }
        std::invoke(get, out) = *url;
      },
      [get](const T& in) -> nlohmann::json {
        const auto& url = std::invoke(get, in);
        if constexpr (std::is_same_v<std::decay_t<decltype(url)>, std::optional<Url>>) {
          return url ? nlohmann::json(url->ToString()) : nlohmann::json();
        } else {
          return url.ToString();
        }
      });
}

}  // namespace metricsd
