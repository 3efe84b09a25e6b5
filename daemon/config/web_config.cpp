#include "daemon/config/web_config.h"

namespace metricsd {

const config::Section<WebConfig>& WebSection() {
  static const auto* section = &(*new config::Section<WebConfig>(
      "Where and how the HTTP endpoints (/metrics, the API) are served."))
      .Add(config::MakeKeyInfo(
               "listen_address", "address",
               "HOST:PORT to serve on: an IPv4 literal, [IPv6], localhost, or an empty host "
               "(:9102) for every interface; --web.listen-address overrides it"),
           [](const ConfigNode& node, WebConfig& out) { out.listen_address = ListenAddressAt(node); },
           [](const WebConfig& in) { return nlohmann::json(in.listen_address.ToString()); })
      .Int("max_connections", &WebConfig::max_connections, 1, 100000,
           "open connections allowed; a new one beyond closes the one waiting longest for a "
           "request, or is closed at once if all are being answered")
      .Int("max_requests", &WebConfig::max_requests, 0, 100000,
           "heavy requests (/metrics, /api/v1/status/config, /-/reload, POST /api/v1/statsd) "
           "handled or being written at once, 0 = no limit; more are answered 503 at once "
           "(node_exporter's --web.max-requests)")
      .Dur("read_timeout", &WebConfig::read_timeout,
           "time to receive one whole request, idle keep-alive included", config::kPositive)
      .Dur("write_timeout", &WebConfig::write_timeout, "time to send one response",
           config::kPositive)
      .Path("config_file", &WebConfig::config_file,
            "an exporter-toolkit web-config file (TLS, mTLS, basic auth, headers; see Security), "
            "relative to this file; re-read on reload; --web.config.file overrides it",
            /*resolve=*/false);  // the app resolves it, as it does --web.config.file
  return *section;
}

WebConfig ParseWebConfig(const ConfigNode& node) { return WebSection().Parse(node); }

nlohmann::json WebConfig::ToJson() const { return WebSection().Render(*this); }

}  // namespace metricsd
