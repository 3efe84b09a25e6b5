// Return on investment (30.4.8): for an annotated optimization, the resources it saved and the
// player experience it gained, in money per month, by the cost model (cost_model.h).
//
// Which annotations: those tagged analytics.cost.tag ("optimization" by default; empty: every
// annotation in the report's range). For each, the medians of the cost model's queries (each
// one's series summed per step) over impact analysis's windows (impact.h: before, and after
// the settle time) give:
//   CPU:     (before - after) cores            x cpu_hour x 730 h/month
//   memory:  (before - after) bytes / 2^30     x memory_gib_month
//   disk:    (before - after) bytes / 2^30     x disk_gib_month
//   players: (after - before) players x 60 x 730 player-minutes/month x player_minute
//   churn:   (before - after) x 100 percentage points x churn_point
// Positive is money saved or gained. Every number used and where it came from is printed.
//
// Assumptions: the change between the windows is the optimization's (impact analysis's
// caveats apply); the after window's level lasts the whole month; concurrent players measured
// are all the players whose minutes count; prices are linear (no reserved-instance steps: a
// saved core is money only if the capacity is given back).
//
// Thread-safety: pure functions over their arguments; the engine and database are thread-safe.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/annotation.h"
#include "daemon/analytics/cost_model.h"
#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

// The before/after medians of each measure; NaN: not measured (no data, no query).
struct RoiMeasurements {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double cpu_before = kNaN, cpu_after = kNaN;        // cores
  double memory_before = kNaN, memory_after = kNaN;  // bytes
  double disk_before = kNaN, disk_after = kNaN;      // bytes
  double players_before = kNaN, players_after = kNaN;
  double churn_before = kNaN, churn_after = kNaN;    // ratio 0..1
};

struct RoiLine {
  std::string item;       // "CPU", "memory", "disk", "player time", "churn"
  std::string unit;       // of before/after/change: "cores", "GiB", "players", "churn points"
  double before = RoiMeasurements::kNaN, after = RoiMeasurements::kNaN;
  double change = RoiMeasurements::kNaN;  // saved (resources, churn) or gained (players), in unit
  double price = 0;                       // currency per unit per month
  std::string price_text;                 // how the price was made ("0.04 USD/CPU-hour x 730 h")
  double per_month = RoiMeasurements::kNaN;  // change x price; NaN: not counted
  std::string note;       // why not counted, when it is not
};

struct RoiEstimate {
  std::string currency;
  std::vector<RoiLine> lines;
  double total_per_month = 0;  // of the counted lines
};

// The arithmetic alone, over measurements.
RoiEstimate EstimateRoi(const CostModel& model, const RoiMeasurements& measurements);

// Measures `annotation`'s windows through context.engine and estimates; `errors` gets the
// failed queries ("cpu: <message>").
RoiEstimate RoiOf(const AnalysisContext& context, const Annotation& annotation, std::vector<std::string>* errors);
nlohmann::json RoiToJson(const RoiEstimate& estimate);

// The "roi" section: per covered annotation a table of every line and its assumptions.
ReportSection BuildRoiSection(const AnalysisContext& context);

}  // namespace metricsd::analytics
