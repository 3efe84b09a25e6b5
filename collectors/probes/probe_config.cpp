#include "collectors/probes/probe_config.h"

#include <algorithm>
#include <charconv>
#include <fstream>

#include "daemon/client/exchange.h"
#include "daemon/core/listen_address.h"
#include "daemon/core/secret.h"

namespace metricsd::probes {
namespace {

// Latency buckets from 5 ms to 10 s: AO dry-runs take tens of ms to seconds.
const std::vector<double>& DefaultBuckets() {
  static const std::vector<double> buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return buckets;
}


Url UrlAt(const ConfigNode& node) {
  std::string text = node.AsString();
  std::optional<Url> url = ParseUrl(text);
  // Redacted: a password in the userinfo must not reach --check-config's output or the log.
  if (!url) node.Fail("invalid URL \"" + RedactUrl(text) + "\" (expected http://HOST[:PORT]/... or https://...)");
  return *url;
}

std::shared_ptr<const RE2> RegexAt(const ConfigNode& node) {
  auto regex = std::make_shared<const RE2>(node.AsString(), RE2::Quiet);
  if (!regex->ok()) node.Fail("invalid regular expression: " + regex->error());
  return regex;
}

std::vector<std::pair<std::string, std::string>> StringMap(const ConfigNode& node) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [key, value] : node.Entries()) out.emplace_back(key, value.AsString());
  return out;
}

TlsOptions ParseTls(const ConfigNode& node) {
  node.ExpectKeys({"ca_file", "insecure_skip_verify", "server_name"});
  TlsOptions tls;
  tls.ca_file = node.GetString("ca_file", "");
  if (!tls.ca_file.empty() && !std::ifstream(tls.ca_file)) node["ca_file"].Fail("cannot read " + tls.ca_file);
  tls.insecure_skip_verify = node.GetBool("insecure_skip_verify", false);
  tls.server_name = node.GetString("server_name", "");
  return tls;
}

void ParseStatusCodes(const ConfigNode& node, HttpOptions& http) {
  for (const ConfigNode& item : node.Items()) {
    std::string text = item.AsString();  // 200, or "2xx"
    if (text.size() == 3 && text.substr(1) == "xx" && text[0] >= '1' && text[0] <= '5') {
      unsigned base = static_cast<unsigned>(text[0] - '0') * 100;
      http.valid_status_codes.emplace_back(base, base + 99);
      continue;
    }
    unsigned code = static_cast<unsigned>(item.AsInt(100, 599));
    http.valid_status_codes.emplace_back(code, code);
  }
}

void ParseHttp(const ConfigNode& node, TargetConfig& target) {
  target.http.method = node.GetString("method", "GET");
  if (target.http.method.empty()) node["method"].Fail("must not be empty");
  target.http.headers = StringMap(node["headers"]);
  target.http.body = node.GetString("body", "");
  ParseStatusCodes(node["valid_status_codes"], target.http);
  for (const ConfigNode& item : node["fail_if_body_matches_regexp"].Items()) {
    target.http.fail_if_body_matches.push_back(RegexAt(item));
  }
  for (const ConfigNode& item : node["fail_if_body_not_matches_regexp"].Items()) {
    target.http.fail_if_body_not_matches.push_back(RegexAt(item));
  }
  target.http.follow_redirects = node.GetBool("follow_redirects", true);
  std::string protocol = node.GetString("ip_protocol", "ip4");
  if (protocol != "ip4" && protocol != "ip6") node["ip_protocol"].Fail("must be ip4 or ip6");
  target.http.prefer_ip6 = protocol == "ip6";
}

void ParseDryrun(const ConfigNode& node, TargetConfig& target) {
  DryrunOptions& d = target.dryrun;
  d.process_id = node["process_id"].AsString();
  if (d.process_id.empty()) node["process_id"].Fail("must not be empty");
  d.action = node["action"].AsString();
  if (d.action.empty()) node["action"].Fail("must not be empty");
  d.tags = StringMap(node["tags"]);
  d.data = node.GetString("data", "");
  d.owner = node.GetString("owner", "");
  d.cache_bust = node.GetBool("cache_bust", true);
  ConfigNode expect = node["expect"];
  expect.ExpectKeys({"no_error", "min_messages", "json", "first_message_tag"});
  d.expect.no_error = expect.GetBool("no_error", true);
  d.expect.min_messages = static_cast<int>(expect.GetInt("min_messages", 0, 0, 100000));
  for (auto& [pointer, value] : expect["json"].Entries()) {
    try {
      nlohmann::json::json_pointer check(pointer);
    } catch (const nlohmann::json::exception& e) {
      value.Fail("invalid JSON pointer \"" + pointer + "\"");
    }
    d.expect.pointers.emplace_back(pointer, nlohmann::json(value.AsString()));
  }
  ConfigNode tag = expect["first_message_tag"];
  if (tag.IsSet()) {
    tag.ExpectKeys({"name", "value"});
    d.expect.first_message_tag.emplace(tag["name"].AsString(), tag["value"].AsString());
  }
}

