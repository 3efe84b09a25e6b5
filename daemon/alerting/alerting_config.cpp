#include "daemon/alerting/alerting_config.h"

#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "daemon/alerting/threshold_query.h"
#include "daemon/client/exchange.h"
#include "daemon/client/url_key.h"
#include "daemon/core/secret.h"
#include "daemon/query/promql/parser.h"

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
constexpr std::pair<std::string_view, MetricType> kMetricTypes[] = {
    {"counter", MetricType::kCounter}, {"gauge", MetricType::kGauge},
    {"histogram", MetricType::kHistogram}, {"summary", MetricType::kSummary},
    {"untyped", MetricType::kUntyped}};
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

// The threshold form's own keys (rule.h).
void ParseThreshold(const ConfigNode& node, Rule& rule) {
  if (node["record"].IsSet()) node["record"].Fail("recording rules need expr (PromQL), not metric");
  node.ExpectKeys({"alert", "metric", "match", "match_re", "value", "quantile", "window", "op",
                   "threshold", "for", "keep_firing_for", "labels", "annotations", "divide_by",
                   "aggregate", "absent", "type"});
  if (!node["alert"].IsSet()) node.Fail("a rule needs an alert name");
  rule.alert = NameOf(node["alert"], MetricName(), "alert name");
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
  if (node["type"].IsSet()) {
    rule.type = OneOf(node["type"], kMetricTypes);
    // A stated type is checked now: the quantile of a gauge is a config error.
    try {
      ThresholdQuery(rule, *rule.type, *rule.type);
    } catch (const RuleTypeError& e) {
      node["type"].Fail(e.what());
    }
  }
}

// Prometheus's form (rulefmt's checks, with the file's own positions).
void ParsePrometheusRule(const ConfigNode& node, Rule& rule) {
  node.ExpectKeys({"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"});
  bool alert = node["alert"].IsSet(), record = node["record"].IsSet();
  if (alert && record) node["record"].Fail("only one of 'record' and 'alert' must be set");
  if (!alert && !record) node.Fail("one of 'record' or 'alert' must be set");
  if (alert) {
    rule.alert = node["alert"].AsString();
    if (rule.alert.empty()) node["alert"].Fail("one of 'record' or 'alert' must be set");
  } else {
    rule.kind = RuleKind::kRecording;
    rule.record = node["record"].AsString();
    if (!RE2::FullMatch(rule.record, MetricName())) {
      node["record"].Fail("invalid recording rule name: " + rule.record);
    }
    for (std::string_view key : {"annotations", "for", "keep_firing_for"}) {
      if (node[key].IsSet()) node[key].Fail("invalid field '" + std::string(key) + "' in recording rule");
    }
  }
  ConfigNode expr = node["expr"];
  rule.expr = expr.IsSet() ? expr.AsString() : "";
  if (rule.expr.empty()) (expr.IsSet() ? expr : node).Fail("field 'expr' must be set in rule");
  query::promql::ParseError error;
  query::promql::ExprPtr parsed = query::promql::ParseExpr(rule.expr, &error);
  if (!parsed) expr.Fail(error.ToString(rule.expr));
  rule.parsed = std::move(parsed);
  for (auto& [name, value] : node["labels"].Entries()) {
    if (name == "__name__") value.Fail("invalid label name: " + name);
  }
}

