// rate, increase, delta (2.42's extrapolatedRate) and irate, idelta (instantValue): the
// functions that turn a window of counter or gauge samples into a change.
#include <cstdint>
#include <optional>

#include "daemon/query/promql/functions_internal.h"

namespace metricsd::query::promql::functions_internal {

namespace {

// Go's time.Duration.Seconds() for a whole number of milliseconds: whole seconds plus the
// remainder's fraction, two roundings where ms / 1000.0 has one (the last bit can differ).
double GoDurationSeconds(std::int64_t ms) {
  // Go's Duration arithmetic wraps beyond ±292 years instead of being undefined.
  const auto ns = static_cast<std::int64_t>(static_cast<std::uint64_t>(ms) * 1'000'000U);
  const std::int64_t sec = ns / 1'000'000'000;
  const std::int64_t nsec = ns % 1'000'000'000;
  return static_cast<double>(sec) + static_cast<double>(nsec) / 1e9;
}

// a - b as Go's int64 computes it (wrapping): a window reaching back past the epoch by centuries
// must not be undefined behaviour.
std::int64_t WrappingSub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}

// The change over the window, extrapolated towards its edges: to the edge when the first (last)
// sample is within 1.1 average sample intervals of it, else by half an interval; a counter is
// never extrapolated below zero. Counter resets add the value before the drop.
std::optional<double> ExtrapolatedRate(const RangeCall& call, bool is_counter, bool is_rate) {
  const auto& points = call.points;
  if (points.size() < 2) return std::nullopt;
  const Point& first = points.front();
  const Point& last = points.back();

  double result = last.v - first.v;
  if (is_counter) {
    double previous = first.v;
    for (std::size_t i = 1; i < points.size(); ++i) {
      if (points[i].v < previous) result += previous;
      previous = points[i].v;
    }
  }

  double duration_to_start = static_cast<double>(WrappingSub(first.t, call.range_start)) / 1000;
  const double duration_to_end = static_cast<double>(WrappingSub(call.range_end, last.t)) / 1000;
  const double sampled_interval = static_cast<double>(last.t - first.t) / 1000;
  const double average_between_samples =
      sampled_interval / static_cast<double>(points.size() - 1);

  if (is_counter && result > 0 && first.v >= 0) {
    // Where a line through the samples would cross zero: the counter cannot have started earlier.
    const double duration_to_zero = sampled_interval * (first.v / result);
    if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
  }

  const double threshold = average_between_samples * 1.1;
  double extrapolate_to = sampled_interval;
  extrapolate_to +=
      duration_to_start < threshold ? duration_to_start : average_between_samples / 2;
  extrapolate_to += duration_to_end < threshold ? duration_to_end : average_between_samples / 2;

  double factor = extrapolate_to / sampled_interval;
  if (is_rate) factor /= GoDurationSeconds(WrappingSub(call.range_end, call.range_start));
  return result * factor;
}

// The last two samples' difference (a drop counts as a reset for irate), per second for irate.
std::optional<double> InstantValue(const RangeCall& call, bool is_rate) {
  const auto& points = call.points;
  if (points.size() < 2) return std::nullopt;
  const Point& last = points[points.size() - 1];
  const Point& previous = points[points.size() - 2];

  double result = is_rate && last.v < previous.v ? last.v : last.v - previous.v;
  const std::int64_t sampled_interval = last.t - previous.t;
  if (sampled_interval == 0) return std::nullopt;
  if (is_rate) result /= static_cast<double>(sampled_interval) / 1000;
  return result;
}

std::optional<double> Rate(const RangeCall& call) { return ExtrapolatedRate(call, true, true); }
std::optional<double> Increase(const RangeCall& call) {
  return ExtrapolatedRate(call, true, false);
}
std::optional<double> Delta(const RangeCall& call) {
  return ExtrapolatedRate(call, false, false);
}
std::optional<double> Irate(const RangeCall& call) { return InstantValue(call, true); }
std::optional<double> Idelta(const RangeCall& call) { return InstantValue(call, false); }

constexpr NamedFunctionImpl kRateRows[] = {
    {"delta", {.range = Delta}}, {"idelta", {.range = Idelta}},
    {"increase", {.range = Increase}}, {"irate", {.range = Irate}},
    {"rate", {.range = Rate}},
};

}  // namespace

std::span<const NamedFunctionImpl> RateFunctionImpls() { return kRateRows; }

}  // namespace metricsd::query::promql::functions_internal
