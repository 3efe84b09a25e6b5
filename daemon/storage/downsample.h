// Downsampling raw samples into a tier's points, as Netdata's dbengine tiers keep them: per
// bucket of `resolution`, the min, max, sum, count and last value. Staleness markers are not
// values and are skipped; a bucket with none but markers has no point.
#pragma once

#include <span>
#include <vector>

#include "daemon/storage/chunk.h"
#include "daemon/storage/sample.h"

namespace metricsd::storage {

inline constexpr Timestamp kMinuteMs = 60 * 1000;
inline constexpr Timestamp kHourMs = 3600 * 1000;
inline constexpr Timestamp kDayMs = 24 * kHourMs;

// `samples` ascending; appends one point per non-empty bucket, ascending.
void DownsampleSamples(std::span<const Sample> samples, Timestamp resolution,
                std::vector<AggregatePoint>& out);

// Folds points of a finer tier into one point of a coarser bucket starting at `t`.
AggregatePoint Combine(std::span<const AggregatePoint> points, Timestamp t);

// The start of the bucket of `resolution` holding t (floor, also for negative t).
inline Timestamp BucketStart(Timestamp t, Timestamp resolution) {
  Timestamp q = t / resolution;
  if (t % resolution != 0 && t < 0) --q;
  return q * resolution;
}

}  // namespace metricsd::storage
