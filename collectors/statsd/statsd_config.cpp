#include "collectors/statsd/statsd_config.h"

#include <algorithm>
#include <thread>

namespace metricsd::statsd {

std::string ListenerConfig::ToString() const {
  switch (kind) {
    case Kind::kUdp: return "udp://" + address.ToString();
    case Kind::kTcp: return "tcp://" + address.ToString();
    case Kind::kUnixgram: return "unixgram://" + path;
  }
  return {};
}

namespace {

ListenerConfig ParseListener(const ConfigNode& node) {
  node.ExpectKeys({"udp", "tcp", "unixgram", "mode"});
  ListenerConfig listener{};
  int kinds = 0;
  if (node["udp"].IsSet()) {
    listener.kind = ListenerConfig::Kind::kUdp;
    listener.address = ListenAddressAt(node["udp"]);
    ++kinds;
  }
  if (node["tcp"].IsSet()) {
    listener.kind = ListenerConfig::Kind::kTcp;
    listener.address = ListenAddressAt(node["tcp"]);
    ++kinds;
  }
  if (node["unixgram"].IsSet()) {
    listener.kind = ListenerConfig::Kind::kUnixgram;
    listener.path = node["unixgram"].AsString();
    if (listener.path.empty() || listener.path.size() >= 108) {
      node["unixgram"].Fail("must be a socket path of 1 to 107 bytes");
    }
    ++kinds;
  }
  if (kinds != 1) node.Fail("a listener is exactly one of udp: HOST:PORT, tcp: HOST:PORT, unixgram: PATH");
  if (node["mode"].IsSet()) {
    if (listener.kind != ListenerConfig::Kind::kUnixgram) node["mode"].Fail("only unixgram listeners have a mode");
    std::string text = node["mode"].AsString();
    char* end = nullptr;
    unsigned long mode = std::strtoul(text.c_str(), &end, 8);
    if (text.empty() || *end != '\0' || mode > 0777) node["mode"].Fail("expected an octal file mode such as \"0660\"");
    listener.mode = static_cast<std::uint32_t>(mode);
  }
  return listener;
}

}  // namespace

MappingConfig LoadMappingFile(const std::string& path) {
  ConfigNode root = ParseYaml(ReadConfigFile(path), path);
  root.ExpectKeys({"defaults", "mappings"});
  return ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary);
}

