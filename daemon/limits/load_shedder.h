// Self-protection: measures metricsd's CPU and resident memory against `limits` and, over
// budget, sheds load in a fixed, documented order with hysteresis (README, Load shedding):
// low-priority StatsD mappings, then probe frequency, then history, then normal StatsD; never
// /metrics, critical StatsD or alerting. Each step is metricsd_degraded{component} and a
// counted drop (metricsd_shed_dropped_total), logged once per change.
//
// The decision is ShedPolicy's (shed_policy.h); the level it reaches is published process-wide
// (daemon/core/shed_state.h), where each component reads it cheaply and sheds its own step.
//
// Thread-safety: thread-safe; Configure() and Stop() from any thread. Measurements run on the
// io_context (a PeriodicJob holding a weak reference), so the LoadShedder may go before it.
#pragma once

#include <memory>

#include "daemon/core/asio.h"
#include "daemon/core/source.h"
#include "daemon/limits/limits_config.h"
#include "daemon/limits/resource_usage.h"

namespace metricsd::limits {

class LoadShedder {
 public:
  // Measures this process (SelfUsageMeter).
  explicit LoadShedder(net::io_context& ioc);
  // Measures through `reader`, called once per interval on the io_context (tests replay usage
  // shapes with it).
  LoadShedder(net::io_context& ioc, UsageReader reader);
  ~LoadShedder();
  LoadShedder(const LoadShedder&) = delete;
  LoadShedder& operator=(const LoadShedder&) = delete;

  // At start and on every reload. Without a budget, measuring stops and the level drops to 0.
  void Configure(const LimitsConfig& config);
  // Stops measuring and gives back every step (shutdown).
  void Stop();

  // metricsd_degraded{component}, metricsd_shed_level, metricsd_shed_dropped_total,
  // metricsd_shed_level_changes_total, metricsd_limits_* (budget and measured usage).
  std::shared_ptr<const Source> MetricsSource() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace metricsd::limits
