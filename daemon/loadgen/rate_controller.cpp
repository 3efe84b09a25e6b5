#include "daemon/loadgen/rate_controller.h"

#include <algorithm>
#include <cmath>

namespace metricsd::loadgen {
namespace {
constexpr double kEpsilon = 1e-6;
}  // namespace

RateController::RateController(double rate, double ramp, double burst)
    : rate_(std::max(rate, 1e-9)), ramp_(std::max(ramp, 0.0)), burst_(std::max(burst, 1.0)) {}

double RateController::Cumulative(double rate, double ramp, double t) {
  if (t <= 0) return 0;
  if (t < ramp) return rate * t * t / (2 * ramp);
  return rate * ramp / 2 + rate * (t - ramp);
}

double RateController::InverseCumulative(double rate, double ramp, double lines) {
  if (lines <= 0) return 0;
  const double at_ramp_end = rate * ramp / 2;
  if (lines < at_ramp_end) return std::sqrt(2 * ramp * lines / rate);
  return ramp + (lines - at_ramp_end) / rate;
}

void RateController::Advance(double t) {
  if (t <= last_) return;
  tokens_ = std::min(burst_, tokens_ + Cumulative(rate_, ramp_, t) - Cumulative(rate_, ramp_, last_));
  last_ = t;
}

double RateController::Available(double t) {
  Advance(t);
  // The epsilon absorbs rounding of the integral's differences (10060.000001 − 10050).
  return std::floor(tokens_ + kEpsilon);
}

void RateController::Consume(double n) { tokens_ = std::max(0.0, tokens_ - n); }

double RateController::WhenAvailable(double t, double n) {
  Advance(t);
  n = std::min(n, burst_);
  if (tokens_ + kEpsilon >= n) return std::max(t, last_);
  // The cap cannot bind before `n` tokens are there (n <= burst): invert the integral.
  const double due = Cumulative(rate_, ramp_, last_) + (n - tokens_);
  return InverseCumulative(rate_, ramp_, due);
}

}  // namespace metricsd::loadgen
