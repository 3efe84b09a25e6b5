// Constants every analysis shares (one definition each, so the analytics
// sources can also be compiled as one unit).
#pragma once

#include <cstdint>
#include <limits>

namespace metricsd::analytics {

// "No value": the analyses' missing number, rendered as "n/a" or left out.
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
inline constexpr std::int64_t kWeekMs = 7 * kDayMs;


}  // namespace metricsd::analytics