Rule ParseRule(const ConfigNode& node) {
  Rule rule;
  if (node["metric"].IsSet()) {
    if (node["expr"].IsSet()) node["expr"].Fail("set metric (the threshold form) or expr (PromQL), not both");
    ParseThreshold(node, rule);
  } else if (node["expr"].IsSet() || node["record"].IsSet()) {
    ParsePrometheusRule(node, rule);
  } else {
    node.ExpectKeys({"alert", "metric", "match", "match_re", "value", "quantile", "window", "op",
                     "threshold", "for", "keep_firing_for", "labels", "annotations", "divide_by",
                     "aggregate", "absent", "type", "record", "expr"});
    node.Fail("a rule needs expr (PromQL) or metric (the threshold form)");
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

std::vector<RuleGroup> ParseRuleFile(std::string_view text, const std::string& file,
                                     Duration default_interval) {
  ConfigNode root = ParseYaml(text, file);
  root.ExpectKeys({"groups"});
  std::vector<RuleGroup> groups;
  std::set<std::string> group_names;
  for (const ConfigNode& node : root["groups"].Items()) {
    node.ExpectKeys({"name", "interval", "limit", "rules"});
    RuleGroup group;
    group.file = file;
    if (!node["name"].IsSet()) node.Fail("a group needs a name");
    group.name = node["name"].AsString();
    if (group.name.empty()) node["name"].Fail("must not be empty");
    if (!group_names.insert(group.name).second) node["name"].Fail("duplicate group name \"" + group.name + "\"");
    group.interval = node.GetDuration("interval", default_interval);
    if (group.interval.count() <= 0) node["interval"].Fail("must be more than 0");
    group.limit = static_cast<std::size_t>(node.GetInt("limit", 0, 0, std::int64_t{1} << 31));
    // Threshold rules keep one alert name per group; Prometheus's form allows repeats (a
    // warning and a critical rule under one name).
    std::set<std::string> alerts;
    for (const ConfigNode& rule_node : node["rules"].Items()) {
      Rule rule = ParseRule(rule_node);
      if (rule.IsThreshold() && !alerts.insert(rule.alert).second) {
        rule_node["alert"].Fail("duplicate alert \"" + rule.alert + "\" in group \"" + group.name + "\"");
      }
      group.rules.push_back(std::move(rule));
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

namespace {

using config::Section;

const Section<DestinationConfig>& DestinationSection() {
  static const auto* section = [] {
    auto* destination = new Section<DestinationConfig>(
        "A receiver: Alertmanager's API v2, or a webhook receiving Alertmanager's webhook JSON.");
    destination
        ->Add(config::MakeKeyInfo("url", "URL",
                                  "absolute http:// or https:// URL (an Alertmanager: its base URL)",
                                  UrlSchema()),
              [](const ConfigNode& node, DestinationConfig& out) {
                out.url = node.AsString();
                std::optional<Url> url = ParseUrl(out.url);
                if (!url) node.Fail("must be an absolute http:// or https:// URL");
                out.parsed = *url;
              },
              [](const DestinationConfig& in) { return nlohmann::json(in.url); })
        .Required("needs a url")
        .Include(&DestinationConfig::auth, HttpAuthSection())
        .Block("tls", &DestinationConfig::tls_options, TlsSection(), "TLS of https URLs")
        .Dur("timeout", &DestinationConfig::timeout, "time allowed for one request",
             config::kPositive)
        .Check("", [](const ConfigNode& node, DestinationConfig& out) {
          if (!out.parsed.https) return;
          try {
            out.tls = MakeTlsContext(out.tls_options.ca_file, out.tls_options.insecure_skip_verify);
          } catch (const std::exception& e) {
            (node["tls"].IsSet() ? node["tls"] : node).Fail(e.what());
          }
        });
    return destination;
  }();
  return *section;
}

// alertmanagers and webhooks: one list of destinations, each knowing its kind.
config::KeyInfo DestinationsKey(std::string name, std::string doc) {
  config::KeyInfo info = config::MakeKeyInfo(
      std::move(name), "list", std::move(doc),
      {{"type", {"array", "null"}}, {"items", DestinationSection().Schema()}});
  info.block = &DestinationSection();
  info.list = true;
  return info;
}

void AddDestinations(Section<AlertingConfig>& section, std::string name,
                     DestinationConfig::Kind kind, std::string doc) {
  section.Add(DestinationsKey(std::move(name), std::move(doc)),
              [kind](const ConfigNode& node, AlertingConfig& out) {
                for (const ConfigNode& item : node.Items()) {
                  if (!item.IsSet()) item.Fail("expected a mapping, got nothing");
                  DestinationConfig destination = DestinationSection().Parse(item);
                  destination.kind = kind;
                  out.destinations.push_back(std::move(destination));
                }
              },
              [kind](const AlertingConfig& in) {
                nlohmann::json list = nlohmann::json::array();
                for (const DestinationConfig& d : in.destinations) {
                  if (d.kind == kind) list.push_back(DestinationSection().Render(d));
                }
                return list;
              });
}

void LoadRuleFiles(const ConfigNode& node, AlertingConfig& config) {
  std::set<std::string> seen_files;
  std::vector<ConfigNode> items = node["rule_files"].Items();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const ConfigNode& item = items[i];
    std::string pattern = item.AsPath();
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
}

}  // namespace

const Section<AlertingConfig>& AlertingSection() {
  static const auto* section = [] {
    auto* alerting = new Section<AlertingConfig>(
        "Alert rules evaluated over the daemon's own families; alerts go to Alertmanagers and "
        "webhooks.");
    alerting
        ->Dur("evaluation_interval", &AlertingConfig::evaluation_interval,
              "for groups without their own interval", config::kPositive)
        .Strings("rule_files", &AlertingConfig::rule_files,
                 "paths or globs, relative to this file (schema: config/schema/rules.schema.json); a "
                 "glob may match nothing, a plain path must exist; reloaded with the config")
        .StringMap("external_labels", &AlertingConfig::external_labels,
                   "added to every alert sent (an alert's own label wins); {{ $externalLabels.NAME }} in "
                   "templates", /*secret=*/false,
                   [](const ConfigNode& at, const std::string& name) {
                     if (!RE2::FullMatch(name, LabelName())) at.Fail("invalid label name \"" + name + "\"");
                   })
        .String("external_url", &AlertingConfig::external_url,
                "base of each alert's generatorURL (.../api/v1/alerts) and of the webhook's "
                "externalURL; empty: http://HOSTNAME:PORT")
        .Dur("resend_delay", &AlertingConfig::resend_delay,
             "firing alerts are re-sent this often, resolved ones too for 15 minutes")
        .Int("queue_capacity", &AlertingConfig::queue_capacity, 1, 1 << 24,
             "alerts waiting per receiver; when full the oldest go (counted)")
        .Bool("expose_recording_rules", &AlertingConfig::expose_recording_rules,
              "recording rules' results are on /metrics too (for a central Prometheus to scrape); "
              "they go into history either way")
        .Dur("outage_tolerance", &AlertingConfig::outage_tolerance,
             "after a restart, alerts get their activeAt back from history (ALERTS_FOR_STATE) if "
             "the daemon was down at most this long (Prometheus's --rules.alert.for-outage-tolerance)")
        .Dur("for_grace_period", &AlertingConfig::for_grace_period,
             "a restored alert waits at least this long before firing again; rules with a "
             "shorter `for` are not restored (--rules.alert.for-grace-period)");
    AddDestinations(*alerting, "alertmanagers", DestinationConfig::Kind::kAlertmanager,
                    "Alertmanagers: alerts go to URL/api/v2/alerts; secret files are read at each "
                    "request, so rotation needs no reload");
    AddDestinations(*alerting, "webhooks", DestinationConfig::Kind::kWebhook,
                    "the same keys; url receives Alertmanager's webhook JSON (version 4)");
    alerting->Check("external_url is an absolute URL; rule files exist and are valid; group "
                    "names unique across files",
                    [](const ConfigNode& node, AlertingConfig& config) {
                      if (!config.external_url.empty() && !ParseUrl(config.external_url)) {
                        node["external_url"].Fail("must be an absolute http:// or https:// URL");
                      }
                      LoadRuleFiles(node, config);
                    });
    return alerting;
  }();
  return *section;
}

AlertingConfig ParseAlertingConfig(const ConfigNode& node) { return AlertingSection().Parse(node); }

nlohmann::json AlertingConfig::ToJson() const { return AlertingSection().Render(*this); }

}  // namespace metricsd::alerting
