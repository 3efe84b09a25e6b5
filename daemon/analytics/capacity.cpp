#include "daemon/analytics/capacity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <variant>

#include "daemon/analytics/correlation.h"
#include "daemon/analytics/holt_winters.h"
#include "daemon/analytics/normal_distribution.h"
#include "daemon/analytics/report_text.h"
#include "daemon/analytics/robust_stats.h"
#include "daemon/analytics/theil_sen.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {

// Series per resource (filesystems: mountpoints) given a runway; bounds the fitting cost.
constexpr std::size_t kMaxSeriesPerResource = 50;
constexpr std::size_t kChartsPerResource = 3;

// The first time `points` reach `limit`, starting from `from` (the newest observed value).
std::optional<Timestamp> Crossing(const std::vector<promql::Point>& points, promql::Point from,
                                  double limit) {
  promql::Point previous = from;
  for (const promql::Point& p : points) {
    if (!std::isfinite(p.v)) continue;
    if (p.v >= limit) {
      if (!(previous.v < limit) || p.v == previous.v) return p.t;
      const double share = (limit - previous.v) / (p.v - previous.v);
      return previous.t +
             static_cast<Timestamp>(std::llround(share * static_cast<double>(p.t - previous.t)));
    }
    previous = p;
  }
  return std::nullopt;
}

std::string PercentOrValue(double value, const std::string& unit) {
  if (unit == "ratio") return FormatNumber(100 * value) + " %";
  return FormatNumber(value) + (unit.empty() ? "" : " " + unit);
}

std::string Days(double days) {
  if (std::isnan(days)) return "never";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f d", days);
  return buffer;
}

nlohmann::json TimeOrNull(const std::optional<Timestamp>& t) {
  return t ? nlohmann::json(*t / 1000) : nlohmann::json(nullptr);
}

std::string ResourceTitle(const CapacityRunway& r) {
  return r.forecast.labels.empty() ? r.resource : r.resource + " " + promql::LabelsToString(r.forecast.labels);
}

Finding MakeFinding(const CapacityRunway& r, Timestamp now, const CapacityOptions& options) {
  Finding finding;
  finding.kind = "exhaustion";
  finding.watch = r.resource;
  finding.labels = r.forecast.labels;
  finding.start = now;
  finding.detected = now;
  const Timestamp at = r.runway.exhausted_now ? now : std::max(now, *r.runway.at);
  finding.magnitude = static_cast<double>(at - now) / 1000;
  finding.confidence = r.runway.confidence;
  finding.severity = at - now <= options.critical_within.count() ? "critical" : "warning";
  const std::string limit = PercentOrValue(r.limit, r.unit);
  if (r.runway.exhausted_now) {
    finding.summary = ResourceTitle(r) + " is at " + PercentOrValue(r.runway.current, r.unit) +
                      ", at or over its limit " + limit + ".";
  } else {
    finding.summary = ResourceTitle(r) + " reaches its limit " + limit + " in " + FormatSpan(at - now) +
                      " (earliest " +
                      (r.runway.earliest ? FormatSpan(std::max<Timestamp>(0, *r.runway.earliest - now))
                                         : std::string("n/a")) +
                      ", latest " +
                      (r.runway.latest ? FormatSpan(std::max<Timestamp>(0, *r.runway.latest - now))
                                       : "beyond " + FormatSpan(options.horizon.count())) +
                      "); now " + PercentOrValue(r.runway.current, r.unit) + ".";
  }
  finding.details = {{"limit", r.limit},
                     {"unit", r.unit},
                     {"current", r.runway.current},
                     {"exhaustion", at / 1000},
                     {"earliest", TimeOrNull(r.runway.earliest)},
                     {"latest", TimeOrNull(r.runway.latest)},
                     {"model", r.forecast.model},
                     {"backtest_mape_percent", r.forecast.mape},
                     {"backtest_coverage", r.forecast.coverage}};
  return finding;
}

// The driver's value per timestamp, summed over its series.
std::map<Timestamp, double> DriverValues(const AnalysisContext& context, Timestamp now,
                                         std::string* error) {
  const ForecastOptions& forecast = context.config.forecast;
  const std::int64_t step = std::max<std::int64_t>(forecast.step.count(), 1);
  std::map<Timestamp, double> values;
  promql::QueryResult result = context.engine.Range(context.config.capacity.driver,
                                                    now - forecast.history.count(), now, step);
  if (!result.ok()) {
    *error = result.error.empty() ? "query failed" : result.error;
    return values;
  }
  if (const auto* matrix = std::get_if<promql::Matrix>(&result.value)) {
    for (const promql::Series& series : *matrix) {
      for (const promql::Point& p : series.points) {
        if (std::isfinite(p.v)) values[p.t] += p.v;
      }
    }
  }
  return values;
}

}  // namespace

