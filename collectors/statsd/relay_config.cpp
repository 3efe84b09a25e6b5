#include "collectors/statsd/relay_config.h"

#include <charconv>

#include "daemon/client/url.h"

namespace metricsd::statsd {
namespace {

using config::Section;

// The most destinations a relay takes: the up/down state of all of them is one 64-bit word
// the receivers read per batch.
constexpr std::size_t kMaxDestinations = 64;

const Section<RelayDestination>& DestinationSection() {
  static const auto* section = [] {
    auto* destination = new Section<RelayDestination>(
        "An aggregator: a metricsd or statsd_exporter instance that receives this relay's lines.");
    destination
        ->Add(config::MakeKeyInfo("address", "udp://HOST:PORT or tcp://HOST:PORT",
                                  "where the aggregator listens for StatsD (a host name is "
                                  "resolved once, at start); also the destination's label in "
                                  "the relay's metrics and its hashing seed, so relays with the "
                                  "same addresses route alike"),
              [](const ConfigNode& node, RelayDestination& out) {
                if (!ParseRelayAddress(node.AsString(), out)) {
                  node.Fail("expected udp://HOST:PORT or tcp://HOST:PORT (port 1-65535, IPv6 as "
                            "[::1]), got \"" + node.AsString() + "\"");
                }
              },
              [](const RelayDestination& in) { return nlohmann::json(in.address); })
        .Required("a destination needs an address: udp://HOST:PORT or tcp://HOST:PORT")
        .Add(config::MakeKeyInfo("health_url", "http(s) URL",
                                 "checked every health_check_interval; a 2xx answer is healthy "
                                 "(metricsd and statsd_exporter: http://HOST:PORT/-/healthy). "
                                 "Without it a tcp destination is checked by connecting, and a "
                                 "udp destination is never marked down (a refused datagram "
                                 "cannot bring it back up)"),
             [](const ConfigNode& node, RelayDestination& out) {
               out.health_url = node.AsString();
               if (!ParseUrl(out.health_url)) {
                 node.Fail("expected an http:// or https:// URL, got \"" +
                           RedactUrl(out.health_url) + "\"");
               }
             },
             [](const RelayDestination& in) { return nlohmann::json(in.health_url); })
        .OmitWhen([](const RelayDestination& in) { return in.health_url.empty(); })
        .NoDefault();
    return destination;
  }();
  return *section;
}

}  // namespace

bool ParseRelayAddress(std::string_view text, RelayDestination& out) {
  RelayDestination::Protocol protocol;
  if (text.starts_with("udp://")) {
    protocol = RelayDestination::Protocol::kUdp;
  } else if (text.starts_with("tcp://")) {
    protocol = RelayDestination::Protocol::kTcp;
  } else {
    return false;
  }
  std::string_view rest = text.substr(6);
  std::string_view host, port_text;
  if (rest.starts_with('[')) {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return false;
    }
    host = rest.substr(1, close - 1);
    port_text = rest.substr(close + 2);
  } else {
    std::size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return false;  // IPv6 needs brackets
  }
  if (host.empty() || host.find_first_of("/ ?#@") != std::string_view::npos) return false;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return false;
  }
  out.protocol = protocol;
  out.address = std::string(text);
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(port);
  return true;
}

bool RelayConfig::operator==(const RelayConfig& other) const {
  return RelaySection().Render(*this) == RelaySection().Render(other);
}

const Section<RelayConfig>& RelaySection() {
  static const auto* section = &(*new Section<RelayConfig>(
      "Relay mode: every StatsD line received (UDP, TCP, unixgram, HTTP) is forwarded to one of "
      "the destinations, chosen by rendezvous hashing of its metric name and tags (tag order "
      "does not matter), so each series is aggregated by exactly one aggregator. A destination "
      "that fails its health checks gets no lines; its series go to their second choice, spread "
      "over the others, and come back, alone, when it recovers. Lines are relayed as received, "
      "malformed ones too (the aggregator counts them, as statsd_exporter's relay does). "
      "Between a destination's death and its detection, udp lines are lost; metricsd counts "
      "what it sees (refused datagrams, tcp send errors) in "
      "metricsd_statsd_relay_dropped_total. Changes take effect on restart."))
      .List("destinations", &RelayConfig::destinations, DestinationSection(),
            "the aggregators (at most 64, unique addresses); empty: no relay, lines are only "
            "aggregated here")
      .Bool("aggregate_locally", &RelayConfig::aggregate_locally,
            "also aggregate every line here (statsd_exporter's --statsd.relay.address does); "
            "false: this instance only relays, its StatsD families stay empty")
      .Dur("health_check_interval", &RelayConfig::health_check_interval,
           "how often each destination is checked", {std::chrono::milliseconds(100)})
      .Dur("health_check_timeout", &RelayConfig::health_check_timeout,
           "a check that takes longer fails", {std::chrono::milliseconds(10)})
      .Int("unhealthy_after", &RelayConfig::unhealthy_after, 1, 100,
           "consecutive failed checks that mark a destination down (one success marks it up "
           "again); a tcp send error or a refused udp datagram marks it down at once when it has "
           "a health check to bring it back")
      .Size("max_packet_size", &RelayConfig::max_packet_size, 64, 65507,
            "lines bound for one destination are batched into datagrams (udp) or writes (tcp) of "
            "at most this many bytes, as StatsD clients do (1432: fits an Ethernet MTU); a line "
            "longer than this is dropped and counted (reason=\"line_too_long\"; udp only: a tcp "
            "destination takes any line, its own max_line_length applies)")
      .Size("queue_size", &RelayConfig::queue_size, 1 << 16, std::int64_t{1} << 30,
            "bytes waiting to be written per tcp destination (while it connects or is slow); "
            "beyond it lines are dropped and counted (reason=\"queue_full\"); udp queues in the "
            "kernel's socket buffer, its overflow counted the same way")
      .Check("unique destination addresses, at most 64; health_check_timeout at most "
             "health_check_interval",
             [](const ConfigNode& node, RelayConfig& c) {
               if (c.health_check_timeout > c.health_check_interval) {
                 (node["health_check_timeout"].IsSet() ? node["health_check_timeout"]
                                                       : node["health_check_interval"])
                     .Fail("health_check_timeout (" + FormatDuration(c.health_check_timeout) +
                           ") must not exceed health_check_interval (" +
                           FormatDuration(c.health_check_interval) + ")");
               }
               std::vector<ConfigNode> items = node["destinations"].Items();
               if (c.destinations.size() > kMaxDestinations) {
                 node["destinations"].Fail("at most 64 destinations");
               }
               for (std::size_t i = 0; i < c.destinations.size() && i < items.size(); ++i) {
                 for (std::size_t j = 0; j < i; ++j) {
                   if (c.destinations[j].address == c.destinations[i].address) {
                     items[i].Fail("duplicate destination " + c.destinations[i].address);
                   }
                 }
               }
             });
  return *section;
}

}  // namespace metricsd::statsd
