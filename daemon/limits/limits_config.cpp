#include "daemon/limits/limits_config.h"

#include <string>

namespace metricsd::limits {

const config::Section<LimitsConfig>& LimitsSection() {
  static const auto* section =
      &(*new config::Section<LimitsConfig>(
            "metricsd's own CPU and memory budget. Usage is measured every `interval`; over "
            "budget, metricsd sheds load one step at a time in a fixed order: 1 statsd_low "
            "(lines of `priority: low` StatsD mappings are dropped), 2 probes (each target "
            "probed 4x less often), 3 history (one sampler pass in 4; nothing stored is lost), "
            "4 statsd_normal (lines of normal-priority and unmapped StatsD metrics are "
            "dropped). /metrics, `priority: critical` StatsD mappings and alerting are never "
            "shed. Each step is metricsd_degraded{component} and metricsd_shed_dropped_total; "
            "a change of level is logged once. Without a budget nothing is shed."))
           .Double("cpu", &LimitsConfig::cpu, 0, 1024,
                   "CPU budget in cores (user + system time of the whole process; 0.5 is half a "
                   "core); 0: no CPU budget")
           .Size("memory", &LimitsConfig::memory, 0, std::int64_t{1} << 50,
                 "resident memory budget (RSS), bytes or a size such as 512MiB; 0: no memory "
                 "budget. Shedding slows what allocates; the hard caps (statsd.max_series, "
                 "history.max_series, ...) are what bound memory")
           .Dur("interval", &LimitsConfig::interval,
                "how often CPU and memory usage are measured (CPU: the average over the interval)",
                {std::chrono::milliseconds(100), std::chrono::minutes(1)})
           .Dur("over_for", &LimitsConfig::over_for,
                "usage averaged over this window must be over budget to shed one more step; the "
                "window starts again after each change, so each step is judged on what it "
                "achieved (a short spike sheds nothing)",
                {std::chrono::milliseconds(100), std::chrono::hours(1)})
           .Double("recover_below", &LimitsConfig::recover_below, 0.1, 0.99,
                   "hysteresis: a step is given back only when every measurement is under this "
                   "fraction of the budget; between it and the budget the level holds")
           .Dur("recover_for", &LimitsConfig::recover_for,
                "how long usage must stay under recover_below before the first step is given "
                "back; then one more step each interval while it stays under. A step shed again "
                "right after being given back doubles this wait (up to 16x) until the load has "
                "been calm for a while, so a load that shedding only just tames does not cycle",
                {std::chrono::milliseconds(0), std::chrono::hours(1)})
           .Check("over_for and recover_for are at least one interval",
                  [](const ConfigNode& node, LimitsConfig& config) {
                    // Blamed on the key the user wrote: the other one holds its default.
                    auto at = [&](std::string_view key) {
                      return node[key].IsSet() ? node[key] : node["interval"];
                    };
                    if (config.over_for < config.interval) {
                      at("over_for").Fail("over_for (" + FormatDuration(config.over_for) +
                                            ") must be at least interval (" +
                                            FormatDuration(config.interval) + ")");
                    }
                    if (config.recover_for < config.interval) {
                      at("recover_for").Fail("recover_for (" + FormatDuration(config.recover_for) +
                                               ") must be at least interval (" +
                                               FormatDuration(config.interval) + ")");
                    }
                  });
  return *section;
}

}  // namespace metricsd::limits