TargetConfig ParseTarget(const ConfigNode& node, const ProbesConfig& defaults) {
  node.ExpectKeys({"name", "type", "url", "address", "interval", "timeout", "buckets", "tls",
                   "method", "headers", "body", "valid_status_codes",
                   "fail_if_body_matches_regexp", "fail_if_body_not_matches_regexp",
                   "follow_redirects", "ip_protocol", "body_size_limit", "process_id", "action",
                   "tags", "data", "owner", "cache_bust", "expect", "unit", "allow_insecure_redirect"});
  TargetConfig target;
  std::string type = node["type"].AsString();
  if (type == "http") target.type = ProbeType::kHttp;
  else if (type == "tcp") target.type = ProbeType::kTcp;
  else if (type == "ao_dryrun") target.type = ProbeType::kAoDryrun;
  else if (type == "ao_unit") target.type = ProbeType::kAoUnit;
  else node["type"].Fail("must be http, tcp, ao_dryrun or ao_unit, got \"" + type + "\"");

  // Keys that belong to other types are mistakes worth reporting.
  auto only_for = [&](std::initializer_list<std::string_view> keys, bool allowed, std::string_view types) {
    for (std::string_view key : keys) {
      if (!allowed && node[key].IsSet()) node[key].Fail("only for type " + std::string(types));
    }
  };
  bool http = target.type == ProbeType::kHttp;
  only_for({"method", "headers", "body", "valid_status_codes", "fail_if_body_matches_regexp",
            "fail_if_body_not_matches_regexp", "follow_redirects", "ip_protocol"}, http, "http");
  only_for({"process_id", "action", "tags", "data", "owner", "cache_bust", "expect"},
           target.type == ProbeType::kAoDryrun, "ao_dryrun");
  only_for({"unit"}, target.type == ProbeType::kAoUnit, "ao_unit");
  only_for({"address"}, target.type == ProbeType::kTcp, "tcp");
  only_for({"url", "allow_insecure_redirect"}, target.type != ProbeType::kTcp, "http, ao_dryrun, ao_unit");

  if (target.type == ProbeType::kTcp) {
    target.address = node["address"].AsString();
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
      if (target.tcp_host.size() > 2 && target.tcp_host.front() == '[') target.tcp_host = target.tcp_host.substr(1, target.tcp_host.size() - 2);
      target.tcp_port = static_cast<std::uint16_t>(port);
    } else {
      target.tcp_host = parsed->host;
      target.tcp_port = parsed->port;
    }
    target.tcp_tls = node["tls"].IsSet();
  } else {
    target.url = UrlAt(node["url"]);
  }
  target.tls = ParseTls(node["tls"]);
  if (target.type != ProbeType::kTcp || target.tcp_tls) {
    // Even for an http:// URL: a redirect may lead to https.
    try {
      target.tls_context = MakeTlsContext(target.tls.ca_file, target.tls.insecure_skip_verify);
    } catch (const std::exception& e) {
      (node["tls"].IsSet() ? node["tls"] : node).Fail(e.what());
    }
  }
  if (http || target.type == ProbeType::kAoDryrun || target.type == ProbeType::kAoUnit) {
    target.http.body_size_limit = static_cast<std::size_t>(
        node.GetInt("body_size_limit", static_cast<std::int64_t>(target.http.body_size_limit), 1, std::int64_t{1} << 30));
    target.http.allow_insecure_redirect = node.GetBool("allow_insecure_redirect", defaults.allow_insecure_redirect);
  }
  if (http) ParseHttp(node, target);
  if (target.type == ProbeType::kAoDryrun) ParseDryrun(node, target);
  if (target.type == ProbeType::kAoUnit) {
    std::string unit = node["unit"].AsString();
    if (unit == "cu") target.unit = AoUnit::kCu;
    else if (unit == "mu") target.unit = AoUnit::kMu;
    else if (unit == "su") target.unit = AoUnit::kSu;
    else node["unit"].Fail("must be cu, mu or su, got \"" + unit + "\"");
  }

  target.name = node.GetString("name", target.type == ProbeType::kTcp ? target.address : target.url->ToString());
  target.interval = node.GetDuration("interval", defaults.interval);
  target.timeout = node.GetDuration("timeout", defaults.timeout);
  if (target.interval.count() < 100) node["interval"].Fail("must be at least 100ms");
  if (target.timeout.count() <= 0) node["timeout"].Fail("must be greater than 0");
  if (target.timeout >= target.interval) {
    (node["timeout"].IsSet() ? node["timeout"] : node).Fail(
        "timeout (" + FormatDuration(target.timeout) + ") must be less than interval (" +
        FormatDuration(target.interval) + ")");
  }
  target.buckets = node["buckets"].IsSet() ? node["buckets"].AsBuckets() : defaults.buckets;
  return target;
}

}  // namespace

