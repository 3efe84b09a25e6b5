#include "daemon/alerting/alerting_config.h"

#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "daemon/client/exchange.h"
#include "daemon/core/secret.h"

namespace metricsd::alerting {
namespace {

const RE2& MetricName() {
  static const RE2 re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return re;
}

const RE2& LabelName() {
  static const RE2 re("[a-zA-Z_][a-zA-Z0-9_]*");
  return re;
}

std::string NameOf(const ConfigNode& node, const RE2& pattern, std::string_view what) {
  std::string name = node.AsString();
  if (!RE2::FullMatch(name, pattern)) node.Fail("invalid " + std::string(what) + " \"" + name + "\"");
  return name;
}

template <typename Enum, std::size_t N>
Enum OneOf(const ConfigNode& node, const std::pair<std::string_view, Enum> (&choices)[N]) {
  std::string text = node.AsString();
  std::string known;
  for (const auto& [name, value] : choices) {
    if (text == name) return value;
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  node.Fail("unknown \"" + text + "\" (one of " + known + ")");
}

constexpr std::pair<std::string_view, ValueKind> kValueKinds[] = {
    {"last", ValueKind::kLast}, {"rate", ValueKind::kRate},   {"increase", ValueKind::kIncrease},
    {"avg", ValueKind::kAvg},   {"min", ValueKind::kMin},     {"max", ValueKind::kMax},
    {"quantile", ValueKind::kQuantile}};
constexpr std::pair<std::string_view, CompareOp> kCompareOps[] = {
    {">", CompareOp::kGt},  {">=", CompareOp::kGe}, {"<", CompareOp::kLt},
    {"<=", CompareOp::kLe}, {"==", CompareOp::kEq}, {"!=", CompareOp::kNe}};
constexpr std::pair<std::string_view, AggregateOp> kAggregateOps[] = {
    {"sum", AggregateOp::kSum}, {"avg", AggregateOp::kAvg},    {"min", AggregateOp::kMin},
    {"max", AggregateOp::kMax}, {"count", AggregateOp::kCount}};

LabelMap LabelsOf(const ConfigNode& node) {
  LabelMap labels;
  for (auto& [name, value] : node.Entries()) {
    if (!RE2::FullMatch(name, LabelName())) value.Fail("invalid label name \"" + name + "\"");
    labels[name] = value.AsString();
  }
  return labels;
}

bool NeedsWindow(ValueKind kind) {
  return kind == ValueKind::kRate || kind == ValueKind::kIncrease || kind == ValueKind::kAvg ||
         kind == ValueKind::kMin || kind == ValueKind::kMax;
}

Rule ParseRule(const ConfigNode& node) {
  node.ExpectKeys({"alert", "metric", "match", "match_re", "value", "quantile", "window", "op",
                   "threshold", "for", "keep_firing_for", "labels", "annotations", "divide_by",
                   "aggregate", "absent"});
  Rule rule;
  if (!node["alert"].IsSet()) node.Fail("a rule needs an alert name");
  rule.alert = NameOf(node["alert"], MetricName(), "alert name");
  if (!node["metric"].IsSet()) node.Fail("a rule needs a metric (a family name)");
  rule.metric = NameOf(node["metric"], MetricName(), "metric name");
  for (auto& [name, value] : node["match"].Entries()) {
    if (!RE2::FullMatch(name, LabelName())) value.Fail("invalid label name \"" + name + "\"");
    rule.matchers.push_back({name, value.AsString(), nullptr});
  }
  for (auto& [name, value] : node["match_re"].Entries()) {
    if (!RE2::FullMatch(name, LabelName())) value.Fail("invalid label name \"" + name + "\"");
    std::string pattern = value.AsString();
    auto regex = std::make_shared<const RE2>(pattern, RE2::Quiet);
    if (!regex->ok()) value.Fail("invalid regex: " + regex->error());
    rule.matchers.push_back({name, pattern, std::move(regex)});
  }
  if (node["value"].IsSet()) rule.value = OneOf(node["value"], kValueKinds);
  if (node["window"].IsSet()) {
    rule.window = node["window"].AsDuration();
    if (rule.window.count() <= 0) node["window"].Fail("must be more than 0");
  } else if (NeedsWindow(rule.value)) {
    node.Fail("value: " + std::string(ValueKindName(rule.value)) + " needs a window");
  }
  if (rule.value == ValueKind::kLast && node["window"].IsSet())
    node["window"].Fail("value: last takes no window");
  if (rule.value == ValueKind::kQuantile) {
    if (!node["quantile"].IsSet()) node.Fail("value: quantile needs a quantile");
    rule.quantile = node["quantile"].AsDouble();
    if (rule.quantile < 0 || rule.quantile > 1) node["quantile"].Fail("must be between 0 and 1");
  } else if (node["quantile"].IsSet()) {
    node["quantile"].Fail("only for value: quantile");
  }
  rule.absent = node.GetBool("absent", false);
  if (rule.absent) {
    for (std::string_view key : {"op", "threshold", "divide_by", "aggregate"}) {
      if (node[key].IsSet()) node[key].Fail("absent rules fire when nothing matches; they take no " + std::string(key));
    }
  } else {
    if (!node["op"].IsSet()) node.Fail("a rule needs an op (> >= < <= == !=)");
    rule.op = OneOf(node["op"], kCompareOps);
    if (!node["threshold"].IsSet()) node.Fail("a rule needs a threshold");
    rule.threshold = node["threshold"].AsDouble();
  }
  if (node["divide_by"].IsSet()) rule.divide_by = NameOf(node["divide_by"], MetricName(), "metric name");
  if (ConfigNode aggregate = node["aggregate"]; aggregate.IsSet()) {
    aggregate.ExpectKeys({"op", "by"});
    if (!aggregate["op"].IsSet()) aggregate.Fail("needs an op (sum, avg, min, max, count)");
    Aggregation aggregation;
    aggregation.op = OneOf(aggregate["op"], kAggregateOps);
    for (const ConfigNode& label : aggregate["by"].Items()) {
      aggregation.by.push_back(NameOf(label, LabelName(), "label name"));
    }
    std::sort(aggregation.by.begin(), aggregation.by.end());
    aggregation.by.erase(std::unique(aggregation.by.begin(), aggregation.by.end()), aggregation.by.end());
    rule.aggregate = std::move(aggregation);
  }
  rule.hold = node.GetDuration("for", Duration(0));
  rule.keep_firing_for = node.GetDuration("keep_firing_for", Duration(0));
  rule.labels = LabelsOf(node["labels"]);
  for (auto& [name, value] : node["labels"].Entries()) {
    if (value.AsString().find("{{") == std::string::npos) continue;
    try {
      rule.label_templates.emplace(name, AlertTemplate::Parse(value.AsString()));
    } catch (const TemplateError& e) {
      value.Fail(std::string("bad template: ") + e.what());
    }
  }
  for (auto& [name, value] : node["annotations"].Entries()) {
    try {
      rule.annotations.emplace_back(name, AlertTemplate::Parse(value.AsString()));
    } catch (const TemplateError& e) {
      value.Fail(std::string("bad template: ") + e.what());
    }
  }
  return rule;
}

// An inline secret or the path of a file holding it (relative to the config); never both.
void SecretOf(const ConfigNode& node, std::string_view key, const std::string& config_dir,
              std::string& secret, std::string& file) {
  std::string inline_key(key), file_key = std::string(key) + "_file";
  if (node[inline_key].IsSet() && node[file_key].IsSet())
    node[file_key].Fail("set " + inline_key + " or " + file_key + ", not both");
  if (node[inline_key].IsSet()) secret = node[inline_key].AsString();
  if (node[file_key].IsSet()) {
    file = node[file_key].AsString();
    if (!file.starts_with('/') && !config_dir.empty()) file = config_dir + "/" + file;
  }
}

std::string ReadSecret(const std::string& path) {
  std::string secret = ReadConfigFile(path);
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

DestinationConfig ParseDestination(const ConfigNode& node, DestinationConfig::Kind kind,
                                   const std::string& config_dir) {
  node.ExpectKeys({"url", "basic_auth", "bearer_token", "bearer_token_file", "tls", "timeout"});
  DestinationConfig destination;
  destination.kind = kind;
  if (!node["url"].IsSet()) node.Fail("needs a url");
  destination.url = node["url"].AsString();
  std::optional<Url> url = ParseUrl(destination.url);
  if (!url) node["url"].Fail("must be an absolute http:// or https:// URL");
  destination.parsed = *url;
  if (ConfigNode auth = node["basic_auth"]; auth.IsSet()) {
    auth.ExpectKeys({"username", "password", "password_file"});
    if (!auth["username"].IsSet()) auth.Fail("needs a username");
    destination.username = auth["username"].AsString();
    SecretOf(auth, "password", config_dir, destination.password, destination.password_file);
  }
  SecretOf(node, "bearer_token", config_dir, destination.bearer_token, destination.bearer_token_file);
  if (!destination.username.empty() &&
      (!destination.bearer_token.empty() || !destination.bearer_token_file.empty()))
    node.Fail("basic_auth and bearer_token are exclusive");
  ConfigNode tls = node["tls"];
  tls.ExpectKeys({"ca_file", "insecure_skip_verify", "server_name"});
  destination.ca_file = tls.GetString("ca_file", "");
  destination.insecure_skip_verify = tls.GetBool("insecure_skip_verify", false);
  destination.server_name = tls.GetString("server_name", "");
  if (destination.parsed.https) {
    try {
      destination.tls = MakeTlsContext(destination.ca_file, destination.insecure_skip_verify);
    } catch (const std::exception& e) {
      (tls.IsSet() ? tls : node).Fail(e.what());
    }
  }
  destination.timeout = node.GetDuration("timeout", destination.timeout);
  if (destination.timeout.count() <= 0) node["timeout"].Fail("must be more than 0");
  return destination;
}

std::vector<std::string> ExpandPattern(const ConfigNode& node, const std::string& pattern) {
  if (pattern.find_first_of("*?[") == std::string::npos) return {pattern};
  glob_t matches{};
  // A directory that does not exist (yet) matches nothing, as in Prometheus.
  int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
  std::vector<std::string> paths;
  if (rc == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
  }
  ::globfree(&matches);
  if (rc != 0 && rc != GLOB_NOMATCH) node.Fail("cannot expand \"" + pattern + "\"");
  return paths;  // glob sorts them
}

}  // namespace

std::string DestinationConfig::AuthorizationHeader() const {
  if (!bearer_token_file.empty()) return "Bearer " + ReadSecret(bearer_token_file);
  if (!bearer_token.empty()) return "Bearer " + bearer_token;
  if (username.empty()) return "";
  std::string password = password_file.empty() ? this->password : ReadSecret(password_file);
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string plain = username + ":" + password, encoded;
  for (std::size_t i = 0; i < plain.size(); i += 3) {
    std::uint32_t chunk = static_cast<unsigned char>(plain[i]) << 16;
    if (i + 1 < plain.size()) chunk |= static_cast<unsigned char>(plain[i + 1]) << 8;
    if (i + 2 < plain.size()) chunk |= static_cast<unsigned char>(plain[i + 2]);
    encoded += kAlphabet[(chunk >> 18) & 63];
    encoded += kAlphabet[(chunk >> 12) & 63];
    encoded += i + 1 < plain.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    encoded += i + 2 < plain.size() ? kAlphabet[chunk & 63] : '=';
  }
  return "Basic " + encoded;
}

std::vector<RuleGroup> ParseRuleFile(std::string_view text, const std::string& file,
                                     Duration default_interval) {
  ConfigNode root = ParseYaml(text, file);
  root.ExpectKeys({"groups"});
  std::vector<RuleGroup> groups;
  std::set<std::string> group_names;
  for (const ConfigNode& node : root["groups"].Items()) {
    node.ExpectKeys({"name", "interval", "rules"});
    RuleGroup group;
    group.file = file;
    if (!node["name"].IsSet()) node.Fail("a group needs a name");
    group.name = node["name"].AsString();
    if (group.name.empty()) node["name"].Fail("must not be empty");
    if (!group_names.insert(group.name).second) node["name"].Fail("duplicate group name \"" + group.name + "\"");
    group.interval = node.GetDuration("interval", default_interval);
    if (group.interval.count() <= 0) node["interval"].Fail("must be more than 0");
    std::set<std::string> alerts;
    for (const ConfigNode& rule_node : node["rules"].Items()) {
      Rule rule = ParseRule(rule_node);
      if (!alerts.insert(rule.alert).second) {
        rule_node["alert"].Fail("duplicate alert \"" + rule.alert + "\" in group \"" + group.name + "\"");
      }
      group.rules.push_back(std::move(rule));
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

AlertingConfig ParseAlertingConfig(const ConfigNode& node, const std::string& config_dir) {
  node.ExpectKeys({"evaluation_interval", "rule_files", "external_labels", "external_url",
                   "resend_delay", "queue_capacity", "alertmanagers", "webhooks"});
  AlertingConfig config;
  config.evaluation_interval = node.GetDuration("evaluation_interval", config.evaluation_interval);
  if (config.evaluation_interval.count() <= 0) node["evaluation_interval"].Fail("must be more than 0");
  config.resend_delay = node.GetDuration("resend_delay", config.resend_delay);
  config.queue_capacity = static_cast<std::size_t>(node.GetInt("queue_capacity", 10000, 1, 1 << 24));
  config.external_labels = LabelsOf(node["external_labels"]);
  config.external_url = node.GetString("external_url", "");
  if (!config.external_url.empty() && !ParseUrl(config.external_url))
    node["external_url"].Fail("must be an absolute http:// or https:// URL");
  std::set<std::string> seen_files;
  for (const ConfigNode& item : node["rule_files"].Items()) {
    std::string pattern = item.AsString();
    config.rule_files.push_back(pattern);
    if (!pattern.starts_with('/') && !config_dir.empty()) pattern = config_dir + "/" + pattern;
    for (const std::string& path : ExpandPattern(item, pattern)) {
      if (!seen_files.insert(path).second) continue;
      std::string text;
      try {
        text = ReadConfigFile(path);
      } catch (const ConfigError& e) {
        item.Fail(e.what());
      }
      for (RuleGroup& group : ParseRuleFile(text, path, config.evaluation_interval)) {
        for (const RuleGroup& other : config.groups) {
          if (other.name == group.name) {
            item.Fail("group \"" + group.name + "\" is in both " + other.file + " and " + path);
          }
        }
        config.groups.push_back(std::move(group));
      }
    }
  }
  for (const ConfigNode& item : node["alertmanagers"].Items()) {
    config.destinations.push_back(ParseDestination(item, DestinationConfig::Kind::kAlertmanager, config_dir));
  }
  for (const ConfigNode& item : node["webhooks"].Items()) {
    config.destinations.push_back(ParseDestination(item, DestinationConfig::Kind::kWebhook, config_dir));
  }
  return config;
}

nlohmann::json AlertingConfig::ToJson() const {
  nlohmann::json destinations_json = nlohmann::json::array();
  for (const DestinationConfig& d : destinations) {
    nlohmann::json entry = {{"kind", d.kind == DestinationConfig::Kind::kWebhook ? "webhook" : "alertmanager"},
                            {"url", d.url}, {"timeout", FormatDuration(d.timeout)}};
    // Secrets are never shown, as Prometheus shows <secret>; a secret file's path may be
    // (its contents are read per request and never kept here).
    if (!d.username.empty()) {
      entry["basic_auth"] = {{"username", d.username}, {"password", Secret(d.password)},
                             {"password_file", d.password_file}};
    }
    if (!d.bearer_token.empty()) entry["bearer_token"] = Secret(d.bearer_token);
    if (!d.bearer_token_file.empty()) entry["bearer_token_file"] = d.bearer_token_file;
    entry["tls"] = {{"ca_file", d.ca_file}, {"insecure_skip_verify", d.insecure_skip_verify},
                    {"server_name", d.server_name}};
    destinations_json.push_back(std::move(entry));
  }
  nlohmann::json groups_json = nlohmann::json::array();
  for (const RuleGroup& group : groups) {
    groups_json.push_back({{"file", group.file}, {"name", group.name},
                           {"interval", FormatDuration(group.interval)}, {"rules", group.rules.size()}});
  }
  return {{"evaluation_interval", FormatDuration(evaluation_interval)},
          {"rule_files", rule_files},
          {"groups", groups_json},
          {"external_labels", external_labels},
          {"external_url", external_url},
          {"resend_delay", FormatDuration(resend_delay)},
          {"queue_capacity", queue_capacity},
          {"destinations", destinations_json}};
}

}  // namespace metricsd::alerting
