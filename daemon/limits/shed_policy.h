// The load shedder's decision, as a pure function of the measurements it is fed: no clock, no
// I/O, so tests replay recorded usage shapes sample by sample.
//
// Each measurement becomes a pressure: usage over budget (the larger of CPU and memory when
// both are set; 1.0 is exactly on budget).
//   - One step more is shed when the pressure averaged over the last over_for (of
//     measurements taken since the previous change) is over 1.0. A spike inside a quiet window
//     sheds nothing, and after each step the window starts again, so the next step is judged
//     only on what the previous one achieved.
//   - One step is given back once every measurement of the last recover_for was under
//     recover_below (0.8: 20% headroom), then one more at each further measurement that stays
//     under: the band between recover_below and 1.0 holds the level, so noise around the
//     budget neither sheds more nor flaps back and forth, and a burst's end unwinds every step
//     within recover_for + 3 intervals.
//   - A load that shedding pushes under recover_below but that is over budget again as soon as
//     a step is given back would cycle forever (shed, give back, shed...). So a step shed again
//     within two windows of being given back doubles the wait before the next give-back (up to
//     kMaxRecoverBackoff x recover_for), and the wait returns to recover_for once nothing has
//     been shed anew for kBackoffResetWindows windows of that wait.
//
// Thread-safety: not thread-safe; one owner (the LoadShedder's timer, or a test).
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>

#include "daemon/limits/limits_config.h"
#include "daemon/limits/resource_usage.h"

namespace metricsd::limits {

struct ShedDecision {
  int previous = 0;
  int level = 0;
  double pressure = 0;          // this measurement's
  double average = 0;           // over the current over_for window (so far)
  std::string_view cause;       // "cpu" or "memory": the larger pressure; "" without a budget
  int recover_backoff = 1;      // recover_for is multiplied by this now
  bool changed() const { return level != previous; }
};

class ShedPolicy {
 public:
  explicit ShedPolicy(const LimitsConfig& config) { Configure(config); }

  // New budget and knobs (a reload): the level stays (nothing is given back or shed by the
  // reload itself) and the windows start again; without any budget the level drops to 0.
  void Configure(const LimitsConfig& config);

  // One measurement, taken every interval.
  ShedDecision Observe(const Usage& usage);

  int level() const { return level_; }
  // What recover_for is multiplied by now (1 unless the level has been cycling).
  int recover_backoff() const { return backoff_; }

  static constexpr int kMaxRecoverBackoff = 16;
  static constexpr int kBackoffResetWindows = 8;
  // Measurements one step up needs (over_for / interval) and one step down (recover_for /
  // interval), at least 1.
  int over_samples() const { return over_samples_; }
  int recover_samples() const { return recover_samples_; }

 private:
  LimitsConfig config_;
  int over_samples_ = 1;
  int recover_samples_ = 1;
  int level_ = 0;
  std::deque<double> window_;  // pressures since the last change, at most over_samples_
  double window_sum_ = 0;
  int under_run_ = 0;          // consecutive measurements under recover_below
  int backoff_ = 1;            // recover_for multiplier
  std::int64_t since_down_ = 0;  // measurements since the last step given back
  std::int64_t since_up_ = 0;    // measurements since the last step shed
};

}  // namespace metricsd::limits
