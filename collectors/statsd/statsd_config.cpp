#include "collectors/statsd/statsd_config.h"

#include <algorithm>
#include <thread>

namespace metricsd::statsd {
namespace {

using config::Section;
using Kind = ListenerConfig::Kind;

inline constexpr EnumTable<Kind, 3> kListenerKinds{
    {{{Kind::kUdp, "udp"}, {Kind::kTcp, "tcp"}, {Kind::kUnixgram, "unixgram"}}}};

// udp: HOST:PORT, tcp: HOST:PORT or unixgram: PATH; exactly one per listener.
Section<ListenerConfig>& AddAddressKey(Section<ListenerConfig>& section, Kind kind) {
  std::string name(kListenerKinds.Name(kind));
  return section
      .Add(config::MakeKeyInfo(name, "address", name + " listener: HOST:PORT"),
           [kind](const ConfigNode& node, ListenerConfig& out) {
             out.kind = kind;
             out.address = ListenAddressAt(node);
           },
           [](const ListenerConfig& in) { return nlohmann::json(in.address.ToString()); })
      .OmitWhen([kind](const ListenerConfig& in) { return in.kind != kind; })
      .NoDefault();
}

const Section<ListenerConfig>& ListenerSection() {
  static const auto* section = [] {
    auto* listener = new Section<ListenerConfig>(
        "A StatsD listener: exactly one of udp, tcp (HOST:PORT) or unixgram (a socket path).");
    AddAddressKey(*listener, Kind::kUdp);
    AddAddressKey(*listener, Kind::kTcp);
    listener
        ->Add(config::MakeKeyInfo("unixgram", "path", "unix datagram socket path (1 to 107 bytes)"),
              [](const ConfigNode& node, ListenerConfig& out) {
                out.kind = Kind::kUnixgram;
                out.path = node.AsString();
                if (out.path.empty() || out.path.size() >= 108) {
                  node.Fail("must be a socket path of 1 to 107 bytes");
                }
              },
              [](const ListenerConfig& in) { return nlohmann::json(in.path); })
        .OmitWhen([](const ListenerConfig& in) { return in.kind != Kind::kUnixgram; })
        .NoDefault()
        .Add(config::MakeKeyInfo("mode", "octal string", "unixgram socket file mode, such as \"0660\""),
             [](const ConfigNode& node, ListenerConfig& out) {
               std::string text = node.AsString();
               char* end = nullptr;
               unsigned long mode = std::strtoul(text.c_str(), &end, 8);
               if (text.empty() || *end != '\0' || mode > 0777) {
                 node.Fail("expected an octal file mode such as \"0660\"");
               }
               out.mode = static_cast<std::uint32_t>(mode);
             },
             [](const ListenerConfig& in) {
               char text[8];
               std::snprintf(text, sizeof text, "%04o", in.mode);
               return nlohmann::json(text);
             })
        .OmitWhen([](const ListenerConfig& in) { return in.kind != Kind::kUnixgram; })
        .Check("exactly one of udp, tcp, unixgram; mode only with unixgram",
               [](const ConfigNode& node, ListenerConfig& out) {
                 int kinds = node["udp"].IsSet() + node["tcp"].IsSet() + node["unixgram"].IsSet();
                 if (kinds != 1) {
                   node.Fail("a listener is exactly one of udp: HOST:PORT, tcp: HOST:PORT, unixgram: PATH");
                 }
                 if (node["mode"].IsSet() && out.kind != Kind::kUnixgram) {
                   node["mode"].Fail("only unixgram listeners have a mode");
                 }
               });
    return listener;
  }();
  return *section;
}

// The inline statsd_exporter mapping (defaults, mappings) or a mapping file: both keys are
// parsed together by ParseMappingConfig, in the section's check.
config::KeyInfo MappingKey(std::string name, std::string doc, std::string definition) {
  return config::MakeKeyInfo(std::move(name), "statsd_exporter mapping", std::move(doc),
                             {{"$ref", "#/definitions/" + definition}});
}

const Section<StatsdConfig>& TcpSection() {
  static const auto* section = &(*new Section<StatsdConfig>("TCP listeners."))
      .Int("max_connections", &StatsdConfig::tcp_max_connections, 1, 1 << 20,
           "StatsD TCP connections over all TCP listeners; one beyond is closed at once and "
           "counted (metricsd_statsd_tcp_connections_closed_total{reason=\"max_connections\"}); "
           "an idle connection costs well under 1 KiB")
      .Dur("idle_timeout", &StatsdConfig::tcp_idle_timeout,
           "a connection that sends nothing this long is closed and counted "
           "(reason=\"idle_timeout\"; 0s: never); statsd_exporter has none, 5m outlasts any "
           "client's flush interval");
  return *section;
}

const Section<StatsdConfig>& DialectsSection() {
  static const auto* section = &(*new Section<StatsdConfig>("Tag dialects accepted."))
      .Bool("dogstatsd", [](auto& c) -> auto& { return c.parse.dogstatsd_tags; },
            "DogStatsD tags: name:1|c|#tag:value,tag2:value2")
      .Bool("influxdb", [](auto& c) -> auto& { return c.parse.influxdb_tags; },
            "InfluxDB tags: name,tag=value:1|c")
      .Bool("librato", [](auto& c) -> auto& { return c.parse.librato_tags; },
            "Librato tags: name#tag=value:1|c")
      .Bool("signalfx", [](auto& c) -> auto& { return c.parse.signalfx_tags; },
            "SignalFx tags: name[tag=value]:1|c");
  return *section;
}

const Section<StatsdConfig>& HttpSection() {
  static const auto* section = &(*new Section<StatsdConfig>("POST /api/v1/statsd."))
      .Strings("allowed_origins", &StatsdConfig::http_allowed_origins,
               "CORS origins allowed to POST StatsD lines (\"*\": any); empty refuses every browser "
               "origin")
      .Size("max_body_bytes", &StatsdConfig::http_max_body, 1024, 64 << 20,
            "larger bodies are answered 413");
  return *section;
}

}  // namespace

std::string ListenerConfig::ToString() const {
  if (kind == Kind::kUnixgram) return "unixgram://" + path;
  return std::string(kListenerKinds.Name(kind)) + "://" + address.ToString();
}

MappingConfig LoadMappingFile(const std::string& path) {
  ConfigNode root = ParseYaml(ReadConfigFile(path), path);
  root.ExpectKeys({"defaults", "mappings"});
  return ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary);
}

