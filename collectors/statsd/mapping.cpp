#include "collectors/statsd/mapping.h"

#include <algorithm>

#include "daemon/core/metric_names.h"

namespace metricsd::statsd {
namespace {

// statsd_exporter's validation expressions (pkg/mapper), kept so that the same files pass.
const RE2& MetricNameTemplate() {
  static const RE2 re(R"(^([a-zA-Z_]|\$\{?\w+\}?)([a-zA-Z0-9_]|\$\{?\w+\}?)*$)");
  return re;
}
// Its label name expression is ^[a-zA-Z_][a-zA-Z0-9_]+$: Prometheus's charset, but two
// characters at least.
bool IsMappingLabelName(std::string_view name) { return name.size() >= 2 && IsValidLabelName(name); }
// A glob: dot-separated components of name characters, '-' and '*' (a '*' matches any run of
// characters other than '.').
const RE2& GlobMatch() {
  static const RE2 re(R"(^[a-zA-Z0-9_*:-]+(\.[a-zA-Z0-9_*:-]+)*$)");
  return re;
}


std::vector<Objective> ParseQuantiles(const ConfigNode& node) {
  std::vector<Objective> quantiles;
  for (const ConfigNode& item : node.Items()) {
    item.ExpectKeys({"quantile", "error"});
    Objective objective{item["quantile"].AsDouble(), 0};
    if (objective.quantile <= 0 || objective.quantile >= 1) {
      item["quantile"].Fail("must be between 0 and 1 (exclusive)");
    }
    if (item["error"].IsSet()) objective.error = item["error"].AsDouble();
    quantiles.push_back(objective);
  }
  return quantiles;
}

ObserverType ParseObserverType(const ConfigNode& node, ObserverType fallback) {
  if (!node.IsSet()) return fallback;
  std::string text = node.AsString();
  if (auto type = kObserverTypeNames.Parse(text)) return *type;
  if (text.empty() || text == "default") return fallback;
  node.Fail("must be histogram or summary, got \"" + text + "\"");
}

// Fills `options` from a summary_options node; unset keys keep what `options` had.
void ParseSummaryOptions(const ConfigNode& node, SummaryOptions& options) {
  node.ExpectKeys({"quantiles", "max_age", "age_buckets", "buf_cap"});
  if (node["quantiles"].IsSet()) options.quantiles = ParseQuantiles(node["quantiles"]);
  options.max_age = node.GetDuration("max_age", options.max_age);
  options.age_buckets = static_cast<int>(node.GetInt("age_buckets", options.age_buckets, 1, 1000));
  options.buf_cap = static_cast<int>(node.GetInt("buf_cap", options.buf_cap, 1, 1000000));
}

// histogram_options: buckets (native histogram keys are accepted and have no effect: the
// text format cannot carry native histograms).
void ParseHistogramOptions(const ConfigNode& node, std::vector<double>& buckets) {
  node.ExpectKeys({"buckets", "native_histogram_bucket_factor", "native_histogram_max_buckets"});
  // Checked, then unused: the text format cannot carry native histograms.
  if (node["native_histogram_bucket_factor"].IsSet()) node["native_histogram_bucket_factor"].AsDouble();
  if (node["native_histogram_max_buckets"].IsSet()) {
    node["native_histogram_max_buckets"].AsInt(0, 4294967295);  // Go's uint32
  }
  if (node["buckets"].IsSet() && !node["buckets"].Items().empty()) {
    buckets = node["buckets"].AsBuckets();
  }
}

bool ParseMatchType(const ConfigNode& node, bool fallback_regex) {
  if (!node.IsSet()) return fallback_regex;
  std::string text = node.AsString();
  if (text == "glob") return false;
  if (text == "regex") return true;
  if (text.empty()) return fallback_regex;
  node.Fail("must be glob or regex, got \"" + text + "\"");
}

std::vector<std::string> SplitComponents(std::string_view match) {
  std::vector<std::string> components;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = match.find('.', start);
    components.emplace_back(match.substr(start, dot - start));
    if (dot == std::string_view::npos) return components;
    start = dot + 1;
  }
}

struct Defaults {
  bool regex = false;
  ObserverType observer_type;
  std::vector<double> buckets;
  SummaryOptions summary;
  Duration ttl{0};
};

Mapping ParseMapping(const ConfigNode& node, const Defaults& defaults) {
  node.ExpectKeys({"match", "match_type", "name", "labels", "honor_labels", "help", "action",
                   "match_metric_type", "observer_type", "timer_type", "histogram_options",
                   "summary_options", "buckets", "quantiles", "ttl", "scale", "priority"});
  Mapping mapping;
  mapping.match = node["match"].AsString();
  mapping.is_regex = ParseMatchType(node["match_type"], defaults.regex);

  std::string action = node.GetString("action", "map");
  if (action == "drop") {
    mapping.drop = true;
  } else if (action != "map" && !action.empty()) {
    node["action"].Fail("must be map or drop, got \"" + action + "\"");
  }

  if (mapping.is_regex) {
    auto regex = std::make_shared<const RE2>(mapping.match, RE2::Quiet);
    if (!regex->ok()) node["match"].Fail("invalid regex: " + regex->error());
    mapping.regex = std::move(regex);
  } else {
    if (!RE2::FullMatch(mapping.match, GlobMatch())) {
      node["match"].Fail("invalid glob \"" + mapping.match +
                         "\" (dot-separated components of [a-zA-Z0-9_:-] and '*')");
    }
    mapping.glob_components = SplitComponents(mapping.match);
  }

  mapping.name = node.GetString("name", "");
  if (mapping.name.empty() && !mapping.drop) node.Fail("a mapping needs a name (or action: drop)");
  if (!mapping.name.empty() && !RE2::FullMatch(mapping.name, MetricNameTemplate())) {
    node["name"].Fail("invalid metric name \"" + mapping.name + "\"");
  }
  for (auto& [label, value] : node["labels"].Entries()) {
    if (!IsMappingLabelName(label)) value.Fail("invalid label name \"" + label + "\"");
    mapping.labels.emplace_back(label, value.AsString());
  }
  std::sort(mapping.labels.begin(), mapping.labels.end());
  mapping.honor_labels = node.GetBool("honor_labels", false);
  mapping.help = node.GetString("help", "");

  if (node["match_metric_type"].IsSet()) {
    std::string type = node["match_metric_type"].AsString();
    if (auto kind = kMetricKindNames.Parse(type)) mapping.match_metric_type = *kind;
    else if (type == "timer") mapping.match_metric_type = MetricKind::kObserver;  // statsd_exporter's alias
    else if (!type.empty()) {
      node["match_metric_type"].Fail("must be counter, gauge or observer, got \"" + type + "\"");
    }
  }

  // timer_type is the legacy spelling: checked either way, observer_type wins.
  ParseObserverType(node["timer_type"], defaults.observer_type);
  ConfigNode observer = node["observer_type"].IsSet() ? node["observer_type"] : node["timer_type"];
  mapping.observer_type = ParseObserverType(observer, defaults.observer_type);
  bool has_histogram_options = node["histogram_options"].IsSet();
  bool has_summary_options = node["summary_options"].IsSet();
  if (mapping.observer_type == ObserverType::kHistogram && has_summary_options) {
    node["summary_options"].Fail("cannot use histogram observer and summary options at the same time");
  }
  if (mapping.observer_type == ObserverType::kSummary && has_histogram_options) {
    node["histogram_options"].Fail("cannot use summary observer and histogram options at the same time");
  }
  if (node["quantiles"].IsSet() && has_summary_options &&
      node["summary_options"]["quantiles"].IsSet()) {
    node["quantiles"].Fail("cannot use quantiles in both the top level and summary options");
  }
  if (node["buckets"].IsSet() && has_histogram_options &&
      node["histogram_options"]["buckets"].IsSet()) {
    node["buckets"].Fail("cannot use buckets in both the top level and histogram options");
  }
  mapping.buckets = defaults.buckets;
  if (node["buckets"].IsSet() && !node["buckets"].Items().empty()) {
    mapping.buckets = node["buckets"].AsBuckets();
  }
  ParseHistogramOptions(node["histogram_options"], mapping.buckets);
  mapping.summary = defaults.summary;
  if (node["quantiles"].IsSet() && !node["quantiles"].Items().empty()) {
    mapping.summary.quantiles = ParseQuantiles(node["quantiles"]);
  }
  ParseSummaryOptions(node["summary_options"], mapping.summary);

  mapping.ttl = node.GetDuration("ttl", defaults.ttl);
  if (mapping.ttl.count() == 0) mapping.ttl = defaults.ttl;
  if (node["scale"].IsSet()) mapping.scale = node["scale"].AsDouble();
  if (node["priority"].IsSet()) {
    std::string priority = node["priority"].AsString();
    auto parsed = kPriorityNames.Parse(priority);
    if (!parsed) node["priority"].Fail("must be low, normal or critical, got \"" + priority + "\"");
    mapping.priority = *parsed;
  }
  return mapping;
}

nlohmann::json SummaryJson(const SummaryOptions& summary) {
  nlohmann::json quantiles = nlohmann::json::array();
  for (const Objective& q : summary.quantiles) {
    quantiles.push_back({{"quantile", q.quantile}, {"error", q.error}});
  }
  return {{"quantiles", quantiles}, {"max_age", FormatDuration(summary.max_age)},
          {"age_buckets", summary.age_buckets}, {"buf_cap", summary.buf_cap}};
}

}  // namespace

