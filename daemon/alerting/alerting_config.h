// The `alerting` section: when rules are evaluated, which rule files, and where alerts go.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ssl.hpp>
#include <nlohmann/json.hpp>

#include "daemon/alerting/rule.h"
#include "daemon/client/url.h"
#include "daemon/core/asio.h"
#include "daemon/core/config_node.h"
#include "daemon/core/config_schema.h"
#include "daemon/core/http_client_config.h"

namespace metricsd::alerting {

// An Alertmanager or a webhook receiver.
// Thread-safety: DestinationConfig and AlertingConfig are plain values, immutable once loaded.
struct DestinationConfig {
  enum class Kind { kAlertmanager, kWebhook } kind = Kind::kAlertmanager;
  std::string url;  // as written, the `alertmanager` label of the notification metrics
  Url parsed;
  HttpAuth auth;
  TlsOptions tls_options;
  std::shared_ptr<net::ssl::context> tls;  // built at load for https
  Duration timeout = std::chrono::seconds(10);

  // The Authorization header's value (empty without credentials). Reads the secret files;
  // throws std::runtime_error if one cannot be read.
  std::string AuthorizationHeader() const { return auth.AuthorizationHeader(); }
};

struct AlertingConfig {
  Duration evaluation_interval = std::chrono::seconds(15);
  std::vector<std::string> rule_files;  // the patterns, as written
  std::vector<RuleGroup> groups;        // from every file the patterns matched
  LabelMap external_labels;
  std::string external_url;             // generatorURL base; empty: http://HOSTNAME:PORT
  Duration resend_delay = std::chrono::minutes(1);
  std::size_t queue_capacity = 10000;
  // Recording rules' results on /metrics as well as in history.
  bool expose_recording_rules = false;
  // After a restart, pending and firing alerts get their activeAt back from the history's
  // ALERTS_FOR_STATE if the daemon was down at most this long (Prometheus's
  // --rules.alert.for-outage-tolerance)...
  Duration outage_tolerance = std::chrono::hours(1);
  // ...and an alert whose `for` had less than this left waits at least this long before firing
  // again (--rules.alert.for-grace-period); rules whose `for` is shorter are not restored.
  Duration for_grace_period = std::chrono::minutes(10);
  std::vector<DestinationConfig> destinations;

  nlohmann::json ToJson() const;
};

// The declaration of every key of the section (daemon/core/config_schema.h).
const config::Section<AlertingConfig>& AlertingSection();

// Relative rule file patterns are found next to the config file. Reads and validates every
// rule file; throws ConfigError naming the rule file's own line and column.
AlertingConfig ParseAlertingConfig(const ConfigNode& node);

// One rule file's groups (exposed for tests and the fuzz target). `default_interval` fills
// groups without their own.
std::vector<RuleGroup> ParseRuleFile(std::string_view text, const std::string& file,
                                     Duration default_interval);

}  // namespace metricsd::alerting
