// One load generation run: game lines paced by a RateController (ramp, then the rate) to a
// StatsD endpoint for a duration, and, when the target's /metrics is given, its own counters
// read before and after (after letting it drain) to tell how much of what was sent it
// received. `metricsd loadgen` prints one; `metricsd capacity` runs many.
//
// Thread-safety: RunLoadgen blocks the calling thread; `stop` may be set from any thread (a
// signal handler) and ends the run early with a partial result.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/loadgen/game_profile.h"
#include "daemon/loadgen/target.h"
#include "daemon/loadgen/target_metrics.h"

namespace metricsd::loadgen {

struct LoadgenOptions {
  Endpoint target;
  GameProfileOptions profile;
  double rate = 0;        // lines/s after the ramp; 0: the profile's NaturalRate
  double duration = 30;   // seconds, the ramp included
  double ramp = 10;       // seconds from 0 to `rate`
  std::optional<Endpoint> metrics;  // the target's /metrics (http)
  double drain_timeout = 5;         // seconds to wait for the target to count what was sent
  int threads = 1;                  // sending threads, each with rate/threads and its own socket
  std::chrono::milliseconds io_timeout{2000};
};

struct LoadgenResult {
  // The generator's side.
  double rate = 0;               // the rate asked for (after the ramp)
  double elapsed = 0;            // seconds spent sending
  std::uint64_t lines_sent = 0;
  std::uint64_t lines_failed = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t writes = 0;      // datagrams, writes or POSTs
  std::string last_error;
  std::array<std::uint64_t, kLineKinds> lines_by_kind{};
  bool interrupted = false;      // stopped before its duration (ctrl-C)
  double AchievedRate() const { return elapsed > 0 ? static_cast<double>(lines_sent) / elapsed : 0; }
  // Mean rate after the ramp: what the steady part reached.
  double steady_rate = 0;

  // The target's side (when LoadgenOptions::metrics is set).
  bool measured = false;
  std::string measure_error;     // why not measured
  TargetReading before, after;
  double received = 0;           // Δ metricsd_statsd_lines_total
  double loss = 0;               // lines_sent − received
  double loss_ratio = 0;         // loss / lines_sent
  double sample_errors = 0;      // Δ metricsd_statsd_sample_errors_total
  double kernel_drops = 0;       // Δ metricsd_statsd_udp_kernel_drops_total (datagrams)
  // Received but not aggregated: samples whose family has other label names (the target was
  // fed with another --servers) and new series over its limits.
  double conflicts = 0;          // Δ metricsd_statsd_events_conflict_total
  double series_dropped = 0;     // Δ metricsd_statsd_series_dropped_total
  double drain_seconds = 0;      // waited after sending for the counters to settle
  // Target CPU over the run (Δ process_cpu_seconds_total / Δ wall), when exposed.
  std::optional<double> cpu_cores;
};

LoadgenResult RunLoadgen(const LoadgenOptions& options, const std::atomic<bool>& stop);

nlohmann::json ToJson(const LoadgenOptions& options, const LoadgenResult& result);
std::string ToText(const LoadgenOptions& options, const LoadgenResult& result);

}  // namespace metricsd::loadgen