const std::vector<double>& DefaultBuckets() {
  static const std::vector<double> buckets{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
  return buckets;
}

MappingConfig ParseMappingConfig(const ConfigNode& defaults_node, const ConfigNode& mappings,
                                 ObserverType default_observer) {
  defaults_node.ExpectKeys({"observer_type", "timer_type", "match_type", "glob_disable_ordering",
                            "ttl", "histogram_options", "summary_options", "buckets",
                            "quantiles"});
  Defaults defaults;
  ParseObserverType(defaults_node["timer_type"], default_observer);  // checked either way
  ConfigNode observer = defaults_node["observer_type"].IsSet() ? defaults_node["observer_type"]
                                                               : defaults_node["timer_type"];
  defaults.observer_type = ParseObserverType(observer, default_observer);
  defaults.regex = ParseMatchType(defaults_node["match_type"], false);
  defaults.ttl = defaults_node.GetDuration("ttl", Duration{0});
  defaults.buckets = DefaultBuckets();
  if (defaults_node["buckets"].IsSet() && !defaults_node["buckets"].Items().empty()) {
    defaults.buckets = defaults_node["buckets"].AsBuckets();
  }
  ParseHistogramOptions(defaults_node["histogram_options"], defaults.buckets);
  defaults.summary.quantiles = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
  if (defaults_node["quantiles"].IsSet() && !defaults_node["quantiles"].Items().empty()) {
    defaults.summary.quantiles = ParseQuantiles(defaults_node["quantiles"]);
  }
  ParseSummaryOptions(defaults_node["summary_options"], defaults.summary);

  MappingConfig config;
  config.glob_disable_ordering = defaults_node.GetBool("glob_disable_ordering", false);
  config.observer_type = defaults.observer_type;
  config.buckets = defaults.buckets;
  config.summary = defaults.summary;
  config.ttl = defaults.ttl;
  for (const ConfigNode& item : mappings.Items()) {
    config.mappings.push_back(ParseMapping(item, defaults));
  }
  return config;
}

nlohmann::json MappingConfig::ToJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const Mapping& m : mappings) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [name, value] : m.labels) labels[name] = value;
    nlohmann::json entry = {{"match", m.match},
                            {"match_type", m.is_regex ? "regex" : "glob"},
                            {"name", m.name},
                            {"labels", labels},
                            {"action", m.drop ? "drop" : "map"},
                            {"observer_type", kObserverTypeNames.Name(m.observer_type)},
                            {"ttl", FormatDuration(m.ttl)},
                            {"honor_labels", m.honor_labels},
                            {"priority", kPriorityNames.Name(m.priority)}};
    if (m.match_metric_type) entry["match_metric_type"] = KindName(*m.match_metric_type);
    if (m.observer_type == ObserverType::kHistogram) entry["buckets"] = m.buckets;
    else entry["summary_options"] = SummaryJson(m.summary);
    if (m.scale) entry["scale"] = *m.scale;
    if (!m.help.empty()) entry["help"] = m.help;
    list.push_back(std::move(entry));
  }
  return {{"defaults",
           {{"observer_type", kObserverTypeNames.Name(observer_type)},
            {"glob_disable_ordering", glob_disable_ordering},
            {"ttl", FormatDuration(ttl)},
            {"buckets", buckets},
            {"summary_options", SummaryJson(summary)}}},
          {"mappings", list}};
}

}  // namespace metricsd::statsd
