// Bottlenecks (30.1.2-3, 30.2.1, 30.2.5): for each configured histogram family (AO Actions,
// battle phases, DB queries by table/op, AO dry-runs), the top-N operations by p95 and by share
// of the family's total time over a window, and cache hit ratios when hit/miss counters exist.
// Everything is asked as PromQL (topk, histogram_quantile, increase) through the engine, so the
// same ranking comes from the local history or a remote Prometheus.
//
// Thread-safety: pure functions over the engine (thread-safe itself).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/bottleneck_options.h"
#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

struct OperationStats {
  promql::Labels labels;  // the family's `by` labels
  double p95 = 0;         // seconds; NaN when unknown
  double seconds = 0;     // total time spent in the window
  double share = 0;       // of the family's total time, 0..1
  double calls = 0;       // observations in the window
};

struct FamilyRanking {
  std::string name;
  std::vector<OperationStats> by_p95;    // descending p95, at most `top`
  std::vector<OperationStats> by_share;  // descending share, at most `top`
  double total_seconds = 0;              // of every operation
  std::vector<std::string> queries;      // what was asked
  std::string error;                     // the first failed query's message
};

// The rankings of one family over `window_ms` ending at `at`.
FamilyRanking RankFamily(QueryEngine& engine, const BottleneckFamily& family, int top,
                         std::int64_t window_ms, Timestamp at);

struct CacheRatio {
  promql::Labels labels;  // cache_by labels
  double hits = 0, misses = 0;
  double ratio = 0;  // hits / (hits + misses); NaN without lookups
};
// hits / (hits + misses); NaN when both are 0 (or either is NaN).
double HitRatio(double hits, double misses);
// Hit ratios per cache over the window; `error` set when a query failed. Empty when the
// options name no counters.
std::vector<CacheRatio> QueryCacheRatios(QueryEngine& engine, const BottleneckOptions& options,
                                         std::int64_t window_ms, Timestamp at,
                                         std::string* error);

// The "bottlenecks" report section.
ReportSection BuildBottlenecksSection(const AnalysisContext& context);

}  // namespace metricsd::analytics
