#include "daemon/analytics/baseline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <variant>

#include "daemon/analytics/analytics_db.h"
#include "daemon/analytics/report_text.h"
#include "daemon/analytics/robust_stats.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {

// The Unix epoch was a Thursday: Monday 00:00 UTC came 3 days (72 hours) before it.
constexpr Timestamp kEpochAfterMonday = 72 * kHourMs;

Timestamp FloorMod(Timestamp a, Timestamp b) { return ((a % b) + b) % b; }

double NumberOr(const nlohmann::json& j, double fallback) {
  return j.is_number() ? j.get<double>() : fallback;
}

std::string Format(double v) { return FormatNumber(v, 4, "-"); }

nlohmann::json StatsToJson(const SlotStats& s) {
  return {{"median", NumberOrNull(s.median)},
          {"p90", NumberOrNull(s.p90)},
          {"p99", NumberOrNull(s.p99)},
          {"mad", NumberOrNull(s.mad)},
          {"count", s.count}};
}

SlotStats StatsFromJson(const nlohmann::json& j) {
  SlotStats s;
  if (j.is_array() && j.size() == 5) {
    s.median = NumberOr(j[0], kNaN);
    s.p90 = NumberOr(j[1], kNaN);
    s.p99 = NumberOr(j[2], kNaN);
    s.mad = NumberOr(j[3], kNaN);
    s.count = j[4].is_number_integer() ? j[4].get<std::int64_t>() : 0;
  } else if (j.is_object()) {
    s.median = NumberOr(j.value("median", nlohmann::json()), kNaN);
    s.p90 = NumberOr(j.value("p90", nlohmann::json()), kNaN);
    s.p99 = NumberOr(j.value("p99", nlohmann::json()), kNaN);
    s.mad = NumberOr(j.value("mad", nlohmann::json()), kNaN);
    s.count = j.value("count", std::int64_t{0});
  }
  return s;
}

std::vector<Baseline> Stamp(std::vector<Baseline> baselines, std::int64_t version,
                            Timestamp computed_at) {
  for (Baseline& b : baselines) {
    b.version = version;
    b.computed_at = computed_at;
  }
  return baselines;
}

}  // namespace

SlotStats ComputeSlotStats(std::span<const double> values) {
  std::vector<double> finite = FiniteValues(values);
  SlotStats s;
  s.count = static_cast<std::int64_t>(finite.size());
  if (finite.empty()) return s;
  s.median = Median(finite);
  s.p90 = Quantile(finite, 0.9);
  s.p99 = Quantile(finite, 0.99);
  s.mad = Mad(finite);
  return s;
}

int HourOfWeek(Timestamp t) {
  return static_cast<int>(FloorMod(t + kEpochAfterMonday, kWeekMs) / kHourMs);
}

bool Baseline::SlotUsed(Timestamp t) const {
  return seasonal && slots[static_cast<std::size_t>(HourOfWeek(t))].count >= min_samples_per_slot;
}

const SlotStats& Baseline::At(Timestamp t) const {
  return SlotUsed(t) ? slots[static_cast<std::size_t>(HourOfWeek(t))] : flat;
}

double Baseline::Expected(Timestamp t) const {
  if (!seasonal) return flat.median;
  // Hours since Monday 00:00, measured from the first slot's centre.
  const double position =
      static_cast<double>(FloorMod(t + kEpochAfterMonday, kWeekMs)) / static_cast<double>(kHourMs) -
      0.5;
  const double lower_position = std::floor(position);
  const double weight = position - lower_position;
  const auto lower =
      static_cast<std::size_t>(FloorMod(static_cast<Timestamp>(lower_position), kHoursPerWeek));
  const std::size_t upper = (lower + 1) % kHoursPerWeek;
  const SlotStats& a = slots[lower];
  const SlotStats& b = slots[upper];
  if (a.count < min_samples_per_slot || b.count < min_samples_per_slot) return At(t).median;
  return a.median + (b.median - a.median) * weight;
}

Baseline ComputeBaseline(promql::Labels labels, std::span<const promql::Point> points,
                         const BaselineOptions& options) {
  Baseline baseline;
  baseline.labels = std::move(labels);
  baseline.min_samples_per_slot = options.min_samples_per_slot;
  std::array<std::vector<double>, kHoursPerWeek> by_slot;
  std::vector<double> all;
  all.reserve(points.size());
  bool any = false;
  for (const auto& point : points) {
    if (!std::isfinite(point.v)) continue;
    if (!any) baseline.from = point.t;
    baseline.to = point.t;
    any = true;
    all.push_back(point.v);
    by_slot[static_cast<std::size_t>(HourOfWeek(point.t))].push_back(point.v);
  }
  baseline.flat = ComputeSlotStats(all);
  // The last sample stands for a whole step: 4 weeks at 5m span 4w - 5m between first and last.
  const Timestamp covered = any ? baseline.to - baseline.from + options.step.count() : 0;
  baseline.seasonal = covered >= options.min_weeks * kWeekMs;
  for (std::size_t slot = 0; slot < by_slot.size(); ++slot) {
    baseline.slots[slot] = ComputeSlotStats(by_slot[slot]);
  }
  return baseline;
}

