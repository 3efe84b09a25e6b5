// What the load generator reads from the target's own /metrics: its StatsD counters (lines
// received, samples, drops), its process CPU and memory and its StatsD series count, summed
// over each family's series, at an instant. Loss and cost are differences of two readings.
//
// Thread-safety: plain values; ReadTargetMetrics is not thread-safe per HttpConnection.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/loadgen/http_connection.h"
#include "daemon/loadgen/socket_io.h"

namespace metricsd::loadgen {

// metricsd's families the reports use (collectors/statsd/statsd_source.cpp, the process_*
// families of daemon/process_source.cpp, collectors/probes).
inline constexpr std::string_view kLinesReceived = "metricsd_statsd_lines_total";
inline constexpr std::string_view kSamplesReceived = "metricsd_statsd_samples_total";
inline constexpr std::string_view kSampleErrors = "metricsd_statsd_sample_errors_total";
inline constexpr std::string_view kUdpKernelDrops = "metricsd_statsd_udp_kernel_drops_total";
inline constexpr std::string_view kSeriesHeld = "metricsd_statsd_series";
inline constexpr std::string_view kSeriesDropped = "metricsd_statsd_series_dropped_total";
inline constexpr std::string_view kConflicts = "metricsd_statsd_events_conflict_total";
inline constexpr std::string_view kCpuSeconds = "process_cpu_seconds_total";
inline constexpr std::string_view kResidentBytes = "process_resident_memory_bytes";
inline constexpr std::string_view kProbeDurationSum = "metricsd_probe_duration_seconds_sum";
inline constexpr std::string_view kProbeDurationCount = "metricsd_probe_duration_seconds_count";

// Sums of every sample line's value by metric name (labels ignored) in a text exposition.
// Comments, blank and unparsable lines are skipped; `samples`, when given, gets the number of
// sample lines (the series exposed).
std::map<std::string, double, std::less<>> SumByName(std::string_view exposition,
                                                     std::size_t* samples = nullptr);

struct TargetReading {
  bool ok = false;
  std::string error;              // when !ok
  Clock::time_point at{};         // when the response arrived
  std::map<std::string, double, std::less<>> sums;
  std::size_t exposed_series = 0;  // sample lines in the whole /metrics

  std::optional<double> Get(std::string_view name) const;
  double GetOr(std::string_view name, double fallback = 0) const;
};

// A reading of an exposition's text. A statsd_exporter's own families (statsd_exporter_*, the
// names metricsd's metricsd_statsd_* mirror) are read as metricsd's, so a statsd_exporter can
// be the target too. !ok (with the reason) when neither exposes its lines counter.
TargetReading ReadingFromExposition(std::string_view text);

// GETs `path` (e.g. "/metrics") over `connection`.
TargetReading ReadTargetMetrics(HttpConnection& connection, std::string_view path);

}  // namespace metricsd::loadgen