int StatsdConfig::EffectiveReceivers() const {
  if (receivers > 0) return receivers;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

const Section<StatsdConfig>& StatsdSection() {
  static const auto* section = &(*new Section<StatsdConfig>(
      "StatsD ingestion as statsd_exporter does it: the same line formats, mapping format and "
      "names."))
      .Bool("enabled", &StatsdConfig::enabled, "false: no listener, no StatsD families")
      .List("listeners", &StatsdConfig::listeners, ListenerSection(),
            "each exactly one of udp: HOST:PORT, tcp: HOST:PORT (newline-delimited stream) or "
            "unixgram: PATH (+ mode; a stale socket file is replaced, the file is removed on exit); "
            "IPv6 as [::1]:8125, every interface as :8125; changes take effect on restart; "
            "--statsd.listen-udp/-tcp/-unixgram replace those of their kind")
      .Int("receivers", &StatsdConfig::receivers, 0, 64,
           "UDP receiver threads per UDP listener, each with its own SO_REUSEPORT socket and "
           "shard (the kernel spreads senders over them by flow); 0: one per core")
      .Size("read_buffer", &StatsdConfig::read_buffer, 0, std::int64_t{1} << 30,
            "SO_RCVBUF of UDP sockets (0: the kernel's default): it absorbs bursts and the moments a "
            "receiver is not scheduled; the kernel caps it at net.core.rmem_max unless metricsd has "
            "CAP_NET_ADMIN (systemd/sysctl.d/50-metricsd.conf raises that to 8 MiB; a capped "
            "buffer is logged at start)")
      .Int("max_line_length", &StatsdConfig::max_line_length, 16, 1 << 20,
           "longer lines are dropped and counted (reason=\"line_too_long\"); a TCP connection stays "
           "open")
      .Int("max_series", &StatsdConfig::max_series, 1, 100000000,
           "a new series beyond this is dropped and counted; existing ones keep updating")
      .Size("max_series_bytes", &StatsdConfig::max_series_bytes, 1 << 16, std::int64_t{1} << 40,
            "a byte budget for the series table: each series is charged its record and slots plus "
            "its key once per exposition line it renders, so it bounds both memory and the size of "
            "a scrape (metricsd_statsd_series_bytes); a new series beyond is dropped and counted "
            "(reason=\"max_series_bytes\"); 64 MiB holds 100,000 series of ~500 bytes of labels")
      .Int("max_name_length", [](auto& c) -> auto& { return c.limits.max_name_length; }, 1,
           1 << 20, "longer metric names (after mapping) are dropped and counted "
           "(metricsd_statsd_events_error_total{reason=\"metric_name_too_long\"})")
      .Int("max_label_value_length",
           [](auto& c) -> auto& { return c.limits.max_label_value_length; }, 1, 1 << 20,
           "longer label values are dropped and counted (reason=\"label_value_too_long\"): room for "
           "a path or a URL, not for a payload")
      .Block("tcp", [](auto& c) -> auto& { return c; }, TcpSection(), "TCP listeners")
      .Int("line_cache_size", &StatsdConfig::line_cache_size, 1, 100000000,
           "distinct lines (name, type, rate, tags as sent) each receiver remembers, so a repeated "
           "line costs a hash lookup and a number parse; when full, each new line replaces one picked "
           "at random, so more distinct lines than this cost more gradually; about 25 bytes plus "
           "the line's name and tags each, held once seen")
      .Block("dialects", [](auto& c) -> auto& { return c; }, DialectsSection(),
             "tag formats understood besides plain StatsD")
      .Path("mapping_file", &StatsdConfig::mapping_file,
            "a statsd_exporter mapping file, relative to this file (schema: "
            "config/schema/statsd-mapping.schema.json); its errors name its own file:line:column; "
            "exclusive with inline defaults/mappings")
      .OmitWhen([](const StatsdConfig& c) { return c.mapping_file.empty(); })
      .Add(MappingKey("defaults", "the mapping file's defaults, inline (statsd_exporter's: timers as summaries)", "mapping_defaults"),
           [](const ConfigNode&, StatsdConfig&) {},
           [](const StatsdConfig& c) {
             return c.mapper ? c.mapper->config().ToJson()["defaults"] : nlohmann::json();
           })
      .DefaultNote("statsd_exporter's: observer_type summary (quantiles 0.5, 0.9, 0.99), "
                   "histogram buckets 5 ms .. 10 s, no ttl")
      .OmitWhen([](const StatsdConfig& c) { return !c.mapping_file.empty() || !c.mapper; })
      .Add(MappingKey("mappings", "inline statsd_exporter mappings, first match wins",
                      "mappings"),
           [](const ConfigNode&, StatsdConfig&) {},
           [](const StatsdConfig& c) {
             return c.mapper ? c.mapper->config().ToJson()["mappings"] : nlohmann::json::array();
           })
      .OmitWhen([](const StatsdConfig& c) { return !c.mapping_file.empty() || !c.mapper; })
      .Block("http", [](auto& c) -> auto& { return c; }, HttpSection(),
             "StatsD lines over HTTP (POST /api/v1/statsd)")
      .Block("relay", &StatsdConfig::relay, RelaySection(),
             "relay mode: forward every line to one of several aggregators by consistent hashing "
             "of its series, with health checks (horizontal scaling of StatsD)")
      .Check("listeners are unique; mapping_file or inline defaults/mappings, not both; a "
             "mapping needs a name unless action: drop; histogram_options only with a histogram "
             "observer, summary_options only with a summary one (the default)",
             [](const ConfigNode& node, StatsdConfig& c) {
               std::vector<ConfigNode> items = node["listeners"].Items();
               for (std::size_t i = 0; i < c.listeners.size() && i < items.size(); ++i) {
                 for (std::size_t j = 0; j < i; ++j) {
                   if (c.listeners[j] == c.listeners[i]) {
                     items[i].Fail("duplicate listener " + c.listeners[i].ToString());
                   }
                 }
               }
               MappingConfig mapping;
               if (!c.mapping_file.empty()) {
                 if (node["mappings"].IsSet() || node["defaults"].IsSet()) {
                   node["mapping_file"].Fail(
                       "use either mapping_file or inline defaults/mappings, not both");
                 }
                 mapping = LoadMappingFile(c.mapping_file);
               } else {
                 mapping = ParseMappingConfig(node["defaults"], node["mappings"],
                                              ObserverType::kSummary);
               }
               c.mapper = std::make_shared<const Mapper>(std::move(mapping));
             });
  return *section;
}

StatsdConfig ParseStatsdConfig(const ConfigNode& node) { return StatsdSection().Parse(node); }

nlohmann::json StatsdConfig::ToJson() const { return StatsdSection().Render(*this); }

}  // namespace metricsd::statsd
