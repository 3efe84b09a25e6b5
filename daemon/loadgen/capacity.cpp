#include "daemon/loadgen/capacity.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <thread>

namespace metricsd::loadgen {
namespace {

double StepSeconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string NowRfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

}  // namespace

std::string_view VerdictName(StepVerdict verdict) {
  switch (verdict) {
    case StepVerdict::kOk: return "ok";
    case StepVerdict::kLoss: return "loss";
    case StepVerdict::kCpu: return "cpu";
    case StepVerdict::kGenerator: return "generator";
    case StepVerdict::kError: return "error";
    case StepVerdict::kInterrupted: return "interrupted";
  }
  return "error";
}

StepVerdict Judge(const CapacityOptions& options, const LoadgenResult& run) {
  if (run.interrupted) return StepVerdict::kInterrupted;
  if (!run.measured) return StepVerdict::kError;
  // Its lines were received but not aggregated: the figures would be the cost of a drop.
  if (run.conflicts > 0) return StepVerdict::kError;
  if (run.loss_ratio > options.loss_threshold) return StepVerdict::kLoss;
  if (run.cpu_cores && *run.cpu_cores > options.cpu_budget) return StepVerdict::kCpu;
  // The generator could not send at the rate: this step says nothing about the target above
  // what it did reach.
  if (run.AchievedRate() < 0.9 * run.rate) return StepVerdict::kGenerator;
  return StepVerdict::kOk;
}

CapacityResult RunCapacity(const CapacityOptions& options, const std::atomic<bool>& stop,
                           const StepCallback& on_step) {
  CapacityResult result;
  result.started_at = NowRfc3339();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.deadline));

  HttpConnection connection(options.web.host, options.web.port, options.io_timeout);
  result.baseline = ReadTargetMetrics(connection, options.web.path);
  if (!result.baseline.ok) {
    result.stopped_by = "error";
    result.error = "reading " + options.web.ToString() + ": " + result.baseline.error;
    return result;
  }
  // The target's idle CPU, so the cost of the lines can be told from its own background work.
  const Clock::time_point idle_until =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.idle_sample));
  while (Clock::now() < idle_until && !stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  result.idle_end = ReadTargetMetrics(connection, options.web.path);
  if (result.idle_end.ok) {
    const auto before = result.baseline.Get(kCpuSeconds), after = result.idle_end.Get(kCpuSeconds);
    const double wall = StepSeconds(result.idle_end.at - result.baseline.at);
    if (before && after && wall > 0.5) result.idle_cpu_cores = (*after - *before) / wall;
  }

  LoadgenOptions step_options;
  step_options.target = options.statsd;
  step_options.profile = options.profile;
  step_options.duration = options.step_duration;
  step_options.ramp = 0;
  step_options.metrics = options.web;
  step_options.drain_timeout = options.drain_timeout;
  step_options.threads = options.threads;
  step_options.io_timeout = options.io_timeout;

  // Runs one step at `rate`; false when the run must end (stop, deadline, error).
  auto run_step = [&](const std::string& phase, double rate) -> std::optional<StepVerdict> {
    if (stop.load()) {
      result.interrupted = true;
      result.stopped_by = "interrupted";
      return std::nullopt;
    }
    const double needed = options.step_duration + options.drain_timeout + 2;
    if (StepSeconds(deadline - Clock::now()) < needed) {
      result.stopped_by = "deadline";
      result.notes.push_back("the --deadline left no time for another step");
      return std::nullopt;
    }
    CapacityStep& step = result.steps.emplace_back();
    step.phase = phase;
    step.rate = rate;
    step_options.rate = rate;
    // A new seed per step: the same lines every time would test the line cache only.
    step_options.profile.seed = options.profile.seed + result.steps.size() - 1;
    step.run = RunLoadgen(step_options, stop);
    step.verdict = Judge(options, step.run);
    if (step.run.measured) {
      step.cpu_seconds = step.run.after.GetOr(kCpuSeconds) - step.run.before.GetOr(kCpuSeconds);
      step.wall_seconds = StepSeconds(step.run.after.at - step.run.before.at);
    }
    if (on_step) on_step(step);
    if (step.verdict == StepVerdict::kInterrupted) {
      result.interrupted = true;
      result.stopped_by = "interrupted";
      return std::nullopt;
    }
    if (step.verdict == StepVerdict::kError) {
      result.stopped_by = "error";
      result.error = step.run.measure_error;
      if (step.run.conflicts > 0) {
        result.error = std::to_string(static_cast<long long>(step.run.conflicts)) +
                       " samples dropped as conflicts (metricsd_statsd_events_conflict_total): the "
                       "target's game families have other label names; pass the --servers it was "
                       "fed with (0: untagged), or use a fresh target";
      }
      return std::nullopt;
    }
    return step.verdict;
  };

  double good = 0, bad = 0;
  StepVerdict bad_verdict = StepVerdict::kOk;
  double rate = std::clamp(options.start_rate, 1.0, options.max_rate);
  bool searching = true;
  // Doubling: while lossless and within budget.
  while (searching) {
    auto verdict = run_step("double", rate);
    if (!verdict) {
      searching = false;
      break;
    }
    if (*verdict == StepVerdict::kGenerator) {
      // The target kept up with all this machine could send: bisecting would only measure
      // the generator again.
      result.stopped_by = "generator";
      searching = false;
      break;
    }
    if (*verdict != StepVerdict::kOk) {
      bad = rate;
      bad_verdict = *verdict;
      break;
    }
    good = rate;
    if (rate >= options.max_rate) {
      result.stopped_by = "max_rate";
      searching = false;
      break;
    }
    rate = std::min(rate * 2, options.max_rate);
  }
  // Bisecting between the last good and the first bad rate.
  for (int i = 0; searching && bad > 0 && i < options.max_bisections &&
                  (bad - good) / bad > options.precision;
       ++i) {
    const double mid = std::round((good + bad) / 2);
    if (mid <= good || mid >= bad) break;
    auto verdict = run_step("bisect", mid);
    if (!verdict) {
      searching = false;
      break;
    }
    if (*verdict == StepVerdict::kGenerator) {
      result.stopped_by = "generator";
      searching = false;
      break;
    }
    if (*verdict == StepVerdict::kOk) {
      good = mid;
    } else {
      bad = mid;
      bad_verdict = *verdict;
    }
  }
  if (searching && bad > 0) result.stopped_by = std::string(VerdictName(bad_verdict));
  // The rate the target took without loss: what the best good step achieved (the generator
  // may have sent a little under what it was asked).
  result.max_lossless_rate_asked = good;
  for (const CapacityStep& step : result.steps) {
    if (step.verdict == StepVerdict::kOk) {
      result.max_lossless_rate = std::max(result.max_lossless_rate, step.run.AchievedRate());
    }
  }
  if (result.stopped_by == "generator") {
    result.notes.push_back(
        "the load generator could not send at the rate a step asked while the target lost "
        "nothing: the target's limit is above what this machine generated; raise --threads, or "
        "run loadgen from more hosts at once, to go further");
  }
  result.final = ReadTargetMetrics(connection, options.web.path);
  result.wall_seconds = StepSeconds(Clock::now() - start);
  return result;
}

}  // namespace metricsd::loadgen
