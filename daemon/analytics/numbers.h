// Constants and the wall clock every analysis shares (one definition each, so the analytics
// sources can also be compiled as one unit).
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

namespace metricsd::analytics {

// "No value": the analyses' missing number, rendered as "n/a" or left out.
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
inline constexpr std::int64_t kWeekMs = 7 * kDayMs;

// Milliseconds since the epoch, as the query engine's timestamps.
inline std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace metricsd::analytics
