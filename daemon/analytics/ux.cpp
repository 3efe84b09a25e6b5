#include "daemon/analytics/ux.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "daemon/analytics/apdex.h"
#include "daemon/analytics/correlation.h"
#include "daemon/analytics/frame_smoothness.h"
#include "daemon/analytics/industry_references.h"
#include "daemon/analytics/report_text.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {
namespace {

std::string Fixed(double value, const char* format) {
  if (std::isnan(value)) return "n/a";
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// The label names a watch's expression groups by (its result's labels): Apdex groups the
// histogram the same way, so a row matches a row of the watch.
std::vector<std::string> WatchLabels(QueryEngine& engine, const Watch& watch, Timestamp at) {
  std::set<std::string> names;
  promql::QueryResult result = engine.Instant(watch.expr, at);
  if (const auto* vector = std::get_if<promql::Vector>(&result.value); result.ok() && vector) {
    for (const promql::Sample& sample : *vector) {
      for (const promql::Label& label : sample.labels) {
        if (label.name != promql::kMetricName && label.name != "le") names.insert(label.name);
      }
    }
  }
  return {names.begin(), names.end()};
}

// The report range's start; a context without one (start 0 or not before end) gets the last
// `fallback_ms`, so a bare evaluation never asks for everything since 1970.
Timestamp RangeStart(const AnalysisContext& context, Timestamp end, std::int64_t fallback_ms) {
  return context.start > 0 && context.start < end ? context.start : end - fallback_ms;
}

constexpr std::size_t kUxChartLines = 3;  // series drawn per watch: the lowest Apdex

// Apdex per step of the watch's `worst` series (lowest overall score first).
ReportChart ApdexChart(QueryEngine& engine, const Watch& watch, const std::vector<std::string>& by,
                       double t, std::vector<std::pair<double, promql::Labels>> worst,
                       Timestamp start, Timestamp end, std::int64_t step_ms) {
  ReportChart chart;
  chart.title = "Apdex of " + watch.name + " per " + FormatDuration(Duration(step_ms)) +
                " (T = " + FormatQuantity(t, "seconds") + ")";
  chart.unit = "apdex";
  chart.threshold = 0.85;  // the lower edge of Apdex's "good" band
  if (worst.empty() || end - start <= step_ms) return chart;
  std::sort(worst.begin(), worst.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  if (worst.size() > kUxChartLines) worst.resize(kUxChartLines);
  BucketRangeQuery steps =
      QueryBucketSteps(engine, watch.histogram, by, start + step_ms, end, step_ms);
  for (const auto& [score, labels] : worst) {
    for (const BucketSteps& series : steps.series) {
      if (series.labels != labels) continue;
      ReportChart::Line line{LabelPairs(labels), {}};
      for (const auto& [at, buckets] : series.steps) {
        line.points.push_back({at, ApdexFromBuckets(buckets, t)});  // NaN: no requests, a gap
      }
      chart.lines.push_back(std::move(line));
    }
  }
  return chart;
}

}  // namespace

double ApdexTFor(const Watch& watch, const UxOptions& options, std::string* origin) {
  auto say = [&](std::string text) {
    if (origin != nullptr) *origin = std::move(text);
  };
  if (std::isfinite(watch.apdex_t) && watch.apdex_t > 0) {
    say("watch");
    return watch.apdex_t;
  }
  if (!watch.reference.empty()) {
    if (const Reference* reference = FindReference(watch.reference)) {
      double t = ConvertUnit(reference->good, reference->unit, "seconds");
      if (std::isfinite(t) && t > 0 && reference->direction == Direction::kHigherIsWorse) {
        say("reference " + std::string(reference->id));
        return t;
      }
    }
  }
  say("ux.apdex_t");
  return options.apdex_t;
}

ReportSection BuildUxSection(const AnalysisContext& context) {
  ReportSection section;
  section.id = "ux";
  section.title = "User experience";
  const UxOptions& options = context.config.ux;
  const Timestamp end = context.end > 0 ? context.end : context.now;
  const std::int64_t window_ms = options.window.count() > 0
                                     ? options.window.count()
                                     : end - RangeStart(context, end, 3'600'000);
  std::vector<std::string> errors;
  bool any_interpolated = false, any_beyond = false;

  // Apdex, one row per series of each watch with a histogram.
  ReportTable apdex_table;
  apdex_table.columns = {"watch",      "series",     "T",        "Apdex", "band",
                         "satisfied",  "tolerating", "frustrated", "observations"};
  section.data["window_seconds"] = static_cast<double>(window_ms) / 1000;
  section.data["apdex"] = nlohmann::json::array();
  std::vector<ReportChart> charts;
  const std::int64_t chart_step = std::max<std::int64_t>(window_ms / 120, options.step.count());
  for (const Watch& watch : context.config.watches) {
    if (watch.histogram.empty()) continue;
    std::string origin;
    const double t = ApdexTFor(watch, options, &origin);
    const std::vector<std::string> by = WatchLabels(context.engine, watch, end);
    BucketQuery buckets = QueryBuckets(context.engine, watch.histogram, by, window_ms, end);
    if (!buckets.error.empty()) {
      errors.push_back(watch.name + ": " + buckets.error);
      continue;
    }
    std::vector<std::pair<double, promql::Labels>> worst;  // (score, series) for the chart
    for (const BucketSeries& series : buckets.series) {
      Apdex apdex = ComputeApdex(series.buckets, t);
      if (!(apdex.total > 0)) continue;
      worst.emplace_back(apdex.score, series.labels);
      any_interpolated = any_interpolated || apdex.interpolated;
      any_beyond = any_beyond || apdex.beyond;
      const double frustrated = apdex.total - apdex.satisfied - apdex.tolerating;
      std::string mark = apdex.interpolated ? " *" : "";
      apdex_table.rows.push_back(
          {watch.name, LabelPairs(series.labels), FormatQuantity(t, "seconds"),
           Fixed(apdex.score, "%.3f") + mark, std::string(ApdexBand(apdex.score)),
           FormatQuantity(apdex.satisfied / apdex.total, "ratio"),
           FormatQuantity(apdex.tolerating / apdex.total, "ratio"),
           FormatQuantity(frustrated / apdex.total, "ratio"), Fixed(apdex.total, "%.0f")});
      section.data["apdex"].push_back({{"watch", watch.name},
                                       {"labels", LabelsJson(series.labels)},
                                       {"t_seconds", t},
                                       {"t_origin", origin},
                                       {"by", by},
                                       {"score", NumberOrNull(apdex.score)},
                                       {"band", ApdexBand(apdex.score)},
                                       {"satisfied", apdex.satisfied},
                                       {"tolerating", apdex.tolerating},
                                       {"total", apdex.total},
                                       {"interpolated", apdex.interpolated},
                                       {"lower_bound", apdex.beyond},
                                       {"query", buckets.query}});
    }
    ReportChart chart = ApdexChart(context.engine, watch, by, t, std::move(worst),
                                   end - window_ms, end, chart_step);
    if (!chart.lines.empty()) charts.push_back(std::move(chart));
  }
  section.blocks.push_back(ReportParagraph{
      "Apdex over the last " + FormatDuration(Duration(window_ms)) +
      " for each latency watch with a histogram: satisfied <= T, tolerating <= 4T; bands "
      "excellent >= 0.94, good >= 0.85, fair >= 0.70, poor >= 0.50 (Apdex Alliance)."});
  if (apdex_table.rows.empty()) {
    section.blocks.push_back(ReportParagraph{"No latency histogram had observations in the window."});
  } else {
    section.blocks.push_back(std::move(apdex_table));
    for (ReportChart& chart : charts) section.blocks.push_back(std::move(chart));
  }

  // Frame smoothness.
  if (!options.frame_histogram.empty()) {
    FrameSmoothness frames = QueryFrameSmoothness(context.engine, options.frame_histogram,
                                                  end - window_ms, end, options.step.count());
    nlohmann::json frame_data = {{"query", frames.query},
                                 {"frames", frames.overall.total},
                                 {"share_over_16_7ms", NumberOrNull(frames.overall.over_60)},
                                 {"share_over_33_3ms", NumberOrNull(frames.overall.over_30)},
                                 {"interpolated", frames.overall.interpolated}};
    if (!frames.error.empty()) {
      errors.push_back("frames: " + frames.error);
      frame_data["error"] = frames.error;
    } else if (frames.overall.total > 0) {
      any_interpolated = any_interpolated || frames.overall.interpolated;
      section.blocks.push_back(ReportKeyValues{{
          {"frames", Fixed(frames.overall.total, "%.0f")},
          {"over 16.7 ms (below 60 fps)", FormatQuantity(frames.overall.over_60, "ratio")},
          {"over 33.3 ms (below 30 fps)", FormatQuantity(frames.overall.over_30, "ratio")},
          {"bucket bounds", frames.overall.interpolated ? "interpolated" : "exact"},
      }});
      if (!frames.over_60_series.empty()) {
        ReportChart chart;
        chart.title = "Share of slow frames per " +
                      FormatDuration(options.step);
        chart.unit = "ratio";
        chart.lines.push_back({"over 16.7 ms", frames.over_60_series});
        chart.lines.push_back({"over 33.3 ms", frames.over_30_series});
        section.blocks.push_back(std::move(chart));
      }
    } else {
      section.blocks.push_back(ReportParagraph{"No frames in the window (" +
                                               options.frame_histogram + ")."});
    }
    section.data["frames"] = std::move(frame_data);
  }

  if (!errors.empty()) section.error = JoinList(errors, "; ");
  section.notes = {
      "Apdex reads the histogram's cumulative _bucket counters: increase() over the window, "
      "summed by the labels of the watch's own result (a watch without data now: the whole "
      "histogram as one row).",
      "T is the watch's apdex_t, else its named reference's good line in seconds, else "
      "ux.apdex_t (default 0.1 s, RAIL's response); 4T bounds tolerating.",
      "When T, 4T, 16.7 ms or 33.3 ms is not a bucket bound the count at it is interpolated "
      "linearly inside its bucket (as histogram_quantile does; the first bucket starts at 0)" +
          std::string(any_interpolated ? "; rows marked * were" : "; none was here") + ".",
      "Observations above the highest finite bucket bound count as frustrated when 4T lies "
      "beyond it: Apdex is then a lower bound" +
          std::string(any_beyond ? " (so for some rows here)." : "."),
      "Frame shares use 0.0167 s and 0.0333 s, the game's bucket bounds (1/60 s and 1/30 s "
      "rounded).",
  };
  return section;
}

ReportSection BuildCorrelationSection(const AnalysisContext& context) {
  ReportSection section;
  section.id = "correlation";
  section.title = "Technical watches and player satisfaction";
  const UxOptions& options = context.config.ux;
  const Timestamp end = context.end > 0 ? context.end : context.now;
  const std::int64_t step = std::max<std::int64_t>(options.step.count(), 1000);
  const int max_lag = static_cast<int>(options.max_lag.count() / step);
  section.data["step_seconds"] = static_cast<double>(step) / 1000;
  section.data["max_lag_steps"] = max_lag;
  section.data["pairs"] = nlohmann::json::array();

  bool any_satisfaction = std::any_of(context.config.watches.begin(), context.config.watches.end(),
                                      [](const Watch& w) { return w.satisfaction; });
  if (!any_satisfaction) {
    section.blocks.push_back(ReportParagraph{
        "No watch is marked `satisfaction: true` (session length, quits, ratings arriving as "
        "StatsD), so there is nothing to correlate the technical watches with."});
  } else {
    CorrelationRun run =
        CorrelateWatches(context.engine, context.config.watches,
                         RangeStart(context, end, 86'400'000), end, step, max_lag);
    if (!run.errors.empty()) section.error = JoinList(run.errors, "; ");
    ReportTable table;
    table.columns = {"technical", "series",   "satisfaction", "lag",
                     "Spearman",  "Pearson",  "n",            "p (Bonferroni)"};
    constexpr std::size_t kRows = 20;
    std::size_t not_computable = 0;
    for (const CorrelationPair& pair : run.pairs) {
      const LagCorrelation& r = pair.result;
      if (std::isnan(r.spearman)) {  // a constant series, or too few pairs
        ++not_computable;
        continue;
      }
      if (table.rows.size() < kRows) {
        table.rows.push_back(
            {pair.technical, LabelPairs(pair.technical_labels),
             pair.satisfaction + (pair.satisfaction_labels.empty()
                                      ? ""
                                      : " " + LabelPairs(pair.satisfaction_labels)),
             FormatQuantity(static_cast<double>(pair.lag_ms) / 1000, "seconds"),
             Fixed(r.spearman, "%+.3f"), Fixed(r.pearson, "%+.3f"),
             std::to_string(r.n), Fixed(r.p_adjusted, "%.2g")});
      }
      section.data["pairs"].push_back({{"technical", pair.technical},
                                       {"technical_labels", LabelsJson(pair.technical_labels)},
                                       {"satisfaction", pair.satisfaction},
                                       {"satisfaction_labels", LabelsJson(pair.satisfaction_labels)},
                                       {"lag_seconds", static_cast<double>(pair.lag_ms) / 1000},
                                       {"spearman", NumberOrNull(r.spearman)},
                                       {"pearson", NumberOrNull(r.pearson)},
                                       {"n", r.n},
                                       {"p_value", NumberOrNull(r.p_value)},
                                       {"p_adjusted", NumberOrNull(r.p_adjusted)},
                                       {"lags_tried", r.lags_tried}});
    }
    section.data["truncated"] = run.truncated;
    std::size_t significant = static_cast<std::size_t>(
        std::count_if(run.pairs.begin(), run.pairs.end(),
                      [](const CorrelationPair& p) { return p.result.p_adjusted < 0.05; }));
    section.data["not_computable"] = not_computable;
    section.blocks.push_back(ReportParagraph{
        std::to_string(run.pairs.size() - not_computable) +
        " technical series compared with the satisfaction signals" +
        (not_computable > 0 ? " (" + std::to_string(not_computable) +
                                  " more were constant or too short to correlate)"
                            : std::string()) +
        "; " + std::to_string(significant) +
        " correlate at p < 0.05 after the Bonferroni adjustment for lags. Strongest first" +
        (run.pairs.size() - not_computable > kRows ? " (top " + std::to_string(kRows) + ")" : std::string()) +
        "; a positive lag means satisfaction follows the technical watch."});
    if (!table.rows.empty()) section.blocks.push_back(std::move(table));
  }
  section.notes = {
      "Both series are read at ux.step over the report range and joined on equal timestamps; "
      "steps where either is missing (NaN) are dropped.",
      "Lags -ux.max_lag..+ux.max_lag are tried; the lag kept has the largest |Spearman|, "
      "Pearson shown at the same lag. Lags with fewer than 10 pairs are skipped.",
      "p is two-sided from the t approximation t = r sqrt((n-2)/(1-r^2)) with n-2 degrees of "
      "freedom, multiplied by the number of lags tried (Bonferroni, capped at 1); neighbouring "
      "steps are autocorrelated, so p is optimistic.",
      "Correlation is not causation: a shared daily rhythm (players online) correlates "
      "everything with everything; read it as a lead to check with an annotation's impact.",
      "At most " + std::to_string(kMaxCorrelationPairs) + " series pairs are compared.",
  };
  return section;
}

}  // namespace metricsd::analytics
