// Tabular (two-sided) CUSUM: finds level shifts in a sequence of standardized residuals
// (zero mean and unit variance while nothing changes). Page (1954); Montgomery, "Introduction
// to Statistical Quality Control", 6th ed., section 9.1:
//   S+_i = max(0, S+_{i-1} + z_i - k),  S-_i = max(0, S-_{i-1} - z_i - k)
// and an alarm when either reaches h. The change is estimated to have begun just after the
// last index where that sum was zero before the alarm.
//
// With k = 0.5 and h = 5 the in-control average run length is about 930 points per side
// (Siegmund's approximation) and a shift of one standard deviation is found after about
// 10 points.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace metricsd::analytics {

struct CusumOptions {
  double k = 0.5;  // slack, in standard deviations (half the smallest shift of interest)
  double h = 5;    // decision interval, in standard deviations
};

// One excursion of a side's sum that reached h.
struct CusumEpisode {
  int direction = 0;      // +1 an upward shift, -1 a downward one
  std::size_t start = 0;  // first index of the shifted level (last zero before + 1)
  std::size_t alarm = 0;  // index where the sum first reached h
  // Index where the sum came back to zero (the shift ended); npos while it still lasts at the
  // end of the input.
  std::size_t end = npos;
  double peak = 0;  // the largest sum in the excursion
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  bool ongoing() const { return end == npos; }
};

struct CusumResult {
  bool alarmed = false;
  int direction = 0;            // of the first alarm: +1 up, -1 down
  std::size_t alarm_index = 0;  // of the first alarm
  std::size_t start_index = 0;  // its estimated change start
  // Every excursion that reached h, by alarm index (after an alarm a side goes on without a
  // reset, so a shift that lasts is one episode).
  std::vector<CusumEpisode> episodes;
  double final_up = 0, final_down = 0;  // S+ and S- after the last point
};

// NaN values (gaps) leave the sums unchanged.
CusumResult Cusum(std::span<const double> z, const CusumOptions& options = {});

}  // namespace metricsd::analytics
