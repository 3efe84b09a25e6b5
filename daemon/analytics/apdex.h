// Apdex (30.1.6) from latency histograms, and the histogram reading it rests on (frame
// smoothness and bottlenecks share it).
//
// Apdex_T = (satisfied + tolerating / 2) / total, satisfied = observations <= T, tolerating =
// observations in (T, 4T] (Apdex Technical Specification v1.1). A Prometheus histogram only
// knows cumulative counts at its bucket bounds `le`; when T or 4T is not a bound, the count
// at it is interpolated linearly inside its bucket, as histogram_quantile does (the first
// bucket's lower bound is 0), and the result says so. Observations in the +Inf bucket above
// the highest finite bound count as frustrated when 4T lies beyond it (a lower bound on the
// score).
//
// Thread-safety: pure functions, except the Query* functions, which only call the engine
// (thread-safe itself).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/analytics/query_engine.h"

namespace metricsd::analytics {

// One bucket of a cumulative histogram: `count` observations were <= `le` (+Inf allowed).
struct Bucket {
  double le = 0;
  double count = 0;
};

// Sorts by `le`, drops NaN bounds and makes the counts non-decreasing (increase() over
// separately extrapolated bucket series can break monotonicity by a hair; Prometheus's
// histogram_quantile repairs it the same way).
std::vector<Bucket> NormalizeBuckets(std::vector<Bucket> buckets);

struct CountAt {
  double count = 0;           // observations <= x
  bool interpolated = false;  // x was not a bucket bound
  bool beyond = false;        // x lies past the highest finite bound (count is a lower bound)
};
// The cumulative count at `x` of normalized buckets, interpolated within its bucket.
CountAt CumulativeCountAt(std::span<const Bucket> buckets, double x);
// All observations: the +Inf bucket, else the highest bucket.
double TotalCount(std::span<const Bucket> buckets);

struct Apdex {
  double score = 0;  // NaN when there are no observations
  double satisfied = 0, tolerating = 0, total = 0;
  bool interpolated = false;  // T or 4T was not a bucket bound
  bool beyond = false;        // 4T past the highest finite bound: a lower bound
};
Apdex ComputeApdex(std::span<const Bucket> buckets, double t);
// The score alone (NaN when empty).
double ApdexFromBuckets(std::span<const Bucket> buckets, double t);

// Apdex's own rating: "excellent" >= 0.94, "good" >= 0.85, "fair" >= 0.70, "poor" >= 0.50,
// "unacceptable" below; "n/a" for NaN.
std::string_view ApdexBand(double score);

// The value of an `le` label ("0.1", "+Inf"); NaN when it is not a number.
double ParseBucketBound(const std::string& text);

// A PromQL range duration of `ms` ("3600s", "1500ms"); at least 1ms.
std::string PromDuration(std::int64_t ms);

// One histogram's buckets (per group of labels) from the engine.
struct BucketSeries {
  promql::Labels labels;  // the group (without le and __name__)
  std::vector<Bucket> buckets;  // normalized
};
struct BucketQuery {
  std::string query;  // what was asked
  std::vector<BucketSeries> series;
  std::string error;  // the engine's message when the query failed
};
// `sum by (<by>, le) (increase(<bucket_selector>[<window>]))` at `at`, grouped by `by`.
BucketQuery QueryBuckets(QueryEngine& engine, std::string_view bucket_selector,
                         const std::vector<std::string>& by, std::int64_t window_ms,
                         Timestamp at);

// The same per step of `step_ms` from `start` to `end`: each group's buckets of the
// observations within each step (increase over the step).
struct BucketSteps {
  promql::Labels labels;
  std::vector<std::pair<Timestamp, std::vector<Bucket>>> steps;  // ascending t, normalized
};
struct BucketRangeQuery {
  std::string query;
  std::vector<BucketSteps> series;
  std::string error;
};
BucketRangeQuery QueryBucketSteps(QueryEngine& engine, std::string_view bucket_selector,
                                  const std::vector<std::string>& by, Timestamp start,
                                  Timestamp end, std::int64_t step_ms);

}  // namespace metricsd::analytics
