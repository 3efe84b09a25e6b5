#include "daemon/config/config.h"

#include "daemon/config/config_docs.h"

namespace metricsd {
namespace config {
extern const std::string_view kEmbeddedDefault;  // generated from config/metricsd.yaml
}  // namespace config

const config::Section<Config>& ConfigSection() {
  static const auto* section = &(*new config::Section<Config>("metricsd configuration file"))
      .Block("web", &Config::web, WebSection(), WebSection().doc())
      .Block("host", &Config::host, host::HostSection(), host::HostSection().doc())
      .Block("statsd", &Config::statsd, statsd::StatsdSection(), statsd::StatsdSection().doc())
      .Block("probes", &Config::probes, probes::ProbesSection(), probes::ProbesSection().doc())
      .Block("alerting", &Config::alerting, alerting::AlertingSection(),
             alerting::AlertingSection().doc())
      .Block("history", &Config::history, storage::HistorySection(), storage::HistorySection().doc())
      .Block("query", &Config::query, query::QuerySection(), query::QuerySection().doc())
      .Block("analytics", &Config::analytics, analytics::AnalyticsSection(),
             analytics::AnalyticsSection().doc())
      .Block("dashboard", &Config::dashboard, web::DashboardSection(), web::DashboardSection().doc())
      .List("remote_write", &Config::remote_write, remote::RemoteWriteEndpointSection(),
            "Endpoints every stored sample is sent to (Prometheus remote_write 1.0), as in "
            "prometheus.yml.")
      .Check("remote_write names are unique; two unnamed endpoints have different urls",
             [](const ConfigNode& node, Config& config) {
               remote::CheckRemoteWriteEndpoints(node["remote_write"], config.remote_write);
             })
      .Block("limits", &Config::limits, limits::LimitsSection(), limits::LimitsSection().doc())
      .Block("scaling", &Config::scaling, scaling::ScalingSection(), scaling::ScalingSection().doc());
  return *section;
}

Config LoadConfigText(std::string_view text, std::string file) {
  ConfigNode root = ParseYaml(text, file);
  Config config = ConfigSection().Parse(root);
  config.file = std::move(file);
  return config;
}

Config LoadConfigFile(const std::string& path) {
  return LoadConfigText(ReadConfigFile(path), path);
}

std::string_view EmbeddedConfigText() { return config::kEmbeddedDefault; }

Config LoadEmbeddedConfig() {
  return LoadConfigText(EmbeddedConfigText(), std::string(kEmbeddedConfigName));
}

nlohmann::json Config::ToJson() const { return ConfigSection().Render(*this); }

std::string Config::ToYaml() const { return EffectiveConfigYaml(*this); }

}  // namespace metricsd
