#include "daemon/analytics/frame_smoothness.h"

#include <cmath>
#include <limits>
#include <map>

namespace metricsd::analytics {

FrameShares ComputeFrameShares(std::span<const Bucket> buckets) {
  FrameShares out;
  out.total = TotalCount(buckets);
  if (!(out.total > 0)) {
    out.over_60 = out.over_30 = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  CountAt at_60 = CumulativeCountAt(buckets, kFrame60Fps);
  CountAt at_30 = CumulativeCountAt(buckets, kFrame30Fps);
  out.over_60 = (out.total - at_60.count) / out.total;
  out.over_30 = (out.total - at_30.count) / out.total;
  out.interpolated = at_60.interpolated || at_30.interpolated;
  return out;
}

FrameSmoothness QueryFrameSmoothness(QueryEngine& engine, std::string_view bucket_selector,
                                     Timestamp start, Timestamp end, std::int64_t step_ms) {
  FrameSmoothness out;
  BucketQuery overall = QueryBuckets(engine, bucket_selector, {}, end - start, end);
  out.query = overall.query;
  if (!overall.error.empty()) {
    out.error = overall.error;
    return out;
  }
  // With `sum by (le)` there is one group at most.
  out.overall = ComputeFrameShares(overall.series.empty() ? std::span<const Bucket>{}
                                                          : overall.series.front().buckets);
  if (step_ms <= 0 || end <= start) return out;
  std::string query = "sum by (le) (increase(" + std::string(bucket_selector) + "[" +
                      PromDuration(step_ms) + "]))";
  promql::QueryResult result = engine.Range(query, start + step_ms, end, step_ms);
  if (!result.ok()) {
    out.error = result.error;
    return out;
  }
  const auto* matrix = std::get_if<promql::Matrix>(&result.value);
  if (matrix == nullptr) return out;
  std::map<Timestamp, std::vector<Bucket>> by_time;
  for (const promql::Series& series : *matrix) {
    const std::string* le = promql::GetLabel(series.labels, "le");
    if (le == nullptr) continue;
    double bound = ParseBucketBound(*le);
    for (const promql::Point& p : series.points) by_time[p.t].push_back(Bucket{bound, p.v});
  }
  for (auto& [t, buckets] : by_time) {
    FrameShares shares = ComputeFrameShares(NormalizeBuckets(std::move(buckets)));
    if (std::isnan(shares.over_60)) continue;
    out.over_60_series.push_back({t, shares.over_60});
    out.over_30_series.push_back({t, shares.over_30});
  }
  return out;
}

}  // namespace metricsd::analytics
