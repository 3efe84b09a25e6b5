// The whole metricsd config file: loaded strictly, validated in full, immutable once built.
//
// Loading either returns a complete Config or throws ConfigError naming file:line:column and
// the key path; nothing half-parsed escapes, which is what makes reload safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "collectors/host/host_config.h"
#include "collectors/probes/probe_config.h"
#include "collectors/statsd/statsd_config.h"
#include "daemon/alerting/alerting_config.h"
#include "daemon/analytics/analytics_config.h"
#include "daemon/config/web_config.h"
#include "daemon/core/config_node.h"
#include "daemon/core/config_schema.h"
#include "daemon/export/remote_write_config.h"
#include "daemon/limits/limits_config.h"
#include "daemon/query/query_config.h"
#include "daemon/scaling/scaling_config.h"
#include "daemon/storage/history_config.h"
#include "daemon/web/dashboard_config.h"

namespace metricsd {

// The name errors and /api/v1/status/config use for the compiled-in default.
inline constexpr std::string_view kEmbeddedConfigName = "<embedded default>";
inline constexpr std::string_view kDefaultConfigPath = "/etc/metricsd/metricsd.yaml";

// Thread-safety: immutable once loaded; shared between threads as shared_ptr<const Config>.
struct Config {
  // Where it came from: a path, or kEmbeddedConfigName. The text as read is deliberately not
  // kept: it holds secrets, and only the masked effective config may be shown.
  std::string file;
  WebConfig web;
  host::HostConfig host;
  statsd::StatsdConfig statsd;
  probes::ProbesConfig probes;
  alerting::AlertingConfig alerting;
  storage::HistoryConfig history;
  query::QueryConfig query;
  analytics::AnalyticsConfig analytics;
  web::DashboardConfig dashboard;
  std::vector<remote::RemoteWriteEndpoint> remote_write;
  limits::LimitsConfig limits;
  scaling::ScalingConfig scaling;

  // The effective config (defaults filled in) with every secret shown as kSecret
  // (daemon/core/secret.h), for /api/v1/status/config: as JSON, and rendered as YAML.
  nlohmann::json ToJson() const;
  std::string ToYaml() const;
};

// The declaration of the whole file: one block per section, each declared next to its code.
const config::Section<Config>& ConfigSection();

// Parses `text`; `file` is the name errors print.
Config LoadConfigText(std::string_view text, std::string file);
// Reads and parses a file; an unreadable file is a ConfigError too.
Config LoadConfigFile(const std::string& path);
// The embedded default: the bytes of config/metricsd.yaml compiled in.
Config LoadEmbeddedConfig();
std::string_view EmbeddedConfigText();

}  // namespace metricsd
