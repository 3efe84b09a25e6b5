// Frame smoothness: the share of frames slower than the 60 fps budget (16.7 ms) and the 30 fps
// budget (33.3 ms), read from a frame-time histogram. The bounds are 0.0167 s and 0.0333 s, the
// game's own bucket bounds (statsd-mapping/game.yaml), so no interpolation is needed there;
// for other bucket layouts the count at a bound is interpolated inside its bucket, as
// histogram_quantile does, and the result says so.
//
// Thread-safety: pure functions, except QueryFrameSmoothness (the engine is thread-safe).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "daemon/analytics/apdex.h"

namespace metricsd::analytics {

inline constexpr double kFrame60Fps = 0.0167;  // seconds: RAIL's 60 fps frame
inline constexpr double kFrame30Fps = 0.0333;  // seconds: 30 fps

struct FrameShares {
  double total = 0;      // frames
  double over_60 = 0;    // share (0..1) of frames slower than kFrame60Fps; NaN without frames
  double over_30 = 0;    // share slower than kFrame30Fps
  bool interpolated = false;  // a budget was not a bucket bound
};
FrameShares ComputeFrameShares(std::span<const Bucket> buckets);

// The shares over a report range plus, for a chart, per step of `step_ms` (the frames of each
// step: increase over the step).
struct FrameSmoothness {
  std::string query;
  FrameShares overall;
  std::vector<promql::Point> over_60_series, over_30_series;  // share per step
  std::string error;
};
FrameSmoothness QueryFrameSmoothness(QueryEngine& engine, std::string_view bucket_selector,
                                     Timestamp start, Timestamp end, std::int64_t step_ms);

}  // namespace metricsd::analytics
