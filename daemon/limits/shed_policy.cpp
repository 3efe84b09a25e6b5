#include "daemon/limits/shed_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "daemon/core/shed_state.h"

namespace metricsd::limits {
namespace {

int Samples(Duration span, Duration interval) {
  // Rounded: 3s over 500ms is 6 measurements; never fewer than one.
  double n = static_cast<double>(span.count()) / static_cast<double>(std::max<Duration::rep>(1, interval.count()));
  return std::max(1, static_cast<int>(std::lround(n)));
}

}  // namespace

void ShedPolicy::Configure(const LimitsConfig& config) {
  config_ = config;
  over_samples_ = Samples(config.over_for, config.interval);
  recover_samples_ = Samples(config.recover_for, config.interval);
  if (!config.enabled()) level_ = 0;
  window_.clear();
  window_sum_ = 0;
  under_run_ = 0;
  backoff_ = 1;
  since_down_ = since_up_ = std::numeric_limits<std::int32_t>::max();
}

ShedDecision ShedPolicy::Observe(const Usage& usage) {
  ShedDecision decision;
  decision.previous = level_;
  double cpu = config_.cpu > 0 ? usage.cpu_cores / config_.cpu : 0;
  double memory = config_.memory > 0 ? static_cast<double>(usage.rss_bytes) / static_cast<double>(config_.memory) : 0;
  if (config_.cpu > 0) decision.cause = "cpu";
  if (config_.memory > 0 && (config_.cpu <= 0 || memory > cpu)) decision.cause = "memory";
  double pressure = std::max(cpu, memory);
  if (!std::isfinite(pressure) || pressure < 0) pressure = 0;  // a clock step backwards
  decision.pressure = pressure;

  window_.push_back(pressure);
  window_sum_ += pressure;
  if (static_cast<int>(window_.size()) > over_samples_) {
    window_sum_ -= window_.front();
    window_.pop_front();
  }
  under_run_ = pressure < config_.recover_below ? under_run_ + 1 : 0;
  decision.average = window_sum_ / static_cast<double>(window_.size());
  ++since_down_;
  ++since_up_;
  // Calm for long enough: give-backs wait recover_for again.
  if (backoff_ > 1 && since_up_ > static_cast<std::int64_t>(kBackoffResetWindows) * recover_samples_ * backoff_) {
    backoff_ = 1;
  }

  if (!config_.enabled()) {
    level_ = 0;
  } else if (level_ < kMaxShedLevel && static_cast<int>(window_.size()) == over_samples_ &&
             decision.average > 1.0) {
    ++level_;
    window_.clear();
    window_sum_ = 0;
    under_run_ = 0;
    // Shed again right after a give-back: the load cycles, so wait longer next time.
    if (since_down_ <= 2 * over_samples_) backoff_ = std::min(backoff_ * 2, kMaxRecoverBackoff);
    since_up_ = 0;
  } else if (level_ > 0 && under_run_ >= recover_samples_ * backoff_) {
    // under_run_ is kept: the next measurement under gives back the next step.
    --level_;
    window_.clear();
    window_sum_ = 0;
    since_down_ = 0;
  }
  decision.level = level_;
  decision.recover_backoff = backoff_;
  return decision;
}

}  // namespace metricsd::limits
