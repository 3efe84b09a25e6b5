// A token bucket whose fill rate ramps linearly from 0 to `rate` over `ramp` seconds, then
// stays: the load generator's pacing. Time is passed in (seconds since the start), so tests
// drive it with a virtual clock and the sender with a steady clock.
//
// Tokens accrue by the integral of the instantaneous rate and are capped at `burst`: a sender
// that stalls (CPU, a full socket buffer) does not catch up with a flood afterwards, it falls
// behind, and its achieved rate shows it.
//
// Thread-safety: not thread-safe; one sending thread owns it.
#pragma once

namespace metricsd::loadgen {

class RateController {
 public:
  // rate: lines/s after the ramp (> 0); ramp: seconds (>= 0); burst: the most tokens held.
  RateController(double rate, double ramp, double burst);

  // Lines due in [0, t] without any cap: rate·t²/(2·ramp) during the ramp, then linear.
  static double Cumulative(double rate, double ramp, double t);
  // The instant at which Cumulative reaches `lines` (its inverse).
  static double InverseCumulative(double rate, double ramp, double lines);

  // Whole tokens available at `t` (t never goes back; an earlier t counts as the last one).
  double Available(double t);
  // Spends `n` tokens (n <= Available(t) of the same t).
  void Consume(double n);
  // The earliest instant >= t at which `n` tokens (n <= burst) are available.
  double WhenAvailable(double t, double n);

  double rate() const { return rate_; }
  double ramp() const { return ramp_; }
  double burst() const { return burst_; }

 private:
  void Advance(double t);

  double rate_, ramp_, burst_;
  double last_ = 0;    // the instant tokens_ is for
  double tokens_ = 0;
};

}  // namespace metricsd::loadgen
