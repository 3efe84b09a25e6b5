// The ROI cost model (`analytics.cost`): what resources cost and what players' time and churn
// are worth, and the PromQL that measures each. ROI turns an annotated optimization's
// before/after medians into money per month with these prices (roi.h).
#pragma once

#include <string>

#include "daemon/core/config_schema.h"

namespace metricsd::analytics {

// Hours in an average month (8760 / 12): prices per hour become prices per month with it.
inline constexpr double kHoursPerMonth = 730.0;

// Thread-safety: a value; immutable once loaded.
struct CostModel {
  std::string currency = "USD";
  // Prices. The defaults are typical on-demand cloud prices (2024, a general-purpose VM's
  // vCPU-hour, its GiB of RAM per month, block storage per GiB-month); set your own.
  double cpu_hour = 0.04;
  double memory_gib_month = 3.0;
  double disk_gib_month = 0.10;
  // Values; 0: not counted (the game's own economics, nothing to default to).
  double player_minute = 0;  // value of one player-minute
  double churn_point = 0;    // value per month of one percentage point less churn
  // What measures each (PromQL; several series are summed per step).
  std::string cpu = "sum(rate(node_cpu_seconds_total{mode!=\"idle\"}[5m]))";  // cores used
  std::string memory = "node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes";  // bytes
  std::string disk =
      "node_filesystem_size_bytes{fstype!~\"tmpfs|overlay|squashfs\"} - "
      "node_filesystem_avail_bytes{fstype!~\"tmpfs|overlay|squashfs\"}";  // bytes used
  std::string players = "sum(game_players)";  // concurrent players
  std::string churn;                          // a ratio 0..1; empty: not measured
  // The annotations ROI covers: those carrying this tag; empty: every annotation in range.
  std::string tag = "optimization";
  bool operator==(const CostModel&) const = default;
};

const config::Section<CostModel>& CostModelSection();

}  // namespace metricsd::analytics