std::vector<Baseline> ComputeWatchBaselines(const AnalysisContext& context, const Watch& watch,
                                            Timestamp end, std::string* error) {
  const BaselineOptions& options = context.config.baseline;
  const std::int64_t step = options.step.count();
  // weeks * 7d / step samples ending at `end`.
  const Timestamp start = end - options.weeks * kWeekMs + step;
  promql::QueryResult result = context.engine.Range(watch.expr, start, end, step);
  if (!result.ok()) {
    if (error != nullptr) *error = "baseline of " + watch.name + ": " + result.error;
    return {};
  }
  std::vector<Baseline> baselines;
  if (const auto* matrix = std::get_if<promql::Matrix>(&result.value)) {
    baselines.reserve(matrix->size());
    for (const promql::Series& series : *matrix) {
      baselines.push_back(ComputeBaseline(series.labels, series.points, options));
    }
  }
  return baselines;
}

std::vector<Baseline> ComputeWatchBaselines(const AnalysisContext& context, const Watch& watch,
                                            std::string* error) {
  return ComputeWatchBaselines(context, watch,
                               context.now - context.config.regression.window.count(), error);
}

std::vector<Baseline> BaselinesFor(const AnalysisContext& context, const Watch& watch,
                                   std::string* error) {
  const Timestamp refresh = context.config.baseline.refresh.count();
  if (context.db != nullptr) {
    try {
      std::optional<StoredBaselines> stored = context.db->LatestBaselines(watch.name);
      if (stored && stored->computed_at <= context.now &&
          context.now - stored->computed_at < refresh) {
        std::string parse_error;
        auto parsed =
            BaselinesFromJson(nlohmann::json::parse(stored->json, nullptr, false), &parse_error);
        // An unreadable stored version is computed again rather than trusted.
        if (parsed) return Stamp(std::move(*parsed), stored->version, stored->computed_at);
      }
    } catch (const std::exception&) {
      // A database that cannot be read costs the reuse, not the baselines.
    }
  }
  std::string query_error;
  std::vector<Baseline> baselines = ComputeWatchBaselines(context, watch, &query_error);
  if (!query_error.empty()) {
    if (error != nullptr) *error = query_error;
    return {};
  }
  std::int64_t version = 0;
  if (context.db != nullptr && !baselines.empty()) {
    try {
      version = context.db->PutBaselines(
          watch.name, context.now, BaselinesToJson(watch.name, 0, context.now, baselines).dump());
    } catch (const std::exception&) {
      // A full disk: the baselines still serve this run, unstored (version 0).
    }
  }
  return Stamp(std::move(baselines), version, context.now);
}

nlohmann::json BaselinesJsonFor(const AnalysisContext& context, const Watch& watch,
                                std::string* error) {
  std::string query_error;
  std::vector<Baseline> baselines = BaselinesFor(context, watch, &query_error);
  if (!query_error.empty()) {
    if (error != nullptr) *error = query_error;
    return nullptr;
  }
  const std::int64_t version = baselines.empty() ? 0 : baselines.front().version;
  const Timestamp computed_at = baselines.empty() ? context.now : baselines.front().computed_at;
  return BaselinesToJson(watch.name, version, computed_at, baselines);
}

nlohmann::json BaselinesToJson(const std::string& watch, std::int64_t version,
                               Timestamp computed_at, const std::vector<Baseline>& baselines) {
  nlohmann::json list = nlohmann::json::array();
  for (const Baseline& b : baselines) {
    nlohmann::json slots = nlohmann::json::array();
    for (const SlotStats& s : b.slots) {
      slots.push_back({NumberOrNull(s.median), NumberOrNull(s.p90), NumberOrNull(s.p99),
                       NumberOrNull(s.mad), s.count});
    }
    list.push_back({{"labels", LabelsJson(b.labels)},
                    {"seasonal", b.seasonal},
                    {"from", b.from},
                    {"to", b.to},
                    {"min_samples_per_slot", b.min_samples_per_slot},
                    {"flat", StatsToJson(b.flat)},
                    {"slots", std::move(slots)}});
  }
  return {{"watch", watch},
          {"version", version},
          {"computed_at", computed_at},
          {"baselines", std::move(list)}};
}