Runway ComputeRunway(const ForecastResult& forecast, double limit, Timestamp until) {
  Runway runway;
  runway.current = forecast.Latest();
  if (!forecast.ok() || !std::isfinite(limit) || forecast.history.empty()) return runway;
  const promql::Point last = forecast.history.back();
  if (std::isfinite(runway.current) && runway.current >= limit) {
    runway.exhausted_now = true;
    runway.at = runway.earliest = runway.latest = last.t;
    runway.confidence = 1;
    return runway;
  }
  // The bounds start where the observed series ends (a gap there: where the model puts it).
  promql::Point from{last.t, std::isfinite(last.v) ? last.v : runway.current};
  runway.at = Crossing(forecast.predicted, from, limit);
  runway.earliest = Crossing(forecast.upper, from, limit);
  runway.latest = Crossing(forecast.lower, from, limit);
  const double z = normal::TwoSidedZ(forecast.interval);
  for (std::size_t i = 0; i < forecast.predicted.size(); ++i) {
    if (forecast.predicted[i].t > until) break;
    const double mean = forecast.predicted[i].v;
    const double sd = (forecast.upper[i].v - mean) / z;
    if (!std::isfinite(mean)) continue;
    const double p = sd > 0 ? normal::UpperTail((limit - mean) / sd) : (mean >= limit ? 1.0 : 0.0);
    runway.confidence = std::max(runway.confidence, p);
  }
  return runway;
}

LinearFit FitUsageOnDriver(std::span<const double> x, std::span<const double> y) {
  LinearFit fit;
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    xs.push_back(x[i]);
    ys.push_back(y[i]);
  }
  fit.points = xs.size();
  if (xs.size() >= 3) fit.correlation = Spearman(xs, ys);  // robust, as the slope is
  TheilSenFit line = TheilSen(x, y, 0.95, 400);
  if (!line.ok()) return fit;  // a constant driver says nothing about the slope
  fit.slope = line.slope;
  fit.intercept = line.At(0);
  return fit;
}

double ScenarioDays(const LinearFit& fit, double base, double limit, double growth_percent) {
  if (!fit.ok() || !std::isfinite(limit) || !(base > 0) || !(growth_percent > 0)) return kNaN;
  if (fit.slope * base + fit.intercept >= limit) return 0;
  if (!(fit.slope > 0)) return kNaN;
  const double target = (limit - fit.intercept) / fit.slope;  // > base here
  return 7 * std::log(target / base) / std::log1p(growth_percent / 100);
}

