#include "daemon/analytics/impact.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <exception>
#include <functional>
#include <map>
#include <utility>

#include "daemon/analytics/analytics_db.h"
#include "daemon/analytics/bootstrap.h"
#include "daemon/analytics/report_text.h"
#include "daemon/analytics/robust_stats.h"

namespace metricsd::analytics {
namespace {

namespace promql = query::promql;

std::int64_t Ms(Duration d) { return static_cast<std::int64_t>(d.count()); }

// The values of `points` with before_start <= t < before_end and after_start <= t <= after_end.
void Split(std::span<const promql::Point> points, const ImpactWindows& w, std::vector<double>& before,
           std::vector<double>& after) {
  before.clear();
  after.clear();
  for (const promql::Point& p : points) {
    if (!std::isfinite(p.v)) continue;
    if (p.t >= w.before_start && p.t < w.before_end) before.push_back(p.v);
    if (p.t >= w.after_start && p.t <= w.after_end) after.push_back(p.v);
  }
}

// The range both windows need, or false when the after window has not begun.
bool QueryRange(const ImpactWindows& w, Timestamp* start, Timestamp* end) {
  *start = w.before_start;
  *end = w.after_end;
  return w.after_end >= w.after_start;
}

// Per step, `combine` over the series' values there (the matrix's timestamps are the query's
// steps, shared by every series).
std::vector<promql::Point> Combine(const promql::Matrix& matrix,
                                   const std::function<double(std::span<const double>)>& combine) {
  std::map<Timestamp, std::vector<double>> by_time;
  for (const promql::Series& series : matrix) {
    for (const promql::Point& p : series.points) {
      if (std::isfinite(p.v)) by_time[p.t].push_back(p.v);
    }
  }
  std::vector<promql::Point> out;
  out.reserve(by_time.size());
  for (const auto& [t, values] : by_time) out.push_back({t, combine(values)});
  return out;
}

double Sum(std::span<const double> values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum;
}

std::uint64_t SeedFor(std::int64_t annotation_id, const std::string& name) {
  // FNV-1a: a stable seed per (annotation, watch or series), so a report is reproducible.
  std::uint64_t hash = 14695981039346656037ull ^ static_cast<std::uint64_t>(annotation_id);
  for (char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return hash;
}

nlohmann::json ComparisonToJson(const Comparison& c) {
  return {{"before_median", NumberOrNull(c.before_median)},
          {"after_median", NumberOrNull(c.after_median)},
          {"change_percent", NumberOrNull(c.change_percent)},
          {"change_ci", {NumberOrNull(c.change_low), NumberOrNull(c.change_high)}},
          {"difference_ci", {NumberOrNull(c.difference_low), NumberOrNull(c.difference_high)}},
          {"verdict", c.verdict},
          {"before_points", c.before_points},
          {"after_points", c.after_points}};
}

}  // namespace

ImpactWindows WindowsFor(const Annotation& annotation, const ImpactOptions& options, Timestamp now) {
  ImpactWindows w;
  w.before_end = annotation.time;
  w.before_start = annotation.time - Ms(options.before);
  w.after_start = std::max(annotation.time_end, annotation.time) + Ms(options.settle);
  const Timestamp full_end = w.after_start + Ms(options.after);
  w.after_end = std::min(full_end, now);
  w.after_complete = full_end <= now;
  return w;
}

Comparison CompareWindows(std::span<const double> before, std::span<const double> after, bool higher_is_worse,
                          const ImpactOptions& options, std::uint64_t seed) {
  Comparison c;
  BootstrapOptions bootstrap;
  bootstrap.resamples = options.resamples;
  bootstrap.confidence = options.confidence;
  bootstrap.seed = seed;
  bootstrap.block = DefaultBlockLength(std::min(before.size(), after.size()));
  const BootstrapResult r = BootstrapChange(before, after, bootstrap);
  c.before_points = static_cast<std::size_t>(std::count_if(before.begin(), before.end(), [](double v) { return std::isfinite(v); }));
  c.after_points = static_cast<std::size_t>(std::count_if(after.begin(), after.end(), [](double v) { return std::isfinite(v); }));
  if (!r.valid()) return c;
  c.before_median = r.before;
  c.after_median = r.after;
  c.change_percent = (r.ratio - 1) * 100;
  c.change_low = (r.ratio_low - 1) * 100;
  c.change_high = (r.ratio_high - 1) * 100;
  c.difference_low = r.difference_low;
  c.difference_high = r.difference_high;
  const auto min_points = static_cast<std::size_t>(std::max<std::int64_t>(1, options.min_points));
  if (c.before_points < min_points || c.after_points < min_points) {
    c.verdict = kInsufficient;
  } else if (!r.significant() || (std::isfinite(c.change_percent) && std::fabs(c.change_percent) < options.min_change)) {
    c.verdict = kNoChange;
  } else {
    const bool higher = r.difference > 0;
    c.verdict = higher == higher_is_worse ? kWorse : kImproved;
  }
  return c;
}

WindowMedians SummedWindowMedians(QueryEngine& engine, const std::string& expr, const ImpactWindows& windows,
                                  std::int64_t step_ms) {
  WindowMedians out;
  Timestamp start = 0, end = 0;
  if (expr.empty() || !QueryRange(windows, &start, &end)) return out;
  promql::QueryResult result = engine.Range(expr, start, end, step_ms);
  if (!result.ok()) {
    out.error = result.error;
    return out;
  }
  const auto* matrix = std::get_if<promql::Matrix>(&result.value);
  if (matrix == nullptr) return out;
  const std::vector<promql::Point> sums = Combine(*matrix, Sum);
  std::vector<double> before, after;
  Split(sums, windows, before, after);
  out.before = Median(before);
  out.after = Median(after);
  return out;
}

ImpactResult ComputeImpact(const AnalysisContext& context, const Annotation& annotation) {
  const ImpactOptions& options = context.config.impact;
  ImpactResult result;
  result.annotation = annotation;
  result.windows = WindowsFor(annotation, options, context.now);
  result.computed_at = context.now;
  Timestamp start = 0, end = 0;
  const bool after_begun = QueryRange(result.windows, &start, &end);
  const std::int64_t step = std::max<std::int64_t>(1000, Ms(options.step));
  std::vector<double> before, after;
  for (const Watch& watch : context.config.watches) {
    WatchImpact impact;
    impact.watch = watch.name;
    impact.unit = watch.unit;
    impact.higher_is_worse = watch.higher_is_worse();
    if (!after_begun) {
      result.watches.push_back(std::move(impact));
      continue;
    }
    promql::QueryResult query = context.engine.Range(watch.expr, start, end, step);
    if (!query.ok()) {
      impact.error = query.error;
      result.watches.push_back(std::move(impact));
      continue;
    }
    const auto* matrix = std::get_if<promql::Matrix>(&query.value);
    if (matrix == nullptr || matrix->empty()) {
      result.watches.push_back(std::move(impact));
      continue;
    }
    impact.aggregate_points = Combine(*matrix, [](std::span<const double> v) { return Median(v); });
    Split(impact.aggregate_points, result.windows, before, after);
    impact.aggregate =
        CompareWindows(before, after, impact.higher_is_worse, options, SeedFor(annotation.id, watch.name));
    // Every series' medians first (cheap), then the bootstrap for the largest changes only:
    // a watch may have thousands of series.
    struct Candidate {
      const promql::Series* series;
      double rank;
    };
    std::vector<Candidate> candidates;
    for (const promql::Series& series : *matrix) {
      Split(series.points, result.windows, before, after);
      const double b = Median(before), a = Median(after);
      double rank = b != 0 ? std::fabs(a / b - 1) : std::fabs(a - b);
      if (!std::isfinite(rank)) rank = -1;  // a window without data: listed last
      candidates.push_back({&series, rank});
    }
    impact.series_total = candidates.size();
    const auto keep = std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(options.max_series));
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep), candidates.end(),
                      [](const Candidate& x, const Candidate& y) { return x.rank > y.rank; });
    ImpactOptions series_options = options;
    series_options.resamples = std::min(options.resamples, kSeriesResamples);
    for (std::size_t i = 0; i < keep; ++i) {
      const promql::Series& series = *candidates[i].series;
      Split(series.points, result.windows, before, after);
      WatchImpact::SeriesImpact row;
      row.labels = promql::LabelsToString(promql::DropMetricName(series.labels));
      row.comparison =
          CompareWindows(before, after, impact.higher_is_worse, series_options, SeedFor(annotation.id, watch.name + row.labels));
      impact.series.push_back(std::move(row));
    }
    result.watches.push_back(std::move(impact));
  }
  return result;
}

