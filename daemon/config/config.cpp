#include "daemon/config/config.h"

#include "daemon/config/yaml_render.h"

namespace metricsd {
namespace config {
extern const std::string_view kEmbeddedDefault;  // generated from config/metricsd.yaml
}  // namespace config

Config LoadConfigText(std::string_view text, std::string file) {
  ConfigNode root = ParseYaml(text, file);
  root.ExpectKeys({"web", "host", "statsd", "probes", "alerting"});
  Config config;
  config.file = std::move(file);
  config.web = ParseWebConfig(root["web"]);
  config.host = host::ParseHostConfig(root["host"]);
  // A relative mapping_file or rule file is found next to the config file that names it.
  std::string dir;
  if (config.file != kEmbeddedConfigName) {
    std::size_t slash = config.file.rfind('/');
    dir = slash == std::string::npos ? "." : config.file.substr(0, slash);
  }
  config.statsd = statsd::ParseStatsdConfig(root["statsd"], dir);
  config.probes = probes::ParseProbesConfig(root["probes"]);
  config.alerting = alerting::ParseAlertingConfig(root["alerting"], dir);
  return config;
}

Config LoadConfigFile(const std::string& path) {
  return LoadConfigText(ReadConfigFile(path), path);
}

std::string_view EmbeddedConfigText() { return config::kEmbeddedDefault; }

Config LoadEmbeddedConfig() {
  return LoadConfigText(EmbeddedConfigText(), std::string(kEmbeddedConfigName));
}

nlohmann::json Config::ToJson() const {
  return {{"web", web.ToJson()}, {"host", host.ToJson()}, {"statsd", statsd.ToJson()},
          {"probes", probes.ToJson()}, {"alerting", alerting.ToJson()}};
}

std::string Config::ToYaml() const { return RenderYaml(ToJson()); }

}  // namespace metricsd
