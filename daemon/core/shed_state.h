// The process-wide load-shedding level: what daemon/limits's LoadShedder decided, read by the
// components that shed (collectors may use daemon/core only, so the state lives here).
//
// Levels are cumulative steps in a fixed order; level N sheds steps 1..N:
//   1 statsd_low     StatsD lines of `priority: low` mappings are dropped
//   2 probes         each probe target runs once per kShedStretch of its intervals
//   3 history        the sampler takes one pass in kShedStretch (and downsampling is slowed);
//                    nothing already stored is lost
//   4 statsd_normal  StatsD lines of `priority: normal` mappings (and unmapped lines) dropped
// Never shed: /metrics, `priority: critical` StatsD lines, alerting.
//
// Each component counts what a step cost it with CountShedDrop (metricsd_shed_dropped_total).
//
// Header-only on purpose: inline variables are one object per program, and reading the level
// is a relaxed atomic load the StatsD hot path can afford (it reads it once per batch).
//
// Thread-safety: thread-safe; any thread may read or count at any time. Only the LoadShedder
// (and tests) set the level.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "daemon/core/enum_table.h"

namespace metricsd {

enum class ShedStep : int { kStatsdLow = 1, kProbes = 2, kHistory = 3, kStatsdNormal = 4 };
inline constexpr int kShedSteps = 4;
inline constexpr int kMaxShedLevel = kShedSteps;

// The `component` label of metricsd_degraded and metricsd_shed_dropped_total.
inline constexpr EnumTable<ShedStep, kShedSteps> kShedStepNames{{{
    {ShedStep::kStatsdLow, "statsd_low"},
    {ShedStep::kProbes, "probes"},
    {ShedStep::kHistory, "history"},
    {ShedStep::kStatsdNormal, "statsd_normal"},
}}};
// The `reason` label of metricsd_shed_dropped_total: what one counted unit is.
inline constexpr EnumTable<ShedStep, kShedSteps> kShedDropReasons{{{
    {ShedStep::kStatsdLow, "priority_low_line"},        // a StatsD line dropped
    {ShedStep::kProbes, "probe_run_skipped"},           // a scheduled probe not run
    {ShedStep::kHistory, "history_pass_skipped"},       // a sampler pass not taken
    {ShedStep::kStatsdNormal, "priority_normal_line"},  // a StatsD line dropped
}}};

// How much rarer probes and history passes get while their step is shed: their intervals
// are stretched this many times (a 15s probe runs every 60s, a 10s history pass every 40s,
// still within PromQL's 5 minute lookback).
inline constexpr int kShedStretch = 4;

namespace shed_detail {
inline std::atomic<int> level{0};
inline std::array<std::atomic<std::uint64_t>, kShedSteps> dropped{};
}  // namespace shed_detail

// 0 (nothing shed) .. kMaxShedLevel.
inline int ShedLevel() { return shed_detail::level.load(std::memory_order_relaxed); }
inline bool IsShed(ShedStep step) { return ShedLevel() >= static_cast<int>(step); }
inline void SetShedLevel(int level) {
  if (level < 0) level = 0;
  if (level > kMaxShedLevel) level = kMaxShedLevel;
  shed_detail::level.store(level, std::memory_order_relaxed);
}

// Counts `n` units `step` dropped (batch your counts on hot paths: it is one shared atomic).
inline void CountShedDrop(ShedStep step, std::uint64_t n = 1) {
  shed_detail::dropped[static_cast<std::size_t>(step) - 1].fetch_add(n, std::memory_order_relaxed);
}
inline std::uint64_t ShedDropped(ShedStep step) {
  return shed_detail::dropped[static_cast<std::size_t>(step) - 1].load(std::memory_order_relaxed);
}

}  // namespace metricsd
