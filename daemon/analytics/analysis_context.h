// What every analytics method is given: the engine to ask, the config, the evaluation time and
// the range under study, and the analytics database (stored baselines, annotations) if any.
// Methods read data only through `engine` (local history or a remote Prometheus).
//
// Thread-safety: a view; the referenced objects outlive the call that receives it.
#pragma once

#include "daemon/analytics/analytics_config.h"
#include "daemon/analytics/query_engine.h"

namespace metricsd::analytics {

class AnalyticsDb;

struct AnalysisContext {
  QueryEngine& engine;
  const AnalyticsConfig& config;
  Timestamp now = 0;               // ms; the evaluation time
  Timestamp start = 0, end = 0;    // ms; the range a report covers (findings: end == now)
  AnalyticsDb* db = nullptr;       // null: nothing stored (a remote-only `metricsd report`)
};

}  // namespace metricsd::analytics
