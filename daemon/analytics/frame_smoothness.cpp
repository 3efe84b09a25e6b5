#include "daemon/analytics/frame_smoothness.h"

#include <cmath>
#include <limits>

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
  BucketRangeQuery steps = QueryBucketSteps(engine, bucket_selector, {}, start + step_ms, end,
                                            step_ms);
  if (!steps.error.empty()) {
    out.error = steps.error;
    return out;
  }
  for (const BucketSteps& series : steps.series) {
    for (const auto& [t, buckets] : series.steps) {
      FrameShares shares = ComputeFrameShares(buckets);
      if (std::isnan(shares.over_60)) continue;
      out.over_60_series.push_back({t, shares.over_60});
      out.over_30_series.push_back({t, shares.over_30});
    }
  }
  return out;
}

}  // namespace metricsd::analytics