int StatsdConfig::EffectiveReceivers() const {
  if (receivers > 0) return receivers;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

StatsdConfig ParseStatsdConfig(const ConfigNode& node, const std::string& config_dir) {
  node.ExpectKeys({"enabled", "listeners", "receivers", "read_buffer", "max_line_length",
                   "max_series", "max_series_bytes", "max_name_length",
                   "max_label_value_length", "tcp", "line_cache_size", "dialects", "mapping_file", "defaults",
                   "mappings", "http"});
  StatsdConfig config;
  config.enabled = node.GetBool("enabled", true);
  if (node["listeners"].IsSet()) {
    for (const ConfigNode& item : node["listeners"].Items()) {
      ListenerConfig listener = ParseListener(item);
      for (const ListenerConfig& seen : config.listeners) {
        if (seen == listener) item.Fail("duplicate listener " + listener.ToString());
      }
      config.listeners.push_back(std::move(listener));
    }
  } else {
    // The default: UDP and TCP on the loopback port StatsD clients use.
    config.listeners.push_back({ListenerConfig::Kind::kUdp, {"127.0.0.1", 8125}, {}, 0660});
    config.listeners.push_back({ListenerConfig::Kind::kTcp, {"127.0.0.1", 8125}, {}, 0660});
  }
  config.receivers = static_cast<int>(node.GetInt("receivers", 0, 0, 64));
  config.read_buffer = node.GetInt("read_buffer", config.read_buffer, 0, std::int64_t{1} << 30);
  config.max_line_length = static_cast<std::size_t>(node.GetInt("max_line_length", 4096, 16, 1 << 20));
  config.max_series = static_cast<std::size_t>(node.GetInt("max_series", 100000, 1, 100000000));
  config.line_cache_size = static_cast<std::size_t>(node.GetInt("line_cache_size", 10000, 1, 100000000));
  config.max_series_bytes = static_cast<std::size_t>(
      node.GetInt("max_series_bytes", static_cast<std::int64_t>(kDefaultMaxSeriesBytes), 1 << 16,
                  std::int64_t{1} << 40));
  config.limits.max_name_length = static_cast<std::size_t>(node.GetInt("max_name_length", 256, 1, 1 << 20));
  config.limits.max_label_value_length =
      static_cast<std::size_t>(node.GetInt("max_label_value_length", 1024, 1, 1 << 20));
  ConfigNode tcp = node["tcp"];
  tcp.ExpectKeys({"max_connections", "idle_timeout"});
  config.tcp_max_connections = static_cast<std::size_t>(tcp.GetInt("max_connections", 1024, 1, 1 << 20));
  config.tcp_idle_timeout = tcp.GetDuration("idle_timeout", std::chrono::minutes(5));

  ConfigNode dialects = node["dialects"];
  dialects.ExpectKeys({"dogstatsd", "influxdb", "librato", "signalfx"});
  config.parse.dogstatsd_tags = dialects.GetBool("dogstatsd", true);
  config.parse.influxdb_tags = dialects.GetBool("influxdb", true);
  config.parse.librato_tags = dialects.GetBool("librato", true);
  config.parse.signalfx_tags = dialects.GetBool("signalfx", true);

  MappingConfig mapping;
  if (node["mapping_file"].IsSet()) {
    if (node["mappings"].IsSet() || node["defaults"].IsSet()) {
      node["mapping_file"].Fail("use either mapping_file or inline defaults/mappings, not both");
    }
    std::string path = node["mapping_file"].AsString();
    if (!path.empty() && path[0] != '/' && !config_dir.empty()) path = config_dir + "/" + path;
    config.mapping_file = path;
    mapping = LoadMappingFile(path);
  } else {
    mapping = ParseMappingConfig(node["defaults"], node["mappings"], ObserverType::kSummary);
  }
  config.mapper = std::make_shared<const Mapper>(std::move(mapping));

  ConfigNode http = node["http"];
  http.ExpectKeys({"allowed_origins", "max_body_bytes"});
  for (const ConfigNode& origin : http["allowed_origins"].Items()) {
    config.http_allowed_origins.push_back(origin.AsString());
  }
  config.http_max_body = static_cast<std::size_t>(http.GetInt("max_body_bytes", 1 << 20, 1024, 64 << 20));
  return config;
}

nlohmann::json StatsdConfig::ToJson() const {
  nlohmann::json listeners_json = nlohmann::json::array();
  for (const ListenerConfig& listener : listeners) listeners_json.push_back(listener.ToString());
  return {{"enabled", enabled},
          {"listeners", listeners_json},
          {"receivers", EffectiveReceivers()},
          {"read_buffer", read_buffer},
          {"max_line_length", max_line_length},
          {"max_series", max_series},
          {"max_series_bytes", max_series_bytes},
          {"max_name_length", limits.max_name_length},
          {"max_label_value_length", limits.max_label_value_length},
          {"tcp", {{"max_connections", tcp_max_connections},
                   {"idle_timeout", FormatDuration(tcp_idle_timeout)}}},
          {"line_cache_size", line_cache_size},
          {"dialects", {{"dogstatsd", parse.dogstatsd_tags}, {"influxdb", parse.influxdb_tags},
                        {"librato", parse.librato_tags}, {"signalfx", parse.signalfx_tags}}},
          {"mapping_file", mapping_file},
          {"mapping", mapper->config().ToJson()},
          {"http", {{"allowed_origins", http_allowed_origins}, {"max_body_bytes", http_max_body}}}};
}

}  // namespace metricsd::statsd
