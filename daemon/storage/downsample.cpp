#include "daemon/storage/downsample.h"

#include <algorithm>

namespace metricsd::storage {

void DownsampleSamples(std::span<const Sample> samples, Timestamp resolution,
                std::vector<AggregatePoint>& out) {
  bool open = false;
  AggregatePoint point;
  for (const Sample& sample : samples) {
    if (IsStaleMarker(sample.v)) continue;
    Timestamp bucket = BucketStart(sample.t, resolution);
    if (!open || bucket != point.t) {
      if (open) out.push_back(point);
      point = AggregatePoint{bucket, sample.v, sample.v, 0, 0, sample.v};
      open = true;
    }
    // std::min/max would let a NaN stick or vanish depending on its side; NaN is a value here
    // only when every sample is NaN, as Prometheus's min_over_time ignores NaN otherwise.
    if (sample.v < point.min || point.min != point.min) point.min = sample.v;
    if (sample.v > point.max || point.max != point.max) point.max = sample.v;
    point.sum += sample.v;
    point.count += 1;
    point.last = sample.v;
  }
  if (open) out.push_back(point);
}

AggregatePoint Combine(std::span<const AggregatePoint> points, Timestamp t) {
  AggregatePoint out{t, 0, 0, 0, 0, 0};
  bool first = true;
  for (const AggregatePoint& p : points) {
    if (first) {
      out.min = p.min;
      out.max = p.max;
      first = false;
    } else {
      if (p.min < out.min || out.min != out.min) out.min = p.min;
      if (p.max > out.max || out.max != out.max) out.max = p.max;
    }
    out.sum += p.sum;
    out.count += p.count;
    out.last = p.last;
  }
  return out;
}

}  // namespace metricsd::storage
