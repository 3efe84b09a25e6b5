// statsd_exporter's mapping file format, read unchanged: `defaults` and `mappings`, every key
// statsd_exporter knows (legacy `timer_type`, `buckets` and `quantiles` included), validated
// with statsd_exporter's own rules so a file it rejects is rejected here, with file:line:column.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "daemon/core/config_node.h"
#include "daemon/core/duration.h"
#include "daemon/core/enum_table.h"

namespace metricsd::statsd {

// What a mapping may restrict itself to (`match_metric_type`); timers, histograms and
// distributions are all "observer".
enum class MetricKind { kCounter, kGauge, kObserver };
inline constexpr EnumTable<MetricKind, 3> kMetricKindNames{{{
    {MetricKind::kCounter, "counter"},
    {MetricKind::kGauge, "gauge"},
    {MetricKind::kObserver, "observer"},
}}};
inline std::string_view KindName(MetricKind kind) { return kMetricKindNames.Name(kind); }

enum class ObserverType { kHistogram, kSummary };
inline constexpr EnumTable<ObserverType, 2> kObserverTypeNames{{{
    {ObserverType::kHistogram, "histogram"},
    {ObserverType::kSummary, "summary"},
}}};

// What load shedding may drop (`priority`, a metricsd key statsd_exporter does not have): over
// the limits budget, low-priority lines go first, normal ones (and unmapped lines) last;
// critical lines are never shed (daemon/core/shed_state.h).
enum class Priority : std::uint8_t { kLow, kNormal, kCritical };
inline constexpr EnumTable<Priority, 3> kPriorityNames{{{
    {Priority::kLow, "low"},
    {Priority::kNormal, "normal"},
    {Priority::kCritical, "critical"},
}}};

struct Objective {
  double quantile;
  double error;
};

struct SummaryOptions {
  std::vector<Objective> quantiles;
  Duration max_age = std::chrono::minutes(10);
  int age_buckets = 5;
  int buf_cap = 500;
};

struct Mapping {
  std::string match;
  bool is_regex = false;
  std::shared_ptr<const RE2> regex;           // regex mappings
  std::vector<std::string> glob_components;   // glob mappings: the match split at '.'
  std::string name;                           // a template: $1 / ${1} (glob), Go's $name (regex)
  std::vector<std::pair<std::string, std::string>> labels;  // name -> value template
  bool drop = false;                          // action: drop
  std::optional<MetricKind> match_metric_type;
  ObserverType observer_type = ObserverType::kSummary;
  std::vector<double> buckets;                // histogram observers
  SummaryOptions summary;                     // summary observers
  Duration ttl{0};                            // 0: never expires
  std::optional<double> scale;                // multiplies every value
  std::string help;
  bool honor_labels = false;                  // tags win over the mapping's labels
  Priority priority = Priority::kNormal;      // what load shedding may drop
};

struct MappingConfig {
  std::vector<Mapping> mappings;
  bool glob_disable_ordering = false;
  // What an unmapped metric gets.
  ObserverType observer_type = ObserverType::kSummary;
  std::vector<double> buckets;
  SummaryOptions summary;
  Duration ttl{0};

  nlohmann::json ToJson() const;
};

// Prometheus's client default buckets, statsd_exporter's default.
const std::vector<double>& DefaultBuckets();

// Parses a mapping document: `node` holds `defaults` and `mappings` (a mapping file's root, or
// the inline `statsd` section). `default_observer` applies when `defaults.observer_type` is
// unset. Throws ConfigError.
MappingConfig ParseMappingConfig(const ConfigNode& defaults, const ConfigNode& mappings,
                                 ObserverType default_observer);

}  // namespace metricsd::statsd
