// The standard normal distribution, once for every method: Mann-Whitney and Mann-Kendall take
// their p-values from its tail, Theil-Sen its slope interval and Holt-Winters and capacity
// their prediction intervals from its quantile.
//
// Thread-safety: pure functions.
#pragma once

namespace metricsd::analytics::normal {

// P(Z > z), through std::erfc (accurate far into the tail, where 1 - CDF would cancel).
double UpperTail(double z);

// The p-quantile (0 < p < 1; Acklam's rational approximation refined by one Halley step,
// relative error below 1e-12); NaN outside (0, 1).
double Quantile(double p);

// The z of a two-sided interval (0.95: 1.96); `interval` is clamped into (0, 1) so a
// misconfigured interval still gives a finite width.
double TwoSidedZ(double interval);

}  // namespace metricsd::analytics::normal
