// Prometheus-style durations ("500ms", "15s", "1m30s", "2h"), as config files write them.
#pragma once

#include <chrono>
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

}  // namespace metricsd
