#include "daemon/analytics/bottleneck_options.h"

#include "daemon/query/promql_key.h"

namespace metricsd::analytics {

std::vector<BottleneckFamily> DefaultBottleneckFamilies() {
  return {
      {"AO Actions", "game_ao_handler_duration_seconds", {"process", "action"}},
      {"Battle phases", "game_battle_phase_duration_seconds", {"phase"}},
      {"DB queries", "game_db_query_duration_seconds", {"table", "op"}},
      {"AO dry-runs", "ao_dryrun_duration_seconds", {"process", "action"}},
  };
}

std::string FamilySeries(const std::string& family, const std::string& suffix) {
  std::size_t brace = family.find('{');
  if (brace == std::string::npos) return family + suffix;
  return family.substr(0, brace) + suffix + family.substr(brace);
}

const config::Section<BottleneckFamily>& BottleneckFamilySection() {
  static const auto* section = [] {
    auto* family = new config::Section<BottleneckFamily>(
        "A histogram family whose operations are ranked.");
    family->String("name", &BottleneckFamily::name, "for people (\"DB queries\")")
        .Required()
        .String("histogram", &BottleneckFamily::histogram,
                "the family without _bucket/_sum/_count, optionally with {matchers}")
        .Required()
        .Strings("by", &BottleneckFamily::by, "the labels naming an operation")
        .Check("histogram is a valid PromQL selector",
               [](const ConfigNode& node, BottleneckFamily& f) {
                 if (f.histogram.empty()) node["histogram"].Fail("must not be empty");
                 query::CheckPromQL(node["histogram"], FamilySeries(f.histogram, "_bucket"));
               });
    return family;
  }();
  return *section;
}

const config::Section<BottleneckOptions>& BottleneckSection() {
  static const auto* section = [] {
    auto* bottlenecks = new config::Section<BottleneckOptions>(
        "Bottlenecks: the top operations of each histogram family by p95 and by share of "
        "total time, and cache hit ratios.");
    bottlenecks->Int("top", &BottleneckOptions::top, 1, 1000, "rows per ranking")
        .Dur("window", &BottleneckOptions::window,
             "ranked over this window ending at the report's end; 0s: the report range",
             config::DurationBounds{Duration(0), std::chrono::hours(24 * 90)})
        .List("families", &BottleneckOptions::families, BottleneckFamilySection(),
              BottleneckFamilySection().doc())
        .String("cache_hits", &BottleneckOptions::cache_hits,
                "counter of cache hits (PromQL selector); empty (with cache_misses): no hit ratios")
        .String("cache_misses", &BottleneckOptions::cache_misses,
                "counter of cache misses (PromQL selector); set together with cache_hits")
        .Strings("cache_by", &BottleneckOptions::cache_by, "the labels naming a cache")
        .Check("cache_hits and cache_misses are valid PromQL, both set or both empty",
               [](const ConfigNode& node, BottleneckOptions& options) {
                 query::CheckPromQL(node["cache_hits"], options.cache_hits);
                 query::CheckPromQL(node["cache_misses"], options.cache_misses);
                 if (options.cache_hits.empty() != options.cache_misses.empty()) {
                   node["cache_hits"].Fail("cache_hits and cache_misses are both set or both empty");
                 }
               });
    return bottlenecks;
  }();
  return *section;
}

}  // namespace metricsd::analytics
