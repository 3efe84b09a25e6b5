#include "daemon/analytics/capacity_options.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "daemon/query/promql_key.h"

namespace metricsd::analytics {

CapacityResource MakeCapacityResource(std::string name, std::string expr, double limit,
                                      std::string unit) {
  CapacityResource r;
  r.name = std::move(name);
  r.expr = std::move(expr);
  r.limit = limit;
  r.unit = std::move(unit);
  return r;
}

std::vector<CapacityResource> DefaultCapacityResources() {
  const auto resource = MakeCapacityResource;
  const std::string real_fs = "{fstype!~\"tmpfs|ramfs|squashfs|overlay|nsfs\"}";
  return {
      resource("filesystem",
               "1 - node_filesystem_avail_bytes" + real_fs + " / node_filesystem_size_bytes" + real_fs,
               1.0, "ratio"),
      resource("memory", "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", 1.0,
               "ratio"),
      resource("cpu", "1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))",
               0.8, "ratio"),
      // No natural limit: what one player costs in AO handler calls; its forecast and its
      // growth are shown, a runway only once a limit is configured.
      resource("ao_throughput_per_player",
               "sum(rate(game_ao_handler_duration_seconds_count[5m])) / sum(game_players)",
               std::numeric_limits<double>::infinity(), "ops/s per player"),
  };
}

namespace {

// The number at `pointer` in the JSON file `path`; a ConfigError at `node` otherwise.
double LimitFromReport(const ConfigNode& node, const std::string& path, const std::string& pointer) {
  std::ifstream in(path);
  if (!in) node.Fail("cannot read capacity report " + path);
  nlohmann::json report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded()) node.Fail(path + " is not JSON");
  nlohmann::json::json_pointer at;
  try {
    at = nlohmann::json::json_pointer(pointer);
  } catch (const nlohmann::json::exception&) {
    node.Fail("limit_field " + pointer + " is not a JSON pointer (\"/result/max_lossless_rate\")");
  }
  if (!report.contains(at) || !report[at].is_number()) {
    node.Fail(path + " has no number at " + pointer);
  }
  double value = report[at].get<double>();
  if (!std::isfinite(value) || value <= 0) node.Fail(path + ": " + pointer + " is not a positive number");
  return value;
}

}  // namespace

const config::Section<CapacityResource>& CapacityResourceSection() {
  static const auto* section = [] {
    auto* resource = new config::Section<CapacityResource>(
        "A resource whose exhaustion is forecast: its usage and the limit usage must stay under.");
    resource->String("name", &CapacityResource::name, "names findings and report rows")
        .Required()
        .String("expr", &CapacityResource::expr,
                "PromQL: the usage (e.g. a ratio 0..1); each result series on its own")
        .Required()
        .Double("limit", &CapacityResource::limit, -1e300, 1e300,
                "the level usage must stay under (0.8: CPU saturation)")
        .DefaultNote("none: a forecast without a runway")
        .OmitWhen([](const CapacityResource& r) { return !std::isfinite(r.limit); })
        .String("unit", &CapacityResource::unit, "of the usage: ratio, bytes, ...")
        .Path("limit_from", &CapacityResource::limit_from,
              "a capacity report of `metricsd capacity` (capacity-report.json, relative to this "
              "file): its figure at limit_field becomes the limit, read at load and on reload "
              "(it replaces `limit`)")
        .String("limit_field", &CapacityResource::limit_field,
                "with limit_from: a JSON pointer to the figure (default: the max lossless "
                "StatsD rate, lines/s)")
        .Check("expr is valid PromQL", [](const ConfigNode& node, CapacityResource& r) {
          query::CheckPromQL(node["expr"], r.expr);
        })
        .Check("limit_from names a readable capacity report with a number at limit_field",
               [](const ConfigNode& node, CapacityResource& r) {
                 if (r.limit_from.empty()) return;
                 r.limit = LimitFromReport(node["limit_from"], r.limit_from, r.limit_field);
               });
    return resource;
  }();
  return *section;
}

const config::Section<CapacityOptions>& CapacitySection() {
  static const auto* section = [] {
    using std::chrono::hours;
    auto* capacity = new config::Section<CapacityOptions>(
        "Capacity runway: when each resource reaches its limit, from Holt-Winters forecasts, "
        "and growth scenarios from a driver metric (players online).");
    capacity
        ->List("resources", &CapacityOptions::resources, CapacityResourceSection(),
               CapacityResourceSection().doc())
        .DefaultNote(
            "filesystem, memory (limit 1), cpu (limit 0.8), ao_throughput_per_player "
            "(no limit)")
        .String("driver", &CapacityOptions::driver,
                "PromQL: the demand usage grows with (summed when it has several series)")
        .Add(
            config::MakeKeyInfo(
                "scenarios", "list of numbers",
                "driver growth in percent per week, compounding (each 0.1..1000)",
                {{"type", {"array", "null"}},
                 {"items", {{"type", "number"}, {"minimum", 0.1}, {"maximum", 1000}}}}),
            [](const ConfigNode& node, CapacityOptions& options) {
              options.scenarios.clear();
              for (const ConfigNode& item : node.Items()) {
                double value = item.AsDouble();
                if (value < 0.1 || value > 1000) item.Fail("must be between 0.1 and 1000");
                options.scenarios.push_back(value);
              }
            },
            [](const CapacityOptions& options) { return nlohmann::json(options.scenarios); })
        .Dur("horizon", &CapacityOptions::horizon, "how far the runway forecast looks ahead",
             config::DurationBounds{hours(1), hours(365 * 24)})
        .Dur("warn_within", &CapacityOptions::warn_within,
             "an \"exhaustion\" finding when the forecast reaches the limit sooner",
             config::DurationBounds{hours(1), hours(365 * 24)})
        .Dur("critical_within", &CapacityOptions::critical_within,
             "the finding is critical when the limit is reached sooner still",
             config::DurationBounds{Duration(0), hours(365 * 24)})
        .Check("critical_within <= warn_within <= horizon; driver is valid PromQL",
               [](const ConfigNode& node, CapacityOptions& options) {
                 query::CheckPromQL(node["driver"], options.driver);
                 if (options.critical_within > options.warn_within) {
                   node["critical_within"].Fail("must not exceed warn_within");
                 }
                 if (options.warn_within > options.horizon) {
                   node["warn_within"].Fail("must not exceed horizon");
                 }
               });
    return capacity;
  }();
  return *section;
}

}  // namespace metricsd::analytics