std::optional<std::vector<Baseline>> BaselinesFromJson(const nlohmann::json& json,
                                                       std::string* error) {
  auto fail = [error](const std::string& what) -> std::optional<std::vector<Baseline>> {
    if (error != nullptr) *error = what;
    return std::nullopt;
  };
  if (!json.is_object() || !json.contains("baselines") || !json["baselines"].is_array()) {
    return fail("baselines: not an object with a \"baselines\" array");
  }
  std::vector<Baseline> out;
  for (const nlohmann::json& item : json["baselines"]) {
    if (!item.is_object() || !item.contains("labels") || !item["labels"].is_object() ||
        !item.contains("slots") || !item["slots"].is_array() ||
        item["slots"].size() != kHoursPerWeek) {
      return fail("baselines: an item lacks labels or 168 slots");
    }
    Baseline b;
    // nlohmann's objects iterate by key, so the labels come out sorted as Labels must be.
    for (const auto& [name, value] : item["labels"].items()) {
      if (!value.is_string()) return fail("baselines: label " + name + " is not a string");
      b.labels.push_back({name, value.get<std::string>()});
    }
    b.seasonal = item.value("seasonal", false);
    b.from = item.value("from", Timestamp{0});
    b.to = item.value("to", Timestamp{0});
    b.min_samples_per_slot = item.value("min_samples_per_slot", std::int64_t{3});
    b.flat = StatsFromJson(item.value("flat", nlohmann::json()));
    for (std::size_t i = 0; i < kHoursPerWeek; ++i) b.slots[i] = StatsFromJson(item["slots"][i]);
    out.push_back(std::move(b));
  }
  const std::int64_t version = json.value("version", std::int64_t{0});
  const Timestamp computed_at = json.value("computed_at", Timestamp{0});
  return Stamp(std::move(out), version, computed_at);
}

ReportSection BuildBaselinesSection(const AnalysisContext& context) {
  ReportSection section;
  section.id = "baselines";
  section.title = "Baselines";
  const Timestamp at = context.end != 0 ? context.end : context.now;
  const int slot = HourOfWeek(at);
  section.blocks.push_back(ReportParagraph{
      "What is normal for each watched series: robust statistics of the hour-of-week slot " +
      std::to_string(slot) +
      " (UTC, Monday 00:00 = 0) that contains the end of the range, "
      "over the last " +
      std::to_string(context.config.baseline.weeks) + " weeks."});
  nlohmann::json watches = nlohmann::json::array();
  std::vector<std::string> errors;
  for (const Watch& watch : context.config.watches) {
    std::string error;
    std::vector<Baseline> baselines = BaselinesFor(context, watch, &error);
    if (!error.empty()) {
      errors.push_back(error);
      section.blocks.push_back(ReportParagraph{watch.name + ": " + error});
      continue;
    }
    if (baselines.empty()) continue;
    ReportTable table;
    table.columns = {"series (" + watch.name + ", " + watch.unit + ")",
                     "kind",
                     "median",
                     "p90",
                     "p99",
                     "samples",
                     "version"};
    nlohmann::json series = nlohmann::json::array();
    for (const Baseline& b : baselines) {
      const SlotStats& s = b.At(at);
      const bool own_slot = b.SlotUsed(at);
      table.rows.push_back({promql::LabelsToString(promql::DropMetricName(b.labels)),
                            own_slot ? "seasonal" : "flat", Format(s.median), Format(s.p90),
                            Format(s.p99), std::to_string(s.count), std::to_string(b.version)});
      series.push_back({{"labels", LabelsJson(b.labels)},
                        {"kind", own_slot ? "seasonal" : "flat"},
                        {"slot", slot},
                        {"stats", StatsToJson(s)},
                        {"flat", StatsToJson(b.flat)},
                        {"from", b.from},
                        {"to", b.to}});
    }
    section.blocks.push_back(std::move(table));
    watches.push_back({{"watch", watch.name},
                       {"version", baselines.front().version},
                       {"computed_at", baselines.front().computed_at},
                       {"series", std::move(series)}});
  }
  if (!errors.empty() && errors.size() == context.config.watches.size()) {
    section.error = errors.front();
  }
  section.data = {{"slot", slot}, {"watches", std::move(watches)}};
  section.notes = {
      "Slots are hours of the week in UTC; a daily or weekly cycle in local time shifts with "
      "daylight saving time by an hour twice a year.",
      "A slot with fewer than baseline.min_samples_per_slot samples, or a history shorter than "
      "baseline.min_weeks weeks, uses the flat baseline (all values together).",
      "The newest regression.window is left out of the baseline so a regression in progress is "
      "not part of its own baseline; an older incident inside the baseline weeks is, and a "
      "median over several weeks limits its weight.",
      "Stored baselines are reused for baseline.refresh; version 0 means not stored (no "
      "analytics database).",
      "Values are those of the watch's expression at baseline.step; a p99 over slot samples is a "
      "quantile of those values, not of the underlying requests."};
  return section;
}

}  // namespace metricsd::analytics
