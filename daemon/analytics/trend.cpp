#include "daemon/analytics/trend.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <utility>

#include "daemon/analytics/report_text.h"
#include "daemon/analytics/robust_stats.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {

using query::promql::Labels;
using query::promql::Point;
using query::promql::Timestamp;

constexpr double kSecondsPerDay = 86400;
// Rows per watch in the report's table, series per chart: the worst first.
constexpr std::size_t kMaxTrendRows = 20;
constexpr std::size_t kMaxChartSeries = 5;

// Tables show a missing number as "-" with three digits (report_text's FormatNumber).

// The ETA is in seconds and NaN when there is none; tables show that as "-".
std::string Utc(double unix_seconds) {
  return std::isfinite(unix_seconds) ? FormatTimeUtc(std::llround(unix_seconds * 1000)) : "-";
}

std::string SeriesName(const Labels& labels) {
  const Labels shown = query::promql::DropMetricName(labels);
  return shown.empty() ? "{}" : query::promql::LabelsToString(shown);
}

struct SeriesTrend {
  Labels labels;
  std::vector<Point> points;
  TrendAssessment assessment;
};

struct WatchTrends {
  const Watch* watch = nullptr;
  std::string error;
  std::vector<SeriesTrend> series;
};

// Each watch's series over [end - range, end], assessed at `end`.
std::vector<WatchTrends> AnalyzeTrends(const AnalysisContext& context, Timestamp end) {
  const TrendOptions& options = context.config.trends;
  const Timestamp start = end - options.range.count();
  std::vector<WatchTrends> out;
  for (const Watch& watch : context.config.watches) {
    WatchTrends trends;
    trends.watch = &watch;
    promql::QueryResult result = context.engine.Range(watch.expr, start, end, options.step.count());
    auto* matrix = std::get_if<promql::Matrix>(&result.value);
    if (!result.ok()) {
      trends.error = result.error;
    } else if (matrix == nullptr) {
      trends.error = "the expression did not give a range of series";
    } else {
      for (promql::Series& series : *matrix) {
        SeriesTrend item;
        item.assessment = AssessTrend(series.points, watch, options, end);
        item.labels = query::promql::DropMetricName(std::move(series.labels));
        item.points = std::move(series.points);
        trends.series.push_back(std::move(item));
      }
      // Findings first, then the most worsening.
      std::stable_sort(trends.series.begin(), trends.series.end(),
                       [](const SeriesTrend& a, const SeriesTrend& b) {
                         if (a.assessment.degradation != b.assessment.degradation) {
                           return a.assessment.degradation;
                         }
                         const double x = a.assessment.change_percent_per_day;
                         const double y = b.assessment.change_percent_per_day;
                         return (std::isnan(y) ? -HUGE_VAL : y) < (std::isnan(x) ? -HUGE_VAL : x);
                       });
    }
    out.push_back(std::move(trends));
  }
  return out;
}

}  // namespace

TrendAssessment AssessTrend(std::span<const Point> points, const Watch& watch,
                            const TrendOptions& options, Timestamp now) {
  TrendAssessment a;
  // Mann-Kendall is O(n^2) too: capped like Theil-Sen, by run medians.
  const std::vector<Point> tested =
      DownsampleMedians(BucketMedians(points, options.test_bucket.count()), kTheilSenMaxPoints);
  std::vector<double> values;
  values.reserve(tested.size());
  for (const Point& p : tested) values.push_back(p.v);
  if (tested.size() < kTrendMinPoints) {
    a.reason = "too few points (" + std::to_string(tested.size()) + ")";
    return a;
  }
  a.test = MannKendall(values);
  a.fit = TheilSenSeries(points, 1 - 2 * options.alpha);
  a.median = Median(FiniteValues(points));
  if (!a.fit.ok()) {
    a.reason = "no slope";
    return a;
  }
  const bool higher_is_worse = watch.higher_is_worse();
  const double sign = higher_is_worse ? 1.0 : -1.0;
  a.level = FittedAt(a.fit, now);
  a.slope_per_day = a.fit.slope * kSecondsPerDay;
  Timestamp first = 0, last = 0;
  bool any = false;
  for (const Point& p : points) {
    if (!std::isfinite(p.v)) continue;
    if (!any) first = p.t;
    last = p.t;
    any = true;
  }
  const double span_days = static_cast<double>(last - first) / 1000.0 / kSecondsPerDay;
  if (a.median != 0 && std::isfinite(a.median)) {
    a.change_percent_per_day = sign * a.slope_per_day / std::fabs(a.median) * 100;
    a.change_percent_range = a.change_percent_per_day * span_days;
  }
  a.p = a.test.p(higher_is_worse);
  a.significant = a.p < options.alpha && sign * a.fit.slope > 0;

  if (std::isfinite(watch.threshold)) {
    a.crossed = higher_is_worse ? a.level >= watch.threshold : a.level <= watch.threshold;
    if (!a.crossed && sign * a.fit.slope > 0) {
      a.eta = static_cast<double>(now) / 1000.0 + (watch.threshold - a.level) / a.fit.slope;
    }
    const double horizon_end = static_cast<double>(now + options.horizon.count()) / 1000.0;
    if (!a.significant) {
      a.reason = "not significant";
    } else if (a.crossed) {
      a.reason = "already past the threshold";
    } else if (!(a.eta <= horizon_end)) {
      a.reason = "crosses the threshold after the horizon";
    } else {
      a.degradation = true;
      a.reason = "crosses the threshold within the horizon";
    }
  } else if (!a.significant) {
    a.reason = "not significant";
  } else if (!(a.change_percent_range >= options.min_change)) {
    a.reason = "change below min_change";
  } else {
    a.degradation = true;
    a.reason = "significant change above min_change";
  }
  return a;
}

