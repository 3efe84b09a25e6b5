// Baselines: what is normal for each series of a watch. Robust statistics (median, p90, p99,
// MAD, count) per hour-of-week slot (168 slots, UTC, Monday 00:00 first) over the last
// baseline.weeks weeks, and a flat baseline (the same statistics over every value) used for
// slots with too few samples and for histories shorter than baseline.min_weeks. The newest
// regression.window is left out, so a regression in progress does not become its own
// baseline. Baselines are stored and versioned in the analytics database and reused for
// baseline.refresh.
//
// The pure layer (HourOfWeek, ComputeBaseline, Baseline::At/Expected, JSON) works on points;
// ComputeWatchBaselines and BaselinesFor query through the context's engine.
//
// Thread-safety: Baseline is a value; the functions are reentrant (BaselinesFor writes to the
// database, which is itself thread-safe).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/baseline_options.h"
#include "daemon/analytics/report_document.h"
#include "daemon/analytics/watch.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {

inline constexpr int kHoursPerWeek = 168;
inline constexpr Timestamp kHourMs = 3'600'000;
static_assert(kWeekMs == kHoursPerWeek * kHourMs);

struct SlotStats {
  double median = std::numeric_limits<double>::quiet_NaN();
  double p90 = std::numeric_limits<double>::quiet_NaN();
  double p99 = std::numeric_limits<double>::quiet_NaN();
  double mad = std::numeric_limits<double>::quiet_NaN();  // unscaled (x1.4826 for a sigma)
  std::int64_t count = 0;
  bool operator==(const SlotStats&) const = default;
};

// The statistics of `values` (NaN dropped).
SlotStats ComputeSlotStats(std::span<const double> values);

// 0..167: hours since Monday 00:00 UTC.
int HourOfWeek(Timestamp t);

struct Baseline {
  promql::Labels labels;  // the series, as the watch's expression returns it
  // Whether the hour-of-week slots are used; false: the history was shorter than
  // baseline.min_weeks and every time uses `flat`.
  bool seasonal = false;
  SlotStats flat;
  std::array<SlotStats, kHoursPerWeek> slots{};
  Timestamp from = 0, to = 0;  // the first and last sample summarised, ms
  // Slots with fewer samples use `flat` (baseline.min_samples_per_slot).
  std::int64_t min_samples_per_slot = 3;
  // Set by BaselinesFor: the stored version (0: not stored) and when it was computed.
  std::int64_t version = 0;
  Timestamp computed_at = 0;

  // The statistics that apply at `t`: its hour-of-week slot, or the flat ones.
  const SlotStats& At(Timestamp t) const;
  // Whether `t`'s own slot is used (not the flat fallback).
  bool SlotUsed(Timestamp t) const;
  // The expected value at `t`: the slot medians interpolated linearly between slot centres
  // (so a daily cycle does not look like a step at every hour), the flat median where a
  // neighbouring slot falls back.
  double Expected(Timestamp t) const;
};

// The baseline of one series from its history. `points` ascending; NaN are gaps.
Baseline ComputeBaseline(promql::Labels labels, std::span<const promql::Point> points,
                         const BaselineOptions& options);

// Queries the watch's expression over the baseline range ending at `end` (normally
// now - regression.window), baseline.weeks long at baseline.step, and computes a baseline per
// series. On a query error returns {} and sets *error.
std::vector<Baseline> ComputeWatchBaselines(const AnalysisContext& context, const Watch& watch,
                                            Timestamp end, std::string* error);
// The same, ending at context.now - regression.window.
std::vector<Baseline> ComputeWatchBaselines(const AnalysisContext& context, const Watch& watch,
                                            std::string* error);

// The stored baselines of `watch` when context.db has some younger than baseline.refresh;
// otherwise computed, stored (when there is a db) and returned. On a query error returns {}
// and sets *error.
std::vector<Baseline> BaselinesFor(const AnalysisContext& context, const Watch& watch,
                                   std::string* error);

// BaselinesToJson of BaselinesFor: what GET /api/v1/analytics/baselines?watch= serves. On a
// query error returns null and sets *error.
nlohmann::json BaselinesJsonFor(const AnalysisContext& context, const Watch& watch,
                                std::string* error);

// The report's "baselines" section: per watch a table of its series (seasonal or flat, the
// median, p90 and p99 of the slot at context.now, samples, stored version).
ReportSection BuildBaselinesSection(const AnalysisContext& context);

// {"watch", "version", "computed_at": ms, "baselines": [{"labels": {..}, "seasonal", "from",
//  "to", "min_samples_per_slot", "flat": {median, p90, p99, mad, count},
//  "slots": [[median, p90, p99, mad, count] x168]}]}; NaN as null.
nlohmann::json BaselinesToJson(const std::string& watch, std::int64_t version,
                               Timestamp computed_at, const std::vector<Baseline>& baselines);
// The inverse; nullopt (and *error) when `json` is not of that shape.
std::optional<std::vector<Baseline>> BaselinesFromJson(const nlohmann::json& json,
                                                       std::string* error);

}  // namespace metricsd::analytics
