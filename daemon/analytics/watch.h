// A watch: one named PromQL expression analytics follow over time (baselines, regressions,
// trends, forecasts, grading), with what kind of quantity it is, its unit, which direction is
// worse, and optionally the levels that matter (an SLO, a threshold).
//
// Thread-safety: plain values; immutable once loaded.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "daemon/core/config_schema.h"
#include "daemon/core/enum_table.h"

namespace metricsd::analytics {

enum class WatchKind { kLatency, kThroughput, kResource, kErrors, kUx };
inline constexpr EnumTable<WatchKind, 5> kWatchKindNames{{{{WatchKind::kLatency, "latency"},
                                                           {WatchKind::kThroughput, "throughput"},
                                                           {WatchKind::kResource, "resource"},
                                                           {WatchKind::kErrors, "errors"},
                                                           {WatchKind::kUx, "ux"}}}};

enum class Direction { kHigherIsWorse, kLowerIsWorse };
inline constexpr EnumTable<Direction, 2> kDirectionNames{
    {{{Direction::kHigherIsWorse, "higher_is_worse"}, {Direction::kLowerIsWorse, "lower_is_worse"}}}};

struct Watch {
  std::string name;
  std::string expr;  // PromQL; each result series is followed on its own
  WatchKind kind = WatchKind::kLatency;
  std::string unit = "seconds";  // seconds, bytes, ratio, percent, ops/s, ...
  Direction direction = Direction::kHigherIsWorse;
  // The level that is critical (trends warn before it is crossed); NaN: none.
  double threshold = std::numeric_limits<double>::quiet_NaN();
  // The objective (reports grade against it); NaN: none.
  double slo = std::numeric_limits<double>::quiet_NaN();
  // Latency watches over a histogram: the `_bucket` series (a selector) Apdex and the
  // heatmap read, and Apdex's T in seconds (NaN: the industry reference for the kind).
  std::string histogram;
  double apdex_t = std::numeric_limits<double>::quiet_NaN();
  // The industry reference to grade against (industry_references.h id); empty: chosen by
  // kind and unit.
  std::string reference;
  // A player-satisfaction signal (session length, quits, ratings): UX correlates the other
  // watches with it.
  bool satisfaction = false;

  bool higher_is_worse() const { return direction == Direction::kHigherIsWorse; }
  bool operator==(const Watch&) const = default;
};

const config::Section<Watch>& WatchSection();

// For methods that apply to some kinds only (a `kinds` key): whether `kind` is listed, and the
// load check that every listed name is a kind (fails at node with its position).
bool KindListed(const std::vector<std::string>& kinds, WatchKind kind);
void CheckWatchKinds(const ConfigNode& node, const std::vector<std::string>& kinds);

// The shipped watches of the game (AO handlers, battles, database, UI, frames, host).
std::vector<Watch> DefaultWatches();

}  // namespace metricsd::analytics