Finding TrendFinding(const TrendAssessment& a, const Watch& watch, const Labels& labels,
                     Timestamp start, Timestamp now) {
  Finding f;
  f.kind = "degradation";
  f.watch = watch.name;
  f.labels = query::promql::DropMetricName(labels);
  f.start = start;
  f.detected = now;
  f.magnitude = a.change_percent_per_day;
  f.confidence = std::isfinite(a.p) ? 1 - a.p : kNaN;
  const bool threshold = std::isfinite(watch.threshold);
  f.severity = threshold ? "warning" : "info";
  std::string summary = watch.name + " " + SeriesName(labels) + " " +
                        (a.fit.slope > 0 ? "rises" : "falls") + " by " +
                        FormatOrDash(std::fabs(a.slope_per_day)) + " " + watch.unit + " per day (" +
                        FormatOrDash(a.change_percent_per_day) + " % of its median per day, worse; " +
                        "Mann-Kendall p=" + FormatOrDash(a.p, 2) + ")";
  if (threshold) {
    const double days = (a.eta - static_cast<double>(now) / 1000.0) / kSecondsPerDay;
    summary += "; the fitted line reaches the threshold " + FormatOrDash(watch.threshold) + " " +
               watch.unit + " in " + FormatOrDash(days, 2) + " days (" + Utc(a.eta) + ")";
  } else {
    summary += "; " + FormatOrDash(a.change_percent_range) + " % over the range";
  }
  f.summary = summary;
  f.details = {{"slope_per_day", NumberOrNull(a.slope_per_day)},
               {"slope_per_day_lower", NumberOrNull(a.fit.slope_lower * kSecondsPerDay)},
               {"slope_per_day_upper", NumberOrNull(a.fit.slope_upper * kSecondsPerDay)},
               {"slope_confidence", NumberOrNull(a.fit.confidence)},
               {"change_percent_per_day", NumberOrNull(a.change_percent_per_day)},
               {"change_percent_range", NumberOrNull(a.change_percent_range)},
               {"tau", NumberOrNull(a.test.tau)},
               {"s", a.test.s},
               {"z", NumberOrNull(a.test.z)},
               {"p", NumberOrNull(a.p)},
               {"n", a.test.n},
               {"level", NumberOrNull(a.level)},
               {"median", NumberOrNull(a.median)},
               {"threshold", NumberOrNull(watch.threshold)},
               {"eta", NumberOrNull(a.eta)},
               {"unit", watch.unit}};
  return f;
}

std::vector<Finding> DetectTrends(const AnalysisContext& context) {
  const std::vector<WatchTrends> analysed = AnalyzeTrends(context, context.now);
  const Timestamp start = context.now - context.config.trends.range.count();
  std::vector<Finding> findings;
  std::string first_error;
  std::size_t failed = 0;
  for (const WatchTrends& trends : analysed) {
    if (!trends.error.empty()) {
      ++failed;
      if (first_error.empty()) first_error = trends.watch->name + ": " + trends.error;
      continue;
    }
    for (const SeriesTrend& series : trends.series) {
      if (!series.assessment.degradation) continue;
      findings.push_back(
          TrendFinding(series.assessment, *trends.watch, series.labels, start, context.now));
    }
  }
  if (failed > 0 && failed == analysed.size()) throw std::runtime_error(first_error);
  return findings;
}

