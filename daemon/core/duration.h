// Prometheus-style durations ("500ms", "15s", "1m30s", "2h"), as config files write them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace metricsd {

using Duration = std::chrono::milliseconds;

// Accepts one or more <integer><unit> terms, units ms, s, m, h, d, w, y, largest first, each at
// most once (Prometheus's model.ParseDuration). "0" alone is zero. Returns nullopt otherwise.
std::optional<Duration> ParseDuration(std::string_view text);

// The shortest Prometheus spelling of `d` ("1m30s", "500ms", "0s").
std::string FormatDuration(Duration d);

// Milliseconds since the Unix epoch by the wall clock: the timestamps of samples, queries,
// annotations and reports.
inline std::int64_t WallClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace metricsd
