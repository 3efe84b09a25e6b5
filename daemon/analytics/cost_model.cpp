#include "daemon/analytics/cost_model.h"

#include "daemon/query/promql_key.h"

namespace metricsd::analytics {

const config::Section<CostModel>& CostModelSection() {
  static const auto* section = [] {
    auto* cost = new config::Section<CostModel>(
        "The cost model for ROI: prices of resources, values of player time and churn, and the "
        "PromQL measuring each.");
    constexpr double kMax = 1e12;
    cost->String("currency", &CostModel::currency, "printed beside every amount")
        .Double("cpu_hour", &CostModel::cpu_hour, 0, kMax, "cost of one CPU core for one hour")
        .Double("memory_gib_month", &CostModel::memory_gib_month, 0, kMax, "cost of one GiB of memory for a month")
        .Double("disk_gib_month", &CostModel::disk_gib_month, 0, kMax, "cost of one GiB of disk for a month")
        .Double("player_minute", &CostModel::player_minute, 0, kMax, "value of one player-minute; 0: not counted")
        .Double("churn_point", &CostModel::churn_point, 0, kMax,
                "value per month of one percentage point less churn; 0: not counted")
        .String("cpu", &CostModel::cpu, "PromQL: CPU cores used")
        .String("memory", &CostModel::memory, "PromQL: memory bytes used")
        .String("disk", &CostModel::disk, "PromQL: disk bytes used")
        .String("players", &CostModel::players, "PromQL: concurrent players")
        .String("churn", &CostModel::churn, "PromQL: churn as a ratio 0..1; empty: not measured")
        .String("tag", &CostModel::tag, "annotations ROI covers carry this tag; empty: every annotation in range")
        .Check("cpu, memory, disk, players and churn are valid PromQL", [](const ConfigNode& node, CostModel& c) {
          query::CheckPromQL(node["cpu"], c.cpu);
          query::CheckPromQL(node["memory"], c.memory);
          query::CheckPromQL(node["disk"], c.disk);
          query::CheckPromQL(node["players"], c.players);
          query::CheckPromQL(node["churn"], c.churn);
        });
    return cost;
  }();
  return *section;
}

}  // namespace metricsd::analytics
