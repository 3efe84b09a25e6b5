// The `statsd` config section: listeners, receivers, dialects, limits, the mapping (a
// statsd_exporter mapping file, or inline `defaults`/`mappings`) and HTTP ingestion.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collectors/statsd/label_rules.h"
#include "collectors/statsd/mapper.h"
#include "collectors/statsd/parser.h"
#include "collectors/statsd/relay_config.h"
#include "collectors/statsd/series_table.h"
#include "daemon/core/config_node.h"
#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"
#include "daemon/core/listen_address.h"

namespace metricsd::statsd {

// Thread-safety: ListenerConfig and StatsdConfig are plain values, immutable once loaded.
struct ListenerConfig {
  enum class Kind { kUdp, kTcp, kUnixgram } kind = Kind::kUdp;
  ListenAddress address;  // udp, tcp
  std::string path;       // unixgram
  std::uint32_t mode = 0660;

  std::string ToString() const;  // "udp://127.0.0.1:8125", "unixgram:///run/x.sock"
  bool operator==(const ListenerConfig& other) const { return ToString() == other.ToString(); }
};

struct StatsdConfig {
  bool enabled = true;
  // The default: UDP and TCP on the loopback port StatsD clients use.
  std::vector<ListenerConfig> listeners = {
      {ListenerConfig::Kind::kUdp, {"127.0.0.1", 8125}, {}, 0660},
      {ListenerConfig::Kind::kTcp, {"127.0.0.1", 8125}, {}, 0660}};
  int receivers = 0;               // UDP receiver threads per UDP listener; 0: one per core
  std::int64_t read_buffer = 8 << 20;  // SO_RCVBUF bytes; 0: the kernel's default
  std::size_t max_line_length = 4096;
  std::size_t max_series = 100000;
  std::size_t max_series_bytes = kDefaultMaxSeriesBytes;
  LabelLimits limits;  // max_name_length, max_label_value_length
  // TCP listeners: connections beyond the cap are closed at once; an idle one is closed after
  // the timeout (0: never). Both counted in metricsd_statsd_tcp_connections_closed_total.
  std::size_t tcp_max_connections = 1024;
  Duration tcp_idle_timeout = std::chrono::minutes(5);
  std::size_t line_cache_size = 100000;  // line identities remembered per receiver
  ParseOptions parse;
  std::string mapping_file;        // as resolved (relative to the config file)
  std::shared_ptr<const Mapper> mapper;
  std::vector<std::string> http_allowed_origins;  // CORS for POST /api/v1/statsd; "*" allowed
  std::size_t http_max_body = 1 << 20;
  RelayConfig relay;  // statsd.relay: forward lines to aggregators (relay.h)

  // Receivers actually started per UDP listener.
  int EffectiveReceivers() const;
  nlohmann::json ToJson() const;
};

// The declaration of every key of the section (daemon/core/config_schema.h).
const config::Section<StatsdConfig>& StatsdSection();

// A relative mapping_file is found next to the config file. Throws ConfigError (a mapping
// file's own errors name that file's line and column).
StatsdConfig ParseStatsdConfig(const ConfigNode& node);

// A whole statsd_exporter mapping file; `file` is the name errors print.
MappingConfig LoadMappingFile(const std::string& path);

}  // namespace metricsd::statsd
