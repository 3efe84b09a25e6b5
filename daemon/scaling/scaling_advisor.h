// The scaling advisor: evaluates each scaling target's load expression through the PromQL
// engine, applies the Kubernetes HPA formula (desired = ceil(current x load / target), with
// tolerance, stabilization windows and cooldown: daemon/scaling/hpa.h), optionally ahead of
// time from the analytics forecast, and calls the target's hooks (webhook, exec; dry_run by
// default: daemon/scaling/scaling_hooks.h).
//
// Two threads of its own, started by the first Configure(): the evaluator (every
// scaling.interval it queries each target, in config order, and decides) and the hook runner
// (calls hooks one at a time from a bounded queue, so a slow hook delays neither evaluations
// nor the io_context, whose threads only run the webhook's exchange).
//
// Thread-safety: thread-safe; Configure() and Stop() from any thread, Status() and the
// metrics source concurrently with evaluations.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "daemon/core/asio.h"
#include "daemon/core/route.h"
#include "daemon/core/source.h"
#include "daemon/query/query_service.h"
#include "daemon/scaling/scaling_config.h"

namespace metricsd::scaling {

class ScalingAdvisor {
 public:
  ScalingAdvisor(net::io_context& ioc, std::shared_ptr<query::QueryService> query);
  ~ScalingAdvisor();
  ScalingAdvisor(const ScalingAdvisor&) = delete;
  ScalingAdvisor& operator=(const ScalingAdvisor&) = delete;

  // Targets that stay (same name) keep their history of recommendations and cooldown.
  void Configure(std::shared_ptr<const ScalingConfig> config);
  void Stop();

  // metricsd_scaling_{desired,current}_replicas{target}, metricsd_scaling_load{target},
  // metricsd_scaling_forecast_load{target}, metricsd_scaling_decisions_total{target,direction},
  // metricsd_scaling_hook_calls_total{target,hook,result},
  // metricsd_scaling_evaluation_errors_total{target,reason}. Holds the advisor weakly.
  std::shared_ptr<const Source> MetricsSource() const;

  // The data of GET /api/v1/scaling: {targets: [...]}, in config order (no secrets).
  nlohmann::json Status() const;
  struct State;

 private:
  friend Routes ScalingRoutes(ScalingAdvisor* advisor);
  std::shared_ptr<State> state_;
};

// GET /api/v1/scaling. With a null advisor (before start: print_docs) the routes only describe
// themselves; their handlers must not be called.
Routes ScalingRoutes(ScalingAdvisor* advisor);

}  // namespace metricsd::scaling
