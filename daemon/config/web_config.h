// The `web` section: where and how the scrape endpoint listens.
//
// Thread-safety: a plain value; WebSection() is immutable and safe from any thread.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "daemon/core/config_node.h"
#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"
#include "daemon/core/listen_address.h"

namespace metricsd {

struct WebConfig {
  ListenAddress listen_address{"127.0.0.1", 9102};
  // Connections beyond this are closed at once, so a flood cannot starve Prometheus.
  std::int64_t max_connections = 64;
  // Heavy requests (scrapes, reloads, StatsD POSTs) handled at once; beyond, 503 (as
  // node_exporter's --web.max-requests). 0: no limit.
  std::int64_t max_requests = 40;
  // Time allowed to receive one whole request, idle keep-alive time included.
  Duration read_timeout = std::chrono::seconds(10);
  // Time allowed to send one response.
  Duration write_timeout = std::chrono::seconds(30);
  // An exporter-toolkit web-config file (TLS, basic auth, headers), relative to this config
  // file; re-read on reload. Empty: plain HTTP, no auth. --web.config.file overrides it.
  std::string config_file;

  nlohmann::json ToJson() const;
};

// The declaration of every key of the section (daemon/core/config_schema.h).
const config::Section<WebConfig>& WebSection();
WebConfig ParseWebConfig(const ConfigNode& node);

}  // namespace metricsd
