// `metricsd capacity`: finds how much game StatsD a running metricsd takes. It sends steps of
// constant load (RunLoadgen, no ramp), doubling the rate while a step is lossless (loss at
// most `loss_threshold` of the lines sent, read from the target's own counters) and within the
// CPU budget (Δ process_cpu_seconds_total / Δ wall), then bisects between the last good and
// the first bad rate. Every step and the whole run are bounded; ctrl-C ends the step under way
// and the run keeps what it measured. The result is rendered by capacity_report.h.
//
// Thread-safety: RunCapacity blocks its thread; `stop` may be set from a signal handler.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/loadgen/loadgen.h"

namespace metricsd::loadgen {

struct CapacityOptions {
  Endpoint web;                 // metricsd's web address; its /metrics is read
  Endpoint statsd;              // where the load goes
  GameProfileOptions profile;
  double cpu_budget = 1.0;      // cores of the target
  double loss_threshold = 0.001;
  double start_rate = 1000;     // lines/s of the first step
  double max_rate = 10'000'000;  // never above
  double step_duration = 10;    // seconds per step
  double precision = 0.1;       // bisect until (bad − good) / bad is at most this
  int max_bisections = 5;
  double deadline = 900;        // seconds for the whole run
  double idle_sample = 2;       // seconds of idle CPU measured before the first step
  double drain_timeout = 3;
  int threads = 1;              // sending threads (LoadgenOptions::threads)
  std::chrono::milliseconds io_timeout{2000};
};

enum class StepVerdict { kOk, kLoss, kCpu, kGenerator, kError, kInterrupted };
std::string_view VerdictName(StepVerdict verdict);

struct CapacityStep {
  std::string phase;            // "double" or "bisect"
  double rate = 0;
  StepVerdict verdict = StepVerdict::kOk;
  LoadgenResult run;
  double cpu_seconds = 0;       // Δ process_cpu_seconds_total over the step
  double wall_seconds = 0;      // between the two readings
};

struct CapacityResult {
  std::string started_at;       // RFC 3339, UTC
  double wall_seconds = 0;
  std::vector<CapacityStep> steps;
  double max_lossless_rate = 0;        // achieved by the best good step
  double max_lossless_rate_asked = 0;  // that step's rate
  std::string stopped_by;       // loss, cpu, max_rate, generator, deadline, interrupted, error
  std::string error;            // when stopped_by == "error"
  bool interrupted = false;
  TargetReading baseline, idle_end, final;
  std::optional<double> idle_cpu_cores;
  std::vector<std::string> notes;
};

// Called after each step (for progress on standard error).
using StepCallback = std::function<void(const CapacityStep&)>;

CapacityResult RunCapacity(const CapacityOptions& options, const std::atomic<bool>& stop,
                           const StepCallback& on_step);

// Verdict of one step's run under `options`.
StepVerdict Judge(const CapacityOptions& options, const LoadgenResult& run);

}  // namespace metricsd::loadgen