nlohmann::json ImpactToJson(const ImpactResult& result) {
  nlohmann::json watches = nlohmann::json::array();
  for (const WatchImpact& w : result.watches) {
    nlohmann::json j = ComparisonToJson(w.aggregate);
    j["watch"] = w.watch;
    j["unit"] = w.unit;
    j["direction"] = w.higher_is_worse ? "higher_is_worse" : "lower_is_worse";
    j["series_total"] = w.series_total;
    nlohmann::json series = nlohmann::json::array();
    for (const auto& s : w.series) {
      nlohmann::json row = ComparisonToJson(s.comparison);
      row["labels"] = s.labels;
      series.push_back(std::move(row));
    }
    j["series"] = std::move(series);
    if (!w.error.empty()) j["error"] = w.error;
    watches.push_back(std::move(j));
  }
  const ImpactWindows& win = result.windows;
  return {{"annotation", AnnotationToJson(result.annotation)},
          {"computed_at", result.computed_at},
          {"windows",
           {{"before", {win.before_start, win.before_end}},
            {"after", {win.after_start, win.after_end}},
            {"after_complete", win.after_complete}}},
          {"watches", std::move(watches)}};
}

nlohmann::json ImpactOf(const AnalysisContext& context, const Annotation& annotation) {
  nlohmann::json json = ImpactToJson(ComputeImpact(context, annotation));
  if (context.db != nullptr && annotation.id != 0) {
    try {
      context.db->PutImpact(annotation.id, context.now, json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } catch (const std::exception& e) {
      json["store_error"] = e.what();
    }
  }
  return json;
}

bool SectionAnnotations(const AnalysisContext& context, const std::string& tag, std::int64_t max,
                        ReportSection& section, std::vector<Annotation>* out) {
  if (context.db == nullptr) {
    section.blocks.push_back(ReportParagraph{"No analytics database (history is off or a remote-only report): "
                                             "annotations are not available."});
    return false;
  }
  try {
    std::vector<std::string> tags;
    if (!tag.empty()) tags.push_back(tag);
    *out = context.db->Annotations(context.start, context.end, tags, static_cast<std::size_t>(max));
  } catch (const std::exception& e) {
    section.error = e.what();
    return false;
  }
  if (out->empty()) {
    section.blocks.push_back(ReportParagraph{
        "No " + (tag.empty() ? std::string("annotations") : "annotations tagged \"" + tag + "\"") +
        " between " + FormatTimeUtc(context.start) + " and " + FormatTimeUtc(context.end) + "."});
    return false;
  }
  std::reverse(out->begin(), out->end());  // oldest first reads as a story
  return true;
}

ReportSection BuildImpactSection(const AnalysisContext& context) {
  const ImpactOptions& options = context.config.impact;
  ReportSection section;
  section.id = "impact";
  section.title = "Impact of annotated changes";
  section.notes = {
      "Each watch is compared over " + FormatDuration(options.before) + " before an annotation and " +
          FormatDuration(options.after) + " after its end, skipping " + FormatDuration(options.settle) +
          " after it (settling), at a " + FormatDuration(options.step) + " step.",
      "Medians are compared; the interval is a " + FormatNumber(options.confidence * 100) +
          " % moving-block bootstrap (" + std::to_string(options.resamples) +
          " resamples, blocks of about n^(1/3) steps for autocorrelation).",
      "A change counts when its interval excludes zero and it is at least " + FormatNumber(options.min_change) +
          " %; improved or worse follows each watch's direction.",
      "Everything else that changed between the windows (load, other deploys, seasonality that "
      "differs between them) is attributed to the annotation.",
  };
  section.data = nlohmann::json::array();
  std::vector<Annotation> annotations;
  if (!SectionAnnotations(context, "", options.max_annotations, section, &annotations)) return section;
  for (const Annotation& annotation : annotations) {
    const ImpactResult result = ComputeImpact(context, annotation);
    nlohmann::json json = ImpactToJson(result);
    if (annotation.id != 0) {
      try {
        context.db->PutImpact(annotation.id, context.now, json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      } catch (const std::exception& e) {
        json["store_error"] = e.what();
      }
    }
    section.data.push_back(std::move(json));

    std::string tags;
    for (const std::string& tag : annotation.tags) tags += (tags.empty() ? " [" : ", ") + tag;
    if (!tags.empty()) tags += "]";
    std::string heading = FormatTimeUtc(annotation.time) + ": " + (annotation.text.empty() ? "(no text)" : annotation.text) + tags;
    if (!result.windows.after_complete) {
      heading += " (the after window is not over yet: " + FormatTimeUtc(result.windows.after_end) + " so far)";
    }
    section.blocks.push_back(ReportParagraph{heading});

    ReportTable table;
    table.columns = {"Watch", "Before (median)", "After (median)", "Change", "Interval", "Verdict"};
    const WatchImpact* chart_watch = nullptr;
    double chart_rank = -1;
    for (const WatchImpact& w : result.watches) {
      const Comparison& c = w.aggregate;
      if (!w.error.empty()) {
        table.rows.push_back({w.watch, "", "", "", "", "query failed: " + w.error});
        continue;
      }
      table.rows.push_back({w.watch, FormatNumber(c.before_median) + " " + w.unit,
                            FormatNumber(c.after_median) + " " + w.unit, FormatSignedPercent(c.change_percent),
                            FormatSignedPercent(c.change_low) + " .. " + FormatSignedPercent(c.change_high), c.verdict});
      // The chart shows the watch that changed most (significant changes first).
      const double significant = c.verdict == kImproved || c.verdict == kWorse ? 1e9 : 0;
      const double rank = std::isfinite(c.change_percent) ? significant + std::fabs(c.change_percent) : -0.5;
      if (!w.aggregate_points.empty() && rank > chart_rank) {
        chart_rank = rank;
        chart_watch = &w;
      }
    }
    section.blocks.push_back(std::move(table));
    if (chart_watch != nullptr) {
      ReportChart chart;
      chart.title = chart_watch->watch + " around the annotation (median across series)";
      chart.unit = chart_watch->unit;
      chart.lines.push_back({chart_watch->watch, chart_watch->aggregate_points});
      chart.markers.push_back({annotation.time, annotation.text.empty() ? "annotation" : annotation.text});
      if (result.windows.after_start != annotation.time) {
        chart.markers.push_back({result.windows.after_start, "after window starts"});
      }
      section.blocks.push_back(std::move(chart));
    }
  }
  return section;
}

}  // namespace metricsd::analytics
