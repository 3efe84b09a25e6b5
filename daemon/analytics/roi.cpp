#include "daemon/analytics/roi.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include "daemon/analytics/analytics_db.h"
#include "daemon/analytics/impact.h"
#include "daemon/analytics/report_text.h"

namespace metricsd::analytics {
namespace {

constexpr double kBytesPerGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMinutesPerMonth = 60 * kHoursPerMonth;

RoiLine Line(std::string item, std::string unit, double before, double after, bool saved_is_before_minus_after,
             double price, std::string price_text, double scale = 1) {
  RoiLine line;
  line.item = std::move(item);
  line.unit = std::move(unit);
  line.before = before * scale;
  line.after = after * scale;
  line.change = saved_is_before_minus_after ? line.before - line.after : line.after - line.before;
  line.price = price;
  line.price_text = std::move(price_text);
  if (!std::isfinite(line.change)) {
    line.note = "not measured (the query returned no data in a window)";
  } else if (price == 0) {
    line.note = "not counted (its price or value is 0 in analytics.cost)";
  } else {
    line.per_month = line.change * price;
  }
  return line;
}

}  // namespace

RoiEstimate EstimateRoi(const CostModel& model, const RoiMeasurements& m) {
  RoiEstimate estimate;
  estimate.currency = model.currency;
  const std::string& c = model.currency;
  estimate.lines.push_back(Line("CPU", "cores", m.cpu_before, m.cpu_after, true, model.cpu_hour * kHoursPerMonth,
                                FormatNumber(model.cpu_hour) + " " + c + "/CPU-hour x " +
                                    FormatNumber(kHoursPerMonth) + " h/month"));
  estimate.lines.push_back(Line("memory", "GiB", m.memory_before, m.memory_after, true, model.memory_gib_month,
                                FormatNumber(model.memory_gib_month) + " " + c + "/GiB-month", 1 / kBytesPerGiB));
  estimate.lines.push_back(Line("disk", "GiB", m.disk_before, m.disk_after, true, model.disk_gib_month,
                                FormatNumber(model.disk_gib_month) + " " + c + "/GiB-month", 1 / kBytesPerGiB));
  estimate.lines.push_back(Line("player time", "concurrent players", m.players_before, m.players_after, false,
                                model.player_minute * kMinutesPerMonth,
                                FormatNumber(model.player_minute) + " " + c + "/player-minute x " +
                                    FormatNumber(kMinutesPerMonth) + " min/month"));
  estimate.lines.push_back(Line("churn", "percentage points", m.churn_before, m.churn_after, true, model.churn_point,
                                FormatNumber(model.churn_point) + " " + c + "/point/month", 100));
  for (const RoiLine& line : estimate.lines) {
    if (std::isfinite(line.per_month)) estimate.total_per_month += line.per_month;
  }
  return estimate;
}

RoiEstimate RoiOf(const AnalysisContext& context, const Annotation& annotation, std::vector<std::string>* errors) {
  const ImpactWindows windows = WindowsFor(annotation, context.config.impact, context.now);
  const auto step = std::max<std::int64_t>(1000, static_cast<std::int64_t>(context.config.impact.step.count()));
  const CostModel& model = context.config.cost;
  RoiMeasurements m;
  auto measure = [&](const char* name, const std::string& expr, double* before, double* after) {
    WindowMedians medians = SummedWindowMedians(context.engine, expr, windows, step);
    if (!medians.error.empty() && errors != nullptr) errors->push_back(std::string(name) + ": " + medians.error);
    *before = medians.before;
    *after = medians.after;
  };
  measure("cpu", model.cpu, &m.cpu_before, &m.cpu_after);
  measure("memory", model.memory, &m.memory_before, &m.memory_after);
  measure("disk", model.disk, &m.disk_before, &m.disk_after);
  measure("players", model.players, &m.players_before, &m.players_after);
  measure("churn", model.churn, &m.churn_before, &m.churn_after);
  return EstimateRoi(model, m);
}

nlohmann::json RoiToJson(const RoiEstimate& estimate) {
  nlohmann::json lines = nlohmann::json::array();
  for (const RoiLine& line : estimate.lines) {
    lines.push_back({{"item", line.item},
                     {"unit", line.unit},
                     {"before", NumberOrNull(line.before)},
                     {"after", NumberOrNull(line.after)},
                     {"change", NumberOrNull(line.change)},
                     {"price_per_unit_month", line.price},
                     {"price", line.price_text},
                     {"per_month", NumberOrNull(line.per_month)},
                     {"note", line.note}});
  }
  return {{"currency", estimate.currency}, {"lines", std::move(lines)}, {"total_per_month", estimate.total_per_month}};
}

ReportSection BuildRoiSection(const AnalysisContext& context) {
  const CostModel& model = context.config.cost;
  const ImpactOptions& impact = context.config.impact;
  ReportSection section;
  section.id = "roi";
  section.title = "Return on investment of optimizations";
  section.notes = {
      "Annotations covered: " + (model.tag.empty() ? std::string("every annotation in the range")
                                                   : "those tagged \"" + model.tag + "\"") +
          " (analytics.cost.tag).",
      "Before and after are medians over " + FormatDuration(impact.before) + " before the annotation and " +
          FormatDuration(impact.after) + " after its end plus " + FormatDuration(impact.settle) +
          " (analytics.impact), of each query's series summed per step.",
      "CPU: cores saved x cpu_hour x " + FormatNumber(kHoursPerMonth) + " h/month; memory and disk: GiB (2^30 bytes) "
      "saved x price per GiB-month; player time: concurrent players gained x " + FormatNumber(kMinutesPerMonth) +
          " min/month x player_minute; churn: percentage points less x churn_point.",
      "The whole change between the windows is credited to the annotation, and the after level is assumed to "
      "last the month; a saved core is money only if the capacity is given back.",
      "Queries: cpu `" + model.cpu + "`; memory `" + model.memory + "`; disk `" + model.disk + "`; players `" +
          model.players + "`; churn `" + (model.churn.empty() ? std::string("(none)") : model.churn) + "`.",
  };
  section.data = nlohmann::json::array();
  std::vector<Annotation> annotations;
  if (!SectionAnnotations(context, model.tag, impact.max_annotations, section, &annotations)) return section;
  for (const Annotation& annotation : annotations) {
    std::vector<std::string> errors;
    const RoiEstimate estimate = RoiOf(context, annotation, &errors);
    nlohmann::json json = RoiToJson(estimate);
    json["annotation"] = AnnotationToJson(annotation);
    json["errors"] = errors;
    const ImpactWindows windows = WindowsFor(annotation, impact, context.now);
    json["windows"] = {{"before", {windows.before_start, windows.before_end}},
                       {"after", {windows.after_start, windows.after_end}},
                       {"after_complete", windows.after_complete}};
    section.data.push_back(std::move(json));

    section.blocks.push_back(ReportParagraph{FormatTimeUtc(annotation.time) + ": " +
                                             (annotation.text.empty() ? "(no text)" : annotation.text) + ": " +
                                             FormatNumber(estimate.total_per_month) + " " + estimate.currency +
                                             " per month"});
    ReportTable table;
    table.columns = {"Item", "Before", "After", "Saved / gained", "Price", "Per month"};
    for (const RoiLine& line : estimate.lines) {
      table.rows.push_back({line.item, FormatNumber(line.before) + " " + line.unit,
                            FormatNumber(line.after) + " " + line.unit, FormatNumber(line.change) + " " + line.unit,
                            line.price_text,
                            line.note.empty() ? FormatNumber(line.per_month) + " " + estimate.currency : line.note});
    }
    table.rows.push_back({"total", "", "", "", "", FormatNumber(estimate.total_per_month) + " " + estimate.currency});
    section.blocks.push_back(std::move(table));
    // Where the before and after numbers came from.
    section.blocks.push_back(ReportKeyValues{{
        {"before window", FormatTimeUtc(windows.before_start) + " .. " + FormatTimeUtc(windows.before_end)},
        {"after window", FormatTimeUtc(windows.after_start) + " .. " + FormatTimeUtc(windows.after_end) +
                             (windows.after_complete ? "" : " (not over yet)")},
        {"source", context.engine.Describe()},
    }});
    for (const std::string& error : errors) section.blocks.push_back(ReportParagraph{"Query failed: " + error});
  }
  return section;
}

}  // namespace metricsd::analytics
