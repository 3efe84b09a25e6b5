// `statsd.relay`: forward StatsD lines to several aggregators (metricsd or statsd_exporter
// instances) by rendezvous hashing of each line's series (relay_hash.h), with health checks.
//
// Thread-safety: plain values, immutable once loaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::statsd {

struct RelayDestination {
  enum class Protocol { kUdp, kTcp } protocol = Protocol::kUdp;
  std::string address;  // as configured, "udp://10.0.0.1:9125": the metrics' label, the hash seed
  std::string host;     // a name or an IP literal (no brackets)
  std::uint16_t port = 0;
  std::string health_url;  // empty: tcp destinations are checked by connecting, udp not at all
};

struct RelayConfig {
  std::vector<RelayDestination> destinations;  // empty: no relay
  bool aggregate_locally = false;
  Duration health_check_interval = std::chrono::seconds(2);
  Duration health_check_timeout = std::chrono::seconds(1);
  int unhealthy_after = 2;
  std::size_t max_packet_size = 1432;
  std::size_t queue_size = 4 << 20;  // bytes waiting per tcp destination

  bool enabled() const { return !destinations.empty(); }
  // Relay settings take effect on restart: a reload compares them.
  bool operator==(const RelayConfig& other) const;
};

const config::Section<RelayConfig>& RelaySection();

// "udp://host:port" / "tcp://host:port" ("[::1]" for IPv6 literals); false if it is not one.
bool ParseRelayAddress(std::string_view text, RelayDestination& out);

}  // namespace metricsd::statsd
