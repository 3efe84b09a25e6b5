#include "collectors/probes/probe_config.h"

#include <algorithm>
#include <charconv>

#include "daemon/client/exchange.h"
#include "daemon/client/url_key.h"
#include "daemon/core/listen_address.h"
#include "daemon/core/secret.h"

namespace metricsd::probes {
namespace {

using config::Section;

inline constexpr EnumTable<ProbeType, 4> kProbeTypes{{{{ProbeType::kHttp, "http"},
                                                       {ProbeType::kTcp, "tcp"},
                                                       {ProbeType::kAoDryrun, "ao_dryrun"},
                                                       {ProbeType::kAoUnit, "ao_unit"}}}};
inline constexpr EnumTable<AoUnit, 3> kAoUnits{
    {{{AoUnit::kCu, "cu"}, {AoUnit::kMu, "mu"}, {AoUnit::kSu, "su"}}}};
inline constexpr EnumTable<bool, 2> kIpProtocols{{{{false, "ip4"}, {true, "ip6"}}}};

// fail_if_body_(not_)matches_regexp: a list of RE2 patterns.
template <class Get>
Section<TargetConfig>& RegexList(Section<TargetConfig>& section, std::string name, Get get,
                                 std::string doc) {
  return section.Add(
      config::MakeKeyInfo(std::move(name), "list of regexes", std::move(doc),
          {{"type", {"array", "null"}}, {"items", config::StringSchema()}}),
      [get](const ConfigNode& node, TargetConfig& out) {
        for (const ConfigNode& item : node.Items()) {
          std::invoke(get, out).push_back(RegexAt(item).regex);
        }
      },
      [get](const TargetConfig& in) {
        nlohmann::json patterns = nlohmann::json::array();
        for (const auto& regex : std::invoke(get, in)) patterns.push_back(regex ? regex->pattern() : "");
        return patterns;
      });
}

bool IsHttp(const TargetConfig& t) { return t.type == ProbeType::kHttp; }
bool IsTcp(const TargetConfig& t) { return t.type == ProbeType::kTcp; }
bool IsDryrun(const TargetConfig& t) { return t.type == ProbeType::kAoDryrun; }

const Section<FirstMessageTag>& FirstMessageTagSection() {
  static const auto* section = &(*new Section<FirstMessageTag>(
      "A tag the first message of the answer must carry."))
      .String("name", &FirstMessageTag::name, "tag name").Required()
      .String("value", &FirstMessageTag::value, "tag value").Required();
  return *section;
}

const Section<DryrunExpect>& ExpectSection() {
  static const auto* section = &(*new Section<DryrunExpect>(
      "Checks of the dry-run's answer; all configured must hold."))
      .Bool("no_error", &DryrunExpect::no_error, "the answer has no Error")
      .Int("min_messages", &DryrunExpect::min_messages, 0, 100000,
           "at least this many Messages")
      .Add(config::MakeKeyInfo("json", "map of JSON pointer to string", "each JSON pointer holds that value",
               {{"type", {"object", "null"}}, {"additionalProperties", config::StringSchema()}}),
           [](const ConfigNode& node, DryrunExpect& out) {
             for (auto& [pointer, value] : node.Entries()) {
               try {
                 nlohmann::json::json_pointer check(pointer);
               } catch (const nlohmann::json::exception&) {
                 value.Fail("invalid JSON pointer \"" + pointer + "\"");
               }
               out.pointers.emplace_back(pointer, nlohmann::json(value.AsString()));
             }
           },
           [](const DryrunExpect& in) {
             nlohmann::json out = nlohmann::json::object();
             for (const auto& [pointer, value] : in.pointers) out[pointer] = value;
             return out;
           })
      .Block("first_message_tag", [](auto& e) -> auto& { return e.first_message_tag; },
             FirstMessageTagSection(), "a tag of the first message")
      .OmitWhen([](const DryrunExpect& e) { return !e.first_message_tag; });
  return *section;
}

void FinishTarget(const ConfigNode& node, TargetConfig& target);

const Section<TargetConfig>& TargetSection() {
  static const auto* section = [] {
    auto* target = new Section<TargetConfig>(
        "A probe target: http, tcp, ao_dryrun (an AO dry-run through a CU) or ao_unit.");
    target->String("name", &TargetConfig::name, "the target label; unique")
        .DefaultNote("the url or address")
        .Enum("type", &TargetConfig::type, kProbeTypes, "what the probe does")
        .Required("needs a type (http, tcp, ao_dryrun or ao_unit)");
    AddUrlKey(*target, "url", &TargetConfig::url, "the CU (ao_dryrun), the unit (ao_unit), the page (http)")
        .OmitWhen(IsTcp);
    target
        ->String("address", &TargetConfig::address, "tcp: HOST:PORT (host names allowed)")
        .OmitWhen([](const TargetConfig& t) { return !IsTcp(t); })
        .Dur("interval", &TargetConfig::interval, "time between probes (at least 100ms)")
        .DefaultNote("probes.defaults.interval")
        .Dur("timeout", &TargetConfig::timeout, "time a probe may take, less than the interval")
        .DefaultNote("probes.defaults.timeout")
        .Buckets("buckets", &TargetConfig::buckets, "latency histogram buckets, seconds")
        .DefaultNote("probes.defaults.buckets")
        .Block("tls", &TargetConfig::tls, TlsSection(),
               "TLS of https URLs; for tcp, its presence asks for a TLS handshake")
        .OmitWhen([](const TargetConfig& t) { return IsTcp(t) && !t.tcp_tls; })
        .String("method", [](auto& t) -> auto& { return t.http.method; }, "http: the method")
        .OmitWhen([](const TargetConfig& t) { return !IsHttp(t); })
        .StringMap("headers", [](auto& t) -> auto& { return t.http.headers; },
                   "http: request headers (every value is a secret)", /*secret=*/true)
        .OmitWhen([](const TargetConfig& t) { return !IsHttp(t); })
        .String("body", [](auto& t) -> auto& { return t.http.body; }, "http: request body",
                /*secret=*/true)
        .OmitWhen([](const TargetConfig& t) { return !IsHttp(t); })
        .Add(config::MakeKeyInfo("valid_status_codes", "list of codes or Nxx",
                 "http: statuses that succeed (200, \"2xx\"); empty: 2xx",
                 {{"type", {"array", "null"}},
                  {"items", {{"anyOf", {{{"type", "integer"}, {"minimum", 100}, {"maximum", 599}},
                                        {{"type", "string"}, {"pattern", "^([1-5]xx|[1-5][0-9][0-9])$"}}}}}}}),
             [](const ConfigNode& node, TargetConfig& out) {
               for (const ConfigNode& item : node.Items()) {
                 std::string text = item.AsString();  // 200, or "2xx"
                 if (text.size() == 3 && text.substr(1) == "xx" && text[0] >= '1' && text[0] <= '5') {
                   unsigned base = static_cast<unsigned>(text[0] - '0') * 100;
                   out.http.valid_status_codes.emplace_back(base, base + 99);
                   continue;
                 }
                 // 200 or "200": the schema allows both spellings.
                 unsigned code = 0;
                 auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
                 if (ec != std::errc() || end != text.data() + text.size() || code < 100 || code > 599) {
                   item.Fail("expected a status code (100 to 599) or a class such as \"2xx\", got \"" + text + "\"");
                 }
                 out.http.valid_status_codes.emplace_back(code, code);
               }
             },
             [](const TargetConfig& in) {
               nlohmann::json codes = nlohmann::json::array();
               for (auto [low, high] : in.http.valid_status_codes) {
                 codes.push_back(low == high ? std::to_string(low) : std::to_string(low / 100) + "xx");
               }
               return codes;
             })
        .OmitWhen([](const TargetConfig& t) { return !IsHttp(t); });
    RegexList(*target, "fail_if_body_matches_regexp",
              [](auto& t) -> auto& { return t.http.fail_if_body_matches; },
              "http: fail when the body matches any")
        .OmitWhen([](const TargetConfig& t) { return !IsHttp(t); });
    RegexList(*target, "fail_if_body_not_matches_regexp",
              [](auto& t) -> auto& { return t.http.fail_if_body_not_matches; },
              "http: fail unless the body matches each")
        .OmitWhen([](const TargetConfig& t) { return !IsHttp(t); });
    target
        ->Bool("follow_redirects", [](auto& t) -> auto& { return t.http.follow_redirects; },
               "http: follow up to 10 redirects as Go's client (blackbox_exporter) does: 301/302/303 "
               "turn any method but GET/HEAD into GET without the body, 307/308 keep both; once a hop "
               "leaves the first URL's host and port, Authorization, Cookie and the like are not sent "
               "again")
        .OmitWhen([](const TargetConfig& t) { return !IsHttp(t); })
        .Enum("ip_protocol", [](auto& t) -> auto& { return t.http.prefer_ip6; }, kIpProtocols,
              "http: the address family tried first (the other is the fallback)")
        .OmitWhen([](const TargetConfig& t) { return !IsHttp(t); })
        .Size("body_size_limit", [](auto& t) -> auto& { return t.http.body_size_limit; }, 1,
              std::int64_t{1} << 30, "larger answers are bad_response")
        .OmitWhen(IsTcp)
        .Bool("allow_insecure_redirect",
              [](auto& t) -> auto& { return t.http.allow_insecure_redirect; },
              "follow a redirect from https to http (credential headers are dropped on it); off, "
              "such a probe fails as http_error with the reason in last_error")
        .DefaultNote("probes.defaults.allow_insecure_redirect")
        .OmitWhen(IsTcp)
        .String("process_id", [](auto& t) -> auto& { return t.dryrun.process_id; },
                "ao_dryrun: POST URL/dry-run?process-id=PID")
        .OmitWhen([](const TargetConfig& t) { return !IsDryrun(t); })
        .String("action", [](auto& t) -> auto& { return t.dryrun.action; },
                "ao_dryrun: the Action tag (first of the message's Tags)")
        .OmitWhen([](const TargetConfig& t) { return !IsDryrun(t); })
        .StringMap("tags", [](auto& t) -> auto& { return t.dryrun.tags; },
                   "ao_dryrun: tags besides Action")
        .OmitWhen([](const TargetConfig& t) { return !IsDryrun(t); })
        .String("data", [](auto& t) -> auto& { return t.dryrun.data; },
                "ao_dryrun: the message's Data", /*secret=*/true)
        .OmitWhen([](const TargetConfig& t) { return !IsDryrun(t); })
        .String("owner", [](auto& t) -> auto& { return t.dryrun.owner; },
                "ao_dryrun: the Owner (From) of the message")
        .OmitWhen([](const TargetConfig& t) { return !IsDryrun(t); })
        .Bool("cache_bust", [](auto& t) -> auto& { return t.dryrun.cache_bust; },
              "ao_dryrun: a fresh 43-character Id and a new Anchor per call (the CU caches a dry-run "
              "by its body for 60 s); false measures the cached path")
        .OmitWhen([](const TargetConfig& t) { return !IsDryrun(t); })
        .Block("expect", [](auto& t) -> auto& { return t.dryrun.expect; }, ExpectSection(),
               "ao_dryrun: checks of the answer")
        .OmitWhen([](const TargetConfig& t) { return !IsDryrun(t); })
        .Enum("unit", &TargetConfig::unit, kAoUnits, "ao_unit: cu (GET / -> {address, timestamp}), mu (ao messenger unit), su (GET / and "
              "GET /timestamp -> block_height)")
        .OmitWhen([](const TargetConfig& t) { return t.type != ProbeType::kAoUnit; })
        .Check("keys of another type are refused; tcp address is HOST:PORT; ao_dryrun needs "
               "process_id and action",
               [](const ConfigNode& node, TargetConfig& t) { FinishTarget(node, t); });
    return target;
  }();
  return *section;
}

// What keys cannot say alone: keys of another type, the tcp address, the TLS context, the
// name. Interval, timeout and buckets inherit probes.defaults in the section's check.
void FinishTarget(const ConfigNode& node, TargetConfig& target) {
  auto only_for = [&](std::initializer_list<std::string_view> keys, bool allowed, std::string_view types) {
    for (std::string_view key : keys) {
      if (!allowed && node[key].IsSet()) node[key].Fail("only for type " + std::string(types));
    }
  };
  bool http = IsHttp(target);
  only_for({"method", "headers", "body", "valid_status_codes", "fail_if_body_matches_regexp",
            "fail_if_body_not_matches_regexp", "follow_redirects", "ip_protocol"}, http, "http");
  only_for({"process_id", "action", "tags", "data", "owner", "cache_bust", "expect"},
           IsDryrun(target), "ao_dryrun");
  only_for({"unit"}, target.type == ProbeType::kAoUnit, "ao_unit");
  only_for({"address"}, IsTcp(target), "tcp");
  only_for({"url", "allow_insecure_redirect", "body_size_limit"}, !IsTcp(target),
           "http, ao_dryrun, ao_unit");
  if (http && target.http.method.empty()) node["method"].Fail("must not be empty");
  if (IsDryrun(target)) {
    for (std::string_view key : {"process_id", "action"}) {
      if (!node[key].IsSet()) node[key].Fail("expected a string, got nothing");
    }
    if (target.dryrun.process_id.empty()) node["process_id"].Fail("must not be empty");
    if (target.dryrun.action.empty()) node["action"].Fail("must not be empty");
  }
  if (target.type == ProbeType::kAoUnit && !node["unit"].IsSet()) node.Fail("needs a unit (cu, mu or su)");

  if (IsTcp(target)) {
    if (!node["address"].IsSet()) node.Fail("needs an address (HOST:PORT)");
    std::optional<ListenAddress> parsed = ParseListenAddress(target.address);
    if (!parsed || parsed->host.empty() || parsed->port == 0) {
      // Host names are allowed here (ParseListenAddress takes IP literals and localhost).
      std::size_t colon = target.address.rfind(':');
      unsigned port = 0;
      std::string port_text = colon == std::string::npos ? "" : target.address.substr(colon + 1);
      auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      if (colon == std::string::npos || colon == 0 || ec != std::errc() ||
          end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
        node["address"].Fail("invalid address \"" + target.address + "\" (expected HOST:PORT)");
      }
      target.tcp_host = target.address.substr(0, colon);
      if (target.tcp_host.size() > 2 && target.tcp_host.front() == '[') {
        target.tcp_host = target.tcp_host.substr(1, target.tcp_host.size() - 2);
      }
      target.tcp_port = static_cast<std::uint16_t>(port);
    } else {
      target.tcp_host = parsed->host;
      target.tcp_port = parsed->port;
    }
    target.tcp_tls = node["tls"].IsSet();
  } else if (!target.url) {
    node.Fail("needs a url");
  }
  if (!IsTcp(target) || target.tcp_tls) {
    // Even for an http:// URL: a redirect may lead to https.
    try {
      target.tls_context = MakeTlsContext(target.tls.ca_file, target.tls.insecure_skip_verify);
    } catch (const std::exception& e) {
      (node["tls"].IsSet() ? node["tls"] : node).Fail(e.what());
    }
  }
  if (target.name.empty()) target.name = IsTcp(target) ? target.address : target.url->ToString();
}

const Section<ProbesConfig>& DefaultsSection() {
  static const auto* section = &(*new Section<ProbesConfig>("What targets inherit."))
      .Dur("interval", &ProbesConfig::interval,
           "per target; start times are spread over it (at least 100ms)")
      .Dur("timeout", &ProbesConfig::timeout, "must be less than the interval")
      .Buckets("buckets", &ProbesConfig::buckets, "of metricsd_probe_duration_seconds and ao_dryrun_duration_seconds")
      .Bool("allow_insecure_redirect", &ProbesConfig::allow_insecure_redirect,
            "follow redirects from https to http (blackbox_exporter's client does silently)");
  return *section;
}

}  // namespace

const Section<ProbesConfig>& ProbesSection() {
  static const auto* section = &(*new Section<ProbesConfig>(
      "Probes with blackbox_exporter's probe_* families: HTTP, TCP and AO units."))
      .Block("defaults", [](auto& c) -> auto& { return c; }, DefaultsSection(),
             "what every target inherits")
      .Int("max_concurrency", &ProbesConfig::max_concurrency, 1, 100000,
           "probes in flight at once")
      .List("targets", &ProbesConfig::targets, TargetSection(), "the targets probed")
      .Check("interval ≥ 100ms and timeout < interval per target; target names are unique",
             [](const ConfigNode& node, ProbesConfig& config) {
               std::vector<ConfigNode> items = node["targets"].Items();
               for (std::size_t i = 0; i < config.targets.size(); ++i) {
                 TargetConfig& target = config.targets[i];
                 const ConfigNode& item = items[i];
                 if (!item["interval"].IsSet()) target.interval = config.interval;
                 if (!item["timeout"].IsSet()) target.timeout = config.timeout;
                 if (!item["buckets"].IsSet()) target.buckets = config.buckets;
                 if (!item["allow_insecure_redirect"].IsSet()) {
                   target.http.allow_insecure_redirect = config.allow_insecure_redirect;
                 }
                 if (target.interval.count() < 100) item["interval"].Fail("must be at least 100ms");
                 if (target.timeout.count() <= 0) item["timeout"].Fail("must be greater than 0");
                 if (target.timeout >= target.interval) {
                   (item["timeout"].IsSet() ? item["timeout"] : item).Fail(
                       "timeout (" + FormatDuration(target.timeout) + ") must be less than interval (" +
                       FormatDuration(target.interval) + ")");
                 }
                 for (std::size_t j = 0; j < i; ++j) {
                   if (config.targets[j].name == target.name) {
                     item.Fail("duplicate target name \"" + target.name + "\" (set `name`)");
                   }
                 }
               }
             });
  return *section;
}

std::string_view UnitName(AoUnit unit) { return kAoUnits.Name(unit); }

std::string_view TypeName(ProbeType type) { return kProbeTypes.Name(type); }

bool HttpOptions::ValidStatus(unsigned status) const {
  if (valid_status_codes.empty()) return status >= 200 && status <= 299;
  for (auto [low, high] : valid_status_codes) {
    if (status >= low && status <= high) return true;
  }
  return false;
}

ProbesConfig ParseProbesConfig(const ConfigNode& node) { return ProbesSection().Parse(node); }

nlohmann::json TargetConfig::ToJson() const { return TargetSection().Render(*this); }

nlohmann::json ProbesConfig::ToJson() const { return ProbesSection().Render(*this); }

}  // namespace metricsd::probes
