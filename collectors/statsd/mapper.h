// Matches StatsD metric names against a MappingConfig as statsd_exporter does: globs first (in
// file order, or most specific first with glob_disable_ordering), then regexes in file order;
// the first match wins. Immutable and thread-safe. Receivers call it once per distinct line
// identity (name, type, tags) and remember the outcome (see Ingester).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "collectors/statsd/mapping.h"

namespace metricsd::statsd {

struct MapResult {
  const Mapping* mapping = nullptr;  // null: no mapping matched
  std::string name;                  // the expanded name template (not yet escaped)
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name
};

class Mapper {
 public:
  explicit Mapper(MappingConfig config);

  const MappingConfig& config() const { return config_; }

  // Fills `out` and returns true when a mapping matched.
  bool Map(std::string_view name, MetricKind kind, MapResult& out) const;

 private:
  bool MapGlob(std::string_view name, MetricKind kind, MapResult& out) const;
  bool MapRegex(std::string_view name, MetricKind kind, MapResult& out) const;

  MappingConfig config_;
  std::unordered_map<std::size_t, std::vector<const Mapping*>> globs_by_length_;
  std::vector<const Mapping*> regexes_;
};

}  // namespace metricsd::statsd