ReportSection BuildTrendsSection(const AnalysisContext& context) {
  const TrendOptions& options = context.config.trends;
  const Timestamp end = context.end;
  const Timestamp start = end - options.range.count();
  ReportSection section;
  section.id = "trends";
  section.title = "Trends and gradual degradation";
  const std::vector<WatchTrends> analysed = AnalyzeTrends(context, end);

  section.blocks.push_back(ReportParagraph{
      "Each watch's series over the " + FormatDuration(options.range) + " before " +
      Utc(static_cast<double>(end) / 1000) + " at a " + FormatDuration(options.step) +
      " step: Theil-Sen slope, Mann-Kendall test (one-sided in the worse direction, alpha " +
      FormatOrDash(options.alpha) +
      "), and when the watch has a threshold the time the fitted line "
      "reaches it (findings: within " +
      FormatDuration(options.horizon) + ")."});

  ReportFindings findings;
  nlohmann::json watches = nlohmann::json::array();
  std::size_t failed = 0;
  for (const WatchTrends& trends : analysed) {
    const Watch& watch = *trends.watch;
    nlohmann::json watch_data = {{"watch", watch.name},
                                 {"unit", watch.unit},
                                 {"threshold", NumberOrNull(watch.threshold)},
                                 {"direction", std::string(kDirectionNames.Name(watch.direction))}};
    if (!trends.error.empty()) {
      ++failed;
      watch_data["error"] = trends.error;
      watches.push_back(std::move(watch_data));
      section.blocks.push_back(ReportParagraph{watch.name + ": the query failed: " + trends.error});
      continue;
    }
    ReportTable table;
    table.columns = {"series",
                     "slope/day (" + watch.unit + ")",
                     "change %/day (worse +)",
                     "tau",
                     "p",
                     "threshold ETA",
                     "verdict"};
    ReportChart chart;
    chart.title = watch.name + ": data and Theil-Sen lines";
    chart.unit = watch.unit;
    chart.threshold = watch.threshold;
    nlohmann::json series_data = nlohmann::json::array();
    for (std::size_t i = 0; i < trends.series.size(); ++i) {
      const SeriesTrend& s = trends.series[i];
      const TrendAssessment& a = s.assessment;
      const std::string name = SeriesName(s.labels);
      if (a.degradation) findings.findings.push_back(TrendFinding(a, watch, s.labels, start, end));
      series_data.push_back({{"labels", name},
                             {"slope_per_day", NumberOrNull(a.slope_per_day)},
                             {"change_percent_per_day", NumberOrNull(a.change_percent_per_day)},
                             {"tau", NumberOrNull(a.test.tau)},
                             {"p", NumberOrNull(a.p)},
                             {"eta", NumberOrNull(a.eta)},
                             {"level", NumberOrNull(a.level)},
                             {"degradation", a.degradation},
                             {"reason", a.reason}});
      if (i < kMaxTrendRows) {
        table.rows.push_back({name, FormatOrDash(a.slope_per_day), FormatOrDash(a.change_percent_per_day),
                              FormatOrDash(a.test.tau, 2), FormatOrDash(a.p, 2), Utc(a.eta),
                              (a.degradation ? "DEGRADATION: " : "") + a.reason});
      }
      if (i < kMaxChartSeries) {
        chart.lines.push_back({name, s.points});
        if (a.fit.ok()) {
          // The fitted line over the range, projected to the crossing when that is a finding.
          Timestamp to = end;
          if (a.degradation && std::isfinite(a.eta)) {
            to = static_cast<Timestamp>(a.eta * 1000);
          }
          chart.lines.push_back(
              {name + " fit", {{start, FittedAt(a.fit, start)}, {to, FittedAt(a.fit, to)}}});
        }
      }
    }
    watch_data["series"] = std::move(series_data);
    watches.push_back(std::move(watch_data));
    if (trends.series.empty()) {
      section.blocks.push_back(ReportParagraph{watch.name + ": no series in the range."});
      continue;
    }
    section.blocks.push_back(ReportParagraph{
        watch.name + " (" + std::to_string(trends.series.size()) + " series" +
        (trends.series.size() > kMaxTrendRows ? ", the worst " + std::to_string(kMaxTrendRows) + " shown"
                                         : "") +
        ")"});
    section.blocks.push_back(std::move(table));
    section.blocks.push_back(std::move(chart));
  }
  if (!findings.findings.empty()) {
    section.blocks.insert(section.blocks.begin() + 1, std::move(findings));
  }
  if (failed > 0 && failed == analysed.size()) section.error = "every watch's query failed";
  section.data = {{"range_seconds", options.range.count() / 1000},
                  {"step_seconds", options.step.count() / 1000},
                  {"alpha", options.alpha},
                  {"horizon_seconds", options.horizon.count() / 1000},
                  {"min_change_percent", options.min_change},
                  {"watches", std::move(watches)}};
  section.notes = {
      "Slope: Theil-Sen (median of pairwise slopes), robust to outliers; its interval is Sen's "
      "rank-based one at 1 - 2 alpha. Above 2,000 points the series is reduced to 2,000 run "
      "medians first (for the test too).",
      "Significance: Mann-Kendall, one-sided in the watch's worse direction, normal "
      "approximation with tie and continuity corrections; series with fewer than 10 points "
      "are not judged.",
      "Serial correlation makes Mann-Kendall too eager; values are one per step (" +
          FormatDuration(options.step) + ")" +
          (options.test_bucket.count() > 0
               ? ", tested as medians of " + FormatDuration(options.test_bucket) + " buckets"
               : "") +
          ", which thins it but does not remove it.",
      "Mann-Kendall detects any monotonic change: a single step (a regression) also shows as "
      "a trend here; the regressions section tells the two apart.",
      "Change in percent is relative to the series' median over the range, per day; positive "
      "is worse for the watch's direction.",
      "The ETA extrapolates the fitted straight line; growth that accelerates arrives sooner, "
      "growth that saturates later or never.",
      "Without a threshold a watch's series is reported when its change over the range is at "
      "least " +
          FormatOrDash(options.min_change) + " % of its median.",
      "Each value is the expression at that instant (its own windows such as rate()[5m] "
      "smooth it); gaps are skipped."};
  return section;
}

}  // namespace metricsd::analytics
