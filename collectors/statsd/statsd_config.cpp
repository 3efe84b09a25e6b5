#include "collectors/statsd/statsd_config.h"

#include <algorithm>
#include <thread>

namespace metricsd::statsd {
namespace {

using config::Section;
using Kind = ListenerConfig::Kind;

inline constexpr EnumTable<Kind, 3> kListenerKinds{
    {{{Kind::kUdp, "udp"}, {Kind::kTcp, "tcp"}, {Kind::kUnixgram, "unixgram"}}}};

config::KeyInfo TextKey(std::string name, std::string type, std::string doc,
                        nlohmann::json schema = config::StringSchema()) {
  config::KeyInfo info;
  info.name = std::move(name);
  info.type = std::move(type);
  info.doc = std::move(doc);
  info.schema = std::move(schema);
  info.schema["description"] = info.doc;
  return info;
}

// udp: HOST:PORT, tcp: HOST:PORT or unixgram: PATH; exactly one per listener.
Section<ListenerConfig>& AddAddressKey(Section<ListenerConfig>& section, Kind kind) {
  std::string name(kListenerKinds.Name(kind));
  return section
      .Add(TextKey(name, "address", name + " listener: HOST:PORT"),
           [kind](const ConfigNode& node, ListenerConfig& out) {
             out.kind = kind;
             out.address = ListenAddressAt(node);
           },
           [](const ListenerConfig& in) { return nlohmann::json(in.address.ToString()); })
      .OmitWhen([kind](const ListenerConfig& in) { return in.kind != kind; });
}

const Section<ListenerConfig>& ListenerSection() {
  static const auto* section = [] {
    auto* listener = new Section<ListenerConfig>(
        "A StatsD listener: exactly one of udp, tcp (HOST:PORT) or unixgram (a socket path).");
    AddAddressKey(*listener, Kind::kUdp);
    AddAddressKey(*listener, Kind::kTcp);
    listener
        ->Add(TextKey("unixgram", "path", "unix datagram socket path (1 to 107 bytes)"),
              [](const ConfigNode& node, ListenerConfig& out) {
                out.kind = Kind::kUnixgram;
                out.path = node.AsString();
                if (out.path.empty() || out.path.size() >= 108) {
                  node.Fail("must be a socket path of 1 to 107 bytes");
                }
              },
              [](const ListenerConfig& in) { return nlohmann::json(in.path); })
        .OmitWhen([](const ListenerConfig& in) { return in.kind != Kind::kUnixgram; })
        .Add(TextKey("mode", "octal string", "unixgram socket file mode, such as \"0660\""),
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
  config::KeyInfo info = TextKey(std::move(name), "statsd_exporter mapping", std::move(doc),
                                 {{"$ref", "#/definitions/" + definition}});
  return info;
}

const Section<StatsdConfig>& TcpSection() {
  static const auto* section = &(*new Section<StatsdConfig>("TCP listeners."))
      .Int("max_connections", &StatsdConfig::tcp_max_connections, 1, 1 << 20,
           "connections beyond this are closed at once (counted in "
           "metricsd_statsd_tcp_connections_closed_total)")
      .Dur("idle_timeout", &StatsdConfig::tcp_idle_timeout,
           "an idle connection is closed after this; 0s: never");
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
               "origins allowed by CORS (browsers posting StatsD lines); \"*\" allows any")
      .Size("max_body_bytes", &StatsdConfig::http_max_body, 1024, 64 << 20,
            "largest request body accepted; larger ones are answered 413");
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
            "where StatsD lines arrive; --statsd.listen-udp/-tcp/-unixgram replace those of "
            "their kind")
      .Int("receivers", &StatsdConfig::receivers, 0, 64,
           "UDP receiver threads per UDP listener (SO_REUSEPORT); 0: one per core")
      .Size("read_buffer", &StatsdConfig::read_buffer, 0, std::int64_t{1} << 30,
            "SO_RCVBUF of UDP sockets; 0: the kernel's default")
      .Int("max_line_length", &StatsdConfig::max_line_length, 16, 1 << 20,
           "longer lines are dropped (counted, reason line_too_long)")
      .Int("max_series", &StatsdConfig::max_series, 1, 100000000,
           "series kept at most; new ones beyond are dropped and counted")
      .Size("max_series_bytes", &StatsdConfig::max_series_bytes, 1 << 16, std::int64_t{1} << 40,
            "memory the series and their exposition may take; new series beyond are dropped "
            "and counted")
      .Int("max_name_length", [](auto& c) -> auto& { return c.limits.max_name_length; }, 1,
           1 << 20, "longest metric or label name accepted")
      .Int("max_label_value_length",
           [](auto& c) -> auto& { return c.limits.max_label_value_length; }, 1, 1 << 20,
           "longest label value accepted")
      .Block("tcp", [](auto& c) -> auto& { return c; }, TcpSection(), "TCP listeners")
      .Int("line_cache_size", &StatsdConfig::line_cache_size, 1, 100000000,
           "line identities remembered per receiver (skips parsing and mapping of repeats)")
      .Block("dialects", [](auto& c) -> auto& { return c; }, DialectsSection(),
             "tag formats understood besides plain StatsD")
      .Path("mapping_file", &StatsdConfig::mapping_file,
            "a statsd_exporter mapping file, relative to this file; exclusive with inline "
            "defaults/mappings")
      .OmitWhen([](const StatsdConfig& c) { return c.mapping_file.empty(); })
      .Add(MappingKey("defaults", "inline statsd_exporter mapping defaults", "mapping_defaults"),
           [](const ConfigNode&, StatsdConfig&) {},
           [](const StatsdConfig& c) { return c.mapper->config().ToJson()["defaults"]; })
      .OmitWhen([](const StatsdConfig& c) { return !c.mapping_file.empty() || !c.mapper; })
      .Add(MappingKey("mappings", "inline statsd_exporter mappings, first match wins",
                      "mappings"),
           [](const ConfigNode&, StatsdConfig&) {},
           [](const StatsdConfig& c) { return c.mapper->config().ToJson()["mappings"]; })
      .OmitWhen([](const StatsdConfig& c) { return !c.mapping_file.empty() || !c.mapper; })
      .Block("http", [](auto& c) -> auto& { return c; }, HttpSection(),
             "StatsD lines over HTTP (POST /api/v1/statsd)")
      .Check("listeners are unique; mapping_file or inline defaults/mappings, not both",
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
