#include "daemon/analytics/comparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "daemon/analytics/report_text.h"
#include "daemon/analytics/robust_stats.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {


}  // namespace

std::string_view GradeName(Grade grade) {
  switch (grade) {
    case Grade::kGood: return "good";
    case Grade::kAcceptable: return "acceptable";
    case Grade::kPoor: return "poor";
    case Grade::kUnknown: break;
  }
  return "unknown";
}

Grading GradeValue(double value, const Reference& reference) {
  Grading out;
  if (std::isnan(value)) {
    out.margin = out.margin_percent = kNaN;
    return out;
  }
  const bool higher_is_worse = reference.direction == Direction::kHigherIsWorse;
  auto no_worse = [&](double line) { return higher_is_worse ? value <= line : value >= line; };
  out.grade = no_worse(reference.good)         ? Grade::kGood
              : no_worse(reference.acceptable) ? Grade::kAcceptable
                                               : Grade::kPoor;
  out.margin = higher_is_worse ? reference.good - value : value - reference.good;
  out.margin_percent = reference.good != 0 ? out.margin / std::abs(reference.good) * 100 : kNaN;
  return out;
}

ReportSection BuildComparisonSection(const AnalysisContext& context) {
  ReportSection section;
  section.id = "comparison";
  section.title = "Comparison with industry references";
  const Timestamp end = context.end > 0 ? context.end : context.now;
  // No report range (start 0): the value at `end` alone.
  const Timestamp start = context.start > 0 && context.start < end ? context.start : end;
  // ux.step, coarser over long ranges so a range query stays under 10,000 steps (Prometheus
  // refuses more than 11,000 points per series).
  const std::int64_t step = std::max<std::int64_t>(
      {context.config.ux.step.count(), 1000, (end - start) / 10'000 + 1});
  std::vector<std::string> errors;
  ReportTable table;
  table.columns = {"watch", "series", "value", "reference", "good", "acceptable", "grade",
                   "margin to good"};
  section.data["watches"] = nlohmann::json::array();
  std::vector<const Reference*> used;
  for (const Watch& watch : context.config.watches) {
    // A satisfaction signal (session length, ratings) has no industry line unless one is named.
    const Reference* reference =
        watch.satisfaction && watch.reference.empty() ? nullptr : ReferenceFor(watch);
    nlohmann::json watch_data = {{"watch", watch.name},
                                 {"reference", reference ? std::string(reference->id) : ""},
                                 {"series", nlohmann::json::array()}};
    if (reference == nullptr) {
      std::string note = watch.satisfaction && watch.reference.empty()
                             ? "a satisfaction signal (see correlation)"
                         : watch.reference.empty() ? "no industry reference for its kind and unit"
                                                 : "unknown reference \"" + watch.reference + "\"";
      watch_data["note"] = note;
      table.rows.push_back({watch.name, "", "", note, "", "", "not graded", ""});
      section.data["watches"].push_back(std::move(watch_data));
      continue;
    }
    if (std::find(used.begin(), used.end(), reference) == used.end()) used.push_back(reference);
    promql::QueryResult result = end > start ? context.engine.Range(watch.expr, start, end, step)
                                             : context.engine.Instant(watch.expr, end);
    if (!result.ok()) {
      errors.push_back(watch.name + ": " + result.error);
      watch_data["error"] = result.error;
      section.data["watches"].push_back(std::move(watch_data));
      continue;
    }
    // Per series: its values over the range (an instant query gives one).
    std::vector<std::pair<promql::Labels, std::vector<double>>> series;
    if (const auto* matrix = std::get_if<promql::Matrix>(&result.value)) {
      for (const promql::Series& s : *matrix) {
        series.emplace_back(promql::DropMetricName(s.labels), FiniteValues(s.points));
      }
    } else if (const auto* vector = std::get_if<promql::Vector>(&result.value)) {
      for (const promql::Sample& s : *vector) {
        if (std::isfinite(s.v)) series.push_back({promql::DropMetricName(s.labels), {s.v}});
      }
    }
    if (series.empty()) {
      table.rows.push_back({watch.name, "", "no data", std::string(reference->name), "", "",
                            "not graded", ""});
    }
    const double q = watch.higher_is_worse() ? 0.95 : 0.05;
    for (const auto& [labels, values] : series) {
      double value = ConvertUnit(Quantile(values, q), watch.unit, reference->unit);
      Grading grading = GradeValue(value, *reference);
      table.rows.push_back({watch.name, LabelPairs(labels), FormatQuantity(value, reference->unit),
                            std::string(reference->name),
                            FormatQuantity(reference->good, reference->unit),
                            FormatQuantity(reference->acceptable, reference->unit),
                            std::string(GradeName(grading.grade)),
                            FormatSignedPercent(grading.margin_percent)});
      watch_data["series"].push_back({{"labels", LabelsJson(labels)},
                                      {"quantile", q},
                                      {"value", NumberOrNull(value)},
                                      {"unit", reference->unit},
                                      {"grade", GradeName(grading.grade)},
                                      {"margin", NumberOrNull(grading.margin)},
                                      {"margin_percent", NumberOrNull(grading.margin_percent)}});
    }
    section.data["watches"].push_back(std::move(watch_data));
  }
  section.blocks.push_back(ReportParagraph{
      "Each watch's 95th percentile over the report range (5th for watches where lower is "
      "worse), graded against the industry reference that applies."});
  section.blocks.push_back(std::move(table));
  ReportTable sources;
  sources.columns = {"reference", "good", "acceptable", "source"};
  section.data["references"] = nlohmann::json::array();
  for (const Reference* reference : used) {
    sources.rows.push_back({std::string(reference->name),
                            FormatQuantity(reference->good, reference->unit),
                            FormatQuantity(reference->acceptable, reference->unit),
                            std::string(reference->source)});
    section.data["references"].push_back({{"id", reference->id},
                                          {"name", reference->name},
                                          {"unit", reference->unit},
                                          {"good", reference->good},
                                          {"acceptable", reference->acceptable},
                                          {"source", reference->source}});
  }
  if (!sources.rows.empty()) section.blocks.push_back(std::move(sources));
  if (!errors.empty()) {
    std::string joined;
    for (const std::string& e : errors) joined += (joined.empty() ? "" : "; ") + e;
    section.error = joined;
  }
  section.notes = {
      "The graded value is the 95th percentile of the watch's values at ux.step over the report "
      "range (the 5th where lower is worse), per series: the bad tail, not the mean.",
      "A reference is picked by the watch's `reference` id, else by its kind and unit (latency: "
      "RAIL 100 ms; ux in seconds: the 60 fps frame; errors: 99.9 % availability; resource: "
      "70-80 % utilisation headroom, a convention); throughput has none and is not graded.",
      "Units are converted (ms, us to seconds; percent to ratio); a watch whose unit does not "
      "convert to its reference's is shown as n/a.",
      "Margin is the distance to the reference's good line in percent of it, positive = better.",
      "Web references (RAIL, Core Web Vitals) describe browser interactions; applied to a "
      "game's server and client timings they are a yardstick, not a contract.",
  };
  return section;
}

}  // namespace metricsd::analytics