std::vector<CapacityRunway> CapacityRunways(const AnalysisContext& context, Timestamp now,
                                            std::vector<std::string>* errors) {
  const CapacityOptions& options = context.config.capacity;
  std::vector<CapacityRunway> out;
  std::string driver_error;
  const std::map<Timestamp, double> driver = DriverValues(context, now, &driver_error);
  if (!driver_error.empty() && errors) errors->push_back("driver: " + driver_error);
  // The scenarios start from the driver's busy hours: its 95th percentile over the last week.
  std::vector<double> recent;
  for (const auto& [t, v] : driver) {
    if (t > now - kWeekMs) recent.push_back(v);
  }
  const double base = Quantile(recent, 0.95);

  for (const CapacityResource& resource : options.resources) {
    std::string error;
    std::vector<ForecastResult> forecasts =
        ForecastExpr(context, resource.expr, now, options.horizon, &error, kMaxSeriesPerResource);
    if (!error.empty()) {
      if (errors) errors->push_back(resource.name + ": " + error);
      continue;
    }
    std::erase_if(forecasts, [](const ForecastResult& f) { return !f.ok(); });
    for (ForecastResult& forecast : forecasts) {
      CapacityRunway r;
      r.resource = resource.name;
      r.limit = resource.limit;
      r.unit = resource.unit;
      r.runway = ComputeRunway(forecast, resource.limit, now + options.warn_within.count());
      std::vector<double> x, y;
      for (const promql::Point& p : forecast.history) {
        auto it = driver.find(p.t);
        if (it == driver.end()) continue;
        x.push_back(it->second);
        y.push_back(p.v);
      }
      r.driver_fit = FitUsageOnDriver(x, y);
      r.driver_base = base;
      for (double growth : options.scenarios) {
        r.scenario_days.push_back(ScenarioDays(r.driver_fit, base, resource.limit, growth));
      }
      r.forecast = std::move(forecast);
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<Finding> DetectExhaustion(const AnalysisContext& context) {
  const CapacityOptions& options = context.config.capacity;
  std::vector<Finding> findings;
  for (const CapacityRunway& r : CapacityRunways(context, context.now, nullptr)) {
    const bool soon = r.runway.at && *r.runway.at - context.now <= options.warn_within.count();
    if (r.runway.exhausted_now || soon) findings.push_back(MakeFinding(r, context.now, options));
  }
  return findings;
}

ReportSection BuildCapacitySection(const AnalysisContext& context) {
  const CapacityOptions& options = context.config.capacity;
  const ForecastOptions& forecast_options = context.config.forecast;
  ReportSection section;
  section.id = "capacity";
  section.title = "Capacity runway";
  const Timestamp now = context.end > 0 ? context.end : context.now;
  std::vector<std::string> errors;
  std::vector<CapacityRunway> runways = CapacityRunways(context, now, &errors);
  std::size_t resource_errors = 0;
  for (const std::string& e : errors) resource_errors += e.rfind("driver: ", 0) == 0 ? 0 : 1;
  if (!options.resources.empty() && resource_errors == options.resources.size()) {
    section.error = "every capacity query failed: " + errors.front();
    return section;
  }

  ReportFindings findings;
  ReportTable runway_table;
  const std::string warn = FormatSpan(options.warn_within.count());
  runway_table.columns = {"resource",
                          "series",
                          "now",
                          "limit",
                          "reaches limit in",
                          "earliest",
                          "latest",
                          "P(limit within " + warn + ")",
                          "back-test MAPE",
                          "back-test coverage"};
  ReportTable scenario_table;
  scenario_table.columns = {"resource",    "series",       "usage per driver unit",
                            "at driver 0", "Spearman rho", "driver (p95, last week)"};
  for (double growth : options.scenarios) {
    scenario_table.columns.push_back("+" + FormatNumber(growth) + " %/week");
  }
  std::vector<std::string> sentences;
  nlohmann::json data = nlohmann::json::array();
  std::map<std::string, std::size_t> charts;
  auto span_from_now = [&](const std::optional<Timestamp>& t, const std::string& none) {
    return t ? FormatSpan(std::max<Timestamp>(0, *t - now)) : none;
  };
  const std::string beyond = "beyond " + FormatSpan(options.horizon.count());

  for (const CapacityRunway& r : runways) {
    const bool has_limit = std::isfinite(r.limit);
    const bool soon = r.runway.at && *r.runway.at - now <= options.warn_within.count();
    if (r.runway.exhausted_now || soon) findings.findings.push_back(MakeFinding(r, now, options));
    runway_table.rows.push_back(
        {r.resource, promql::LabelsToString(r.forecast.labels), PercentOrValue(r.runway.current, r.unit),
         has_limit ? PercentOrValue(r.limit, r.unit) : "none",
         !has_limit               ? "n/a"
         : r.runway.exhausted_now ? "now"
                                  : span_from_now(r.runway.at, beyond),
         has_limit ? span_from_now(r.runway.earliest, beyond) : "n/a",
         has_limit ? span_from_now(r.runway.latest, beyond) : "n/a",
         has_limit ? FormatNumber(100 * r.runway.confidence) + " %" : "n/a",
         std::isfinite(r.forecast.mape) ? FormatNumber(r.forecast.mape) + " %" : "n/a",
         std::isfinite(r.forecast.coverage) ? FormatNumber(100 * r.forecast.coverage) + " %" : "n/a"});
    if (r.driver_fit.ok()) {
      std::vector<std::string> row{r.resource,
                                   promql::LabelsToString(r.forecast.labels),
                                   FormatNumber(r.driver_fit.slope),
                                   FormatNumber(r.driver_fit.intercept),
                                   FormatNumber(r.driver_fit.correlation),
                                   FormatNumber(r.driver_base)};
      for (std::size_t i = 0; i < r.scenario_days.size(); ++i) {
        row.push_back(has_limit ? Days(r.scenario_days[i]) : "n/a");
        const bool explained = r.driver_fit.correlation >= 0.5;
        if (has_limit && explained && std::isfinite(r.scenario_days[i]) && sentences.size() < 12) {
          sentences.push_back("At +" + FormatNumber(options.scenarios[i]) + " % driver per week, " +
                              ResourceTitle(r) + " reaches " + PercentOrValue(r.limit, r.unit) +
                              " in " + FormatNumber(std::round(10 * r.scenario_days[i]) / 10) + " days.");
        }
      }
      scenario_table.rows.push_back(std::move(row));
    }
    if (charts[r.resource]++ < kChartsPerResource) {
      ReportChart chart;
      chart.title = "Runway: " + ResourceTitle(r);
      chart.unit = r.unit;
      chart.threshold = has_limit ? r.limit : kNaN;
      chart.lines.push_back({"usage", r.forecast.history});
      chart.lines.push_back({"forecast", r.forecast.predicted});
      chart.bands.push_back(
          {FormatNumber(100 * r.forecast.interval) + "% interval", r.forecast.lower, r.forecast.upper});
      if (r.runway.at && !r.runway.exhausted_now) {
        chart.markers.push_back({*r.runway.at, "limit reached"});
      }
      section.blocks.push_back(std::move(chart));
    }
    nlohmann::json item = {{"resource", r.resource},
                           {"labels", nlohmann::json::object()},
                           {"limit", has_limit ? nlohmann::json(r.limit) : nlohmann::json(nullptr)},
                           {"unit", r.unit},
                           {"current", r.runway.current},
                           {"exhausted_now", r.runway.exhausted_now},
                           {"exhaustion", TimeOrNull(r.runway.at)},
                           {"earliest", TimeOrNull(r.runway.earliest)},
                           {"latest", TimeOrNull(r.runway.latest)},
                           {"confidence", r.runway.confidence},
                           {"model", r.forecast.model},
                           {"backtest_mape_percent", r.forecast.mape},
                           {"backtest_coverage", r.forecast.coverage},
                           {"driver_slope", r.driver_fit.slope},
                           {"driver_intercept", r.driver_fit.intercept},
                           {"driver_correlation", r.driver_fit.correlation},
                           {"driver_base", r.driver_base},
                           {"scenario_days", r.scenario_days}};
    item["labels"] = LabelsJson(r.forecast.labels);
    data.push_back(std::move(item));
  }

  std::vector<ReportBlock> head;
  head.push_back(ReportParagraph{
      "When each resource reaches its limit if it keeps following its Holt-Winters forecast (" +
      FormatSpan(options.horizon.count()) + " ahead), and under growth of the driver (" + options.driver +
      ")."});
  if (!findings.findings.empty()) head.push_back(std::move(findings));
  if (!runway_table.rows.empty()) {
    head.push_back(std::move(runway_table));
  } else {
    head.push_back(ReportParagraph{"No resource series had enough history for a runway."});
  }
  for (const std::string& s : sentences) head.push_back(ReportParagraph{s});
  if (!scenario_table.rows.empty()) head.push_back(std::move(scenario_table));
  for (const std::string& e : errors) head.push_back(ReportParagraph{"Query failed for " + e});
  section.blocks.insert(section.blocks.begin(), std::make_move_iterator(head.begin()),
                        std::make_move_iterator(head.end()));
  section.data = {{"runways", std::move(data)},
                  {"scenarios_percent_per_week", options.scenarios},
                  {"driver", options.driver},
                  {"horizon_seconds", options.horizon.count() / 1000},
                  {"warn_within_seconds", options.warn_within.count() / 1000},
                  {"critical_within_seconds", options.critical_within.count() / 1000}};
  section.notes = {
      "The limit is reached when the point forecast crosses it (interpolated between " +
          FormatSpan(forecast_options.step.count()) +
          " steps); earliest and latest are where the "
          "interval's upper and lower bounds cross it.",
      "Confidence: the largest probability, over the next " + warn +
          ", that usage is at or over the limit under the forecast's normal predictive "
          "distribution.",
      "Forecasts: Holt-Winters fitted to " + FormatSpan(forecast_options.history.count()) +
          " of history; a trend is extrapolated as it is now, so step changes (a cleanup, a "
          "resize) reset the runway.",
      "Growth scenarios: usage regressed on the driver with Theil-Sen (median of pairwise "
      "slopes), assumed linear; the driver grows from its 95th percentile over the last week, "
      "compounding weekly; seasonality of usage beyond the driver's is not modelled. Sentences "
      "are written only where Spearman's rho of usage and driver is at least 0.5.",
      "Resources without a limit (ao_throughput_per_player by default) show their forecast and "
      "regression only."};
  return section;
}

}  // namespace metricsd::analytics