std::string_view UnitName(AoUnit unit) {
  switch (unit) {
    case AoUnit::kCu: return "cu";
    case AoUnit::kMu: return "mu";
    case AoUnit::kSu: return "su";
  }
  return "cu";
}

std::string_view TypeName(ProbeType type) {
  switch (type) {
    case ProbeType::kHttp: return "http";
    case ProbeType::kTcp: return "tcp";
    case ProbeType::kAoDryrun: return "ao_dryrun";
    case ProbeType::kAoUnit: return "ao_unit";
  }
  return "http";
}

bool HttpOptions::ValidStatus(unsigned status) const {
  if (valid_status_codes.empty()) return status >= 200 && status <= 299;
  for (auto [low, high] : valid_status_codes) {
    if (status >= low && status <= high) return true;
  }
  return false;
}

ProbesConfig ParseProbesConfig(const ConfigNode& node) {
  node.ExpectKeys({"defaults", "max_concurrency", "targets"});
  ProbesConfig config;
  ConfigNode defaults = node["defaults"];
  defaults.ExpectKeys({"interval", "timeout", "buckets", "allow_insecure_redirect"});
  config.interval = defaults.GetDuration("interval", config.interval);
  config.timeout = defaults.GetDuration("timeout", config.timeout);
  config.allow_insecure_redirect = defaults.GetBool("allow_insecure_redirect", false);
  config.buckets = defaults["buckets"].IsSet() ? defaults["buckets"].AsBuckets() : DefaultBuckets();
  config.max_concurrency = static_cast<int>(node.GetInt("max_concurrency", config.max_concurrency, 1, 100000));
  for (const ConfigNode& item : node["targets"].Items()) {
    TargetConfig target = ParseTarget(item, config);
    for (const TargetConfig& seen : config.targets) {
      if (seen.name == target.name) item.Fail("duplicate target name \"" + target.name + "\" (set `name`)");
    }
    config.targets.push_back(std::move(target));
  }
  return config;
}

nlohmann::json TargetConfig::ToJson() const {
  nlohmann::json out = {{"name", name}, {"type", TypeName(type)},
                        {"interval", FormatDuration(interval)}, {"timeout", FormatDuration(timeout)}};
  if (url) out["url"] = url->ToString();
  if (type == ProbeType::kTcp) out["address"] = address;
  if (type != ProbeType::kTcp || tcp_tls) {
    out["tls"] = {{"ca_file", tls.ca_file}, {"insecure_skip_verify", tls.insecure_skip_verify},
                  {"server_name", tls.server_name}};
  }
  if (type != ProbeType::kTcp) out["body_size_limit"] = http.body_size_limit;
  if (type == ProbeType::kHttp) {
    out["method"] = http.method;
    // Every header value is a secret (Authorization, X-Api-Key, cookies...), as is the body:
    // Prometheus shows <secret>; the names tell what is configured.
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : http.headers) headers[name] = kSecret;
    out["headers"] = std::move(headers);
    out["body"] = Secret(http.body);
    nlohmann::json codes = nlohmann::json::array();
    for (auto [low, high] : http.valid_status_codes) {
      codes.push_back(low == high ? std::to_string(low) : std::to_string(low / 100) + "xx");
    }
    out["valid_status_codes"] = std::move(codes);
    nlohmann::json matches = nlohmann::json::array(), not_matches = nlohmann::json::array();
    for (const auto& regex : http.fail_if_body_matches) matches.push_back(regex->pattern());
    for (const auto& regex : http.fail_if_body_not_matches) not_matches.push_back(regex->pattern());
    out["fail_if_body_matches_regexp"] = std::move(matches);
    out["fail_if_body_not_matches_regexp"] = std::move(not_matches);
    out["follow_redirects"] = http.follow_redirects;
    out["ip_protocol"] = http.prefer_ip6 ? "ip6" : "ip4";
  }
  if (type == ProbeType::kAoDryrun) {
    out["process_id"] = dryrun.process_id;
    out["action"] = dryrun.action;
    out["tags"] = nlohmann::json::object();
    for (const auto& [name, value] : dryrun.tags) out["tags"][name] = value;
    out["data"] = Secret(dryrun.data);  // the dry-run message's body
    out["owner"] = dryrun.owner;
    out["cache_bust"] = dryrun.cache_bust;
  }
  if (type == ProbeType::kAoUnit) out["unit"] = UnitName(unit);
  out["buckets"] = buckets;
  return out;
}

nlohmann::json ProbesConfig::ToJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& target : targets) list.push_back(target.ToJson());
  return {{"defaults", {{"interval", FormatDuration(interval)}, {"timeout", FormatDuration(timeout)},
                        {"buckets", buckets}}},
          {"max_concurrency", max_concurrency},
          {"targets", list}};
}

}  // namespace metricsd::probes
