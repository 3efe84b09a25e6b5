// One sample of a series, and Prometheus's staleness marker.
#pragma once

#include <bit>
#include <cstdint>

namespace metricsd::storage {

// Milliseconds since the Unix epoch, as Prometheus stores time.
using Timestamp = std::int64_t;

struct Sample {
  Timestamp t = 0;
  double v = 0;
};

// Prometheus's staleness marker: a NaN with this exact bit pattern, written when a series
// disappears, so queries stop returning it at that moment instead of 5 minutes later. Any other
// NaN is an ordinary value (a summary of nothing reports NaN quantiles).
inline constexpr std::uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline double StaleMarker() { return std::bit_cast<double>(kStaleNaNBits); }
inline bool IsStaleMarker(double v) { return std::bit_cast<std::uint64_t>(v) == kStaleNaNBits; }

}  // namespace metricsd::storage
