// Matches StatsD metric names against a MappingConfig as statsd_exporter does: globs first (in
// file order, or most specific first with glob_disable_ordering), then regexes in file order;
// the first match wins. Immutable and thread-safe; each receiver keeps its own MapperCache.
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

// A bounded per-thread cache of Map() results: names repeat on every packet, matching does
// not need to. When full it starts over (cheap, and a working set that fits stays hot).
class MapperCache {
 public:
  MapperCache(std::shared_ptr<const Mapper> mapper, std::size_t capacity)
      : mapper_(std::move(mapper)), capacity_(capacity) {}

  // The cached (or freshly computed) result for (name, kind); its name is escaped
  // (EscapeMetricName), and is the raw name's escape when nothing matched.
  const MapResult& Map(std::string_view name, MetricKind kind);
  const std::shared_ptr<const Mapper>& mapper() const { return mapper_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  std::shared_ptr<const Mapper> mapper_;
  std::size_t capacity_;
  std::string key_;  // scratch: kind + name
  std::unordered_map<std::string, MapResult, Hash, std::equal_to<>> results_;
};

}  // namespace metricsd::statsd
