// The options of bottleneck analysis (`analytics.bottlenecks`): which histogram families are
// ranked (by p95 and by share of total time), how many rows, over which window, and the cache
// counters whose hit ratios are reported.
#pragma once

#include <string>
#include <vector>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct BottleneckFamily {
  std::string name;       // for people ("AO Actions")
  std::string histogram;  // the family without _bucket/_sum/_count, optionally {matchers}
  std::vector<std::string> by;  // the labels naming an operation

  bool operator==(const BottleneckFamily&) const = default;
};

// The game's: AO Actions, battle phases, DB queries by table/op, AO dry-runs.
std::vector<BottleneckFamily> DefaultBottleneckFamilies();

// Thread-safety: a value; immutable once loaded.
struct BottleneckOptions {
  int top = 10;
  // Ranked over this window ending at the report's end; 0: the report range.
  Duration window{0};
  std::vector<BottleneckFamily> families = DefaultBottleneckFamilies();
  // Counters of cache hits and misses (selectors); both empty: no hit ratios. The defaults
  // are the game's names; absent series simply give no table.
  std::string cache_hits = "game_cache_hits_total";
  std::string cache_misses = "game_cache_misses_total";
  std::vector<std::string> cache_by = {"cache"};

  bool operator==(const BottleneckOptions&) const = default;
};

const config::Section<BottleneckFamily>& BottleneckFamilySection();
const config::Section<BottleneckOptions>& BottleneckSection();

// `family` with `suffix` appended to its metric name, before any {matchers}:
// ("x{a=\"1\"}", "_sum") -> "x_sum{a=\"1\"}".
std::string FamilySeries(const std::string& family, const std::string& suffix);

}  // namespace metricsd::analytics
