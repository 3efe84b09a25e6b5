// The options of capacity runway (`analytics.capacity`): the resources whose exhaustion is
// forecast (a usage expression and the limit it must stay under), how far ahead and when a
// runway is worth a finding, and the growth scenarios computed from a driver metric
// (players online).
#pragma once

#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct CapacityResource {
  std::string name;  // names findings and report rows
  std::string expr;  // PromQL: the usage (e.g. a ratio 0..1); each series on its own
  // The level usage must stay under. Left out (+infinity, as shipped for per-player
  // throughput): no runway, the forecast and the regression on the driver are still shown.
  // Infinity rather than NaN keeps operator== meaningful.
  double limit = std::numeric_limits<double>::infinity();
  std::string unit = "ratio";
  // A capacity report of `metricsd capacity` (capacity-report.json) whose measured figure at
  // `limit_field` (a JSON pointer) becomes `limit` at load: the StatsD ingest runway then
  // runs against the rate this host was measured to take without loss.
  std::string limit_from;
  std::string limit_field = "/result/max_lossless_rate";

  bool operator==(const CapacityResource&) const = default;
};

// A resource with its limit given directly (no limit_from).
CapacityResource MakeCapacityResource(std::string name, std::string expr, double limit,
                                      std::string unit);

// Filesystems, memory, CPU saturation (limit 0.8) and AO handler throughput per player.
std::vector<CapacityResource> DefaultCapacityResources();

// Thread-safety: a value; immutable once loaded.
struct CapacityOptions {
  std::vector<CapacityResource> resources = DefaultCapacityResources();
  // The demand that drives usage (one series, or summed): growth scenarios regress usage on it.
  std::string driver = "sum(game_players)";
  // Growth rates of the driver in percent per week, compounding.
  std::vector<double> scenarios = {10, 25, 50};
  Duration horizon = std::chrono::hours(28 * 24);         // how far the runway looks
  Duration warn_within = std::chrono::hours(14 * 24);     // a finding when exhausted sooner
  Duration critical_within = std::chrono::hours(3 * 24);  // ... critical when sooner still

  bool operator==(const CapacityOptions&) const = default;
};

const config::Section<CapacityResource>& CapacityResourceSection();
const config::Section<CapacityOptions>& CapacitySection();

}  // namespace metricsd::analytics
