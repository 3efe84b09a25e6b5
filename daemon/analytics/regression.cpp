#include "daemon/analytics/regression.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <stdexcept>
#include <utility>
#include <variant>

#include "daemon/analytics/cusum.h"
#include "daemon/analytics/mann_whitney.h"
#include "daemon/analytics/report_text.h"
#include "daemon/analytics/robust_stats.h"

namespace metricsd::analytics {
namespace {

// A flat baseline has no "same hours last week": its reference is the day before the window.
constexpr Timestamp kFlatReferenceMs = kDayMs;
// Charts keep at most this many points per line (the HTML report stays small).
constexpr std::size_t kChartPoints = 720;
constexpr std::size_t kMaxCharts = 8;
// Standardized residuals are clipped here before the CUSUM (in standard deviations).
constexpr double kClip = 4;
// A change start within this many points of the window's beginning may have come earlier.
constexpr std::size_t kWindowBeginPoints = 3;

using SeriesMap = std::map<promql::Labels, std::vector<promql::Point>>;

std::string Printf(const char* format, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

// "10:42 UTC" on the day of `reference`, "2026-12-02 10:42 UTC" otherwise.
std::string FormatTime(Timestamp t, Timestamp reference) {
  const std::time_t seconds = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  const bool same_day = t / kDayMs == reference / kDayMs;
  std::strftime(buffer, sizeof buffer, same_day ? "%H:%M UTC" : "%Y-%m-%d %H:%M UTC", &tm);
  return buffer;
}

std::string SeriesName(const Watch& watch, const promql::Labels& labels) {
  return labels.empty() ? watch.name : watch.name + promql::LabelsToString(labels);
}

// Appends `from`..`to` of the watch at regression.step to `out`, per series. Calls must come
// in ascending time order so every series stays sorted.
bool Fetch(const AnalysisContext& context, const Watch& watch, Timestamp from, Timestamp to,
           SeriesMap& out, std::string* error) {
  if (from > to) return true;
  promql::QueryResult result =
      context.engine.Range(watch.expr, from, to, context.config.regression.step.count());
  if (!result.ok()) {
    *error = "regressions of " + watch.name + ": " + result.error;
    return false;
  }
  if (const auto* matrix = std::get_if<promql::Matrix>(&result.value)) {
    for (const promql::Series& series : *matrix) {
      std::vector<promql::Point>& points = out[series.labels];
      for (const promql::Point& p : series.points) {
        if (points.empty() || p.t > points.back().t) points.push_back(p);
      }
    }
  }
  return true;
}

// The (from, to] intervals, merged where they overlap, ascending.
std::vector<std::pair<Timestamp, Timestamp>> Merge(
    std::vector<std::pair<Timestamp, Timestamp>> in) {
  std::sort(in.begin(), in.end());
  std::vector<std::pair<Timestamp, Timestamp>> out;
  for (const auto& interval : in) {
    if (!out.empty() && interval.first <= out.back().second) {
      out.back().second = std::max(out.back().second, interval.second);
    } else {
      out.push_back(interval);
    }
  }
  return out;
}

// The data one watch is evaluated on at `times` (ascending): the recent windows, the same
// hours of earlier weeks, and the day before each window (for flat baselines).
struct WatchData {
  SeriesMap recent, weekly, flat;
};

bool FetchWatchData(const AnalysisContext& context, const Watch& watch,
                    const std::vector<Baseline>& baselines, const std::vector<Timestamp>& times,
                    WatchData& data, std::string* error) {
  const Timestamp window = context.config.regression.window.count();
  const Timestamp step = context.config.regression.step.count();
  const Timestamp first = times.front(), last = times.back();
  // Query ranges include both ends; (from, to] starts one step after `from`.
  if (!Fetch(context, watch, first - window + step, last, data.recent, error)) return false;
  const bool any_seasonal =
      std::any_of(baselines.begin(), baselines.end(), [](const Baseline& b) { return b.seasonal; });
  const bool any_flat = std::any_of(baselines.begin(), baselines.end(),
                                    [](const Baseline& b) { return !b.seasonal; });
  if (any_seasonal) {
    std::vector<std::pair<Timestamp, Timestamp>> intervals;
    for (std::int64_t k = 1; k <= context.config.baseline.weeks; ++k) {
      intervals.emplace_back(first - window - k * kWeekMs, last - k * kWeekMs);
    }
    for (const auto& [from, to] : Merge(std::move(intervals))) {
      if (!Fetch(context, watch, from + step, to, data.weekly, error)) return false;
    }
  }
  if (any_flat) {
    if (!Fetch(context, watch, first - window - kFlatReferenceMs + step, last - window, data.flat,
               error)) {
      return false;
    }
  }
  return true;
}

std::span<const promql::Point> PointsOf(const SeriesMap& map, const promql::Labels& labels) {
  auto it = map.find(labels);
  if (it == map.end()) return {};
  return it->second;
}

// Findings of one watch at every time of `times`, one per episode: a later evaluation whose
// shift began before the previous evaluation that saw it continues that episode.
std::vector<Finding> EvaluateWatch(const AnalysisContext& context, const Watch& watch,
                                   const std::vector<Baseline>& baselines,
                                   const std::vector<Timestamp>& times, const WatchData& data) {
  const RegressionOptions& options = context.config.regression;
  const Timestamp window = options.window.count();
  std::map<promql::Labels, const Baseline*> by_labels;
  for (const Baseline& b : baselines) by_labels[b.labels] = &b;
  std::vector<Finding> findings;
  // Series with an ongoing episode -> the last evaluation that saw it.
  std::map<promql::Labels, Timestamp> open;
  for (Timestamp t : times) {
    for (const auto& [labels, points] : data.recent) {
      auto baseline = by_labels.find(labels);
      if (baseline == by_labels.end()) continue;  // a new series: nothing to compare with yet
      const Baseline& b = *baseline->second;
      std::span<const promql::Point> recent = Slice(points, t - window, t);
      std::vector<promql::Point> reference;
      if (b.seasonal) {
        reference = ReferenceWindow(PointsOf(data.weekly, labels), t, window,
                                    context.config.baseline.weeks);
      } else {
        std::span<const promql::Point> day =
            Slice(PointsOf(data.flat, labels), t - window - kFlatReferenceMs, t - window);
        reference.assign(day.begin(), day.end());
      }
      RegressionAnalysis analysis =
          AnalyzeSeries(b, recent, reference, watch.higher_is_worse(), options);
      if (!analysis.regression) {
        open.erase(labels);
        continue;
      }
      auto previous = open.find(labels);
      const bool same_episode = previous != open.end() && analysis.start <= previous->second;
      open[labels] = t;
      if (same_episode) continue;  // the same shift, already reported
      findings.push_back(
          MakeRegressionFinding(watch, promql::DropMetricName(labels), analysis, t, options));
    }
  }
  return findings;
}

// Evenly thinned to at most kChartPoints.
std::vector<promql::Point> Thin(std::span<const promql::Point> points) {
  const std::size_t every =
      std::max<std::size_t>(1, (points.size() + kChartPoints - 1) / kChartPoints);
  std::vector<promql::Point> out;
  for (std::size_t i = 0; i < points.size(); i += every) out.push_back(points[i]);
  return out;
}

ReportChart ChartOf(const Watch& watch, const Finding& finding,
                    std::span<const promql::Point> points, const Baseline& baseline) {
  ReportChart chart;
  chart.title = SeriesName(watch, finding.labels);
  chart.unit = watch.unit;
  chart.threshold = watch.threshold;
  ReportChart::Line line{"value", Thin(points)};
  ReportChart::Line expected{"baseline median", {}};
  ReportChart::Band band{"baseline median..p90", {}, {}};
  for (const promql::Point& p : line.points) {
    const SlotStats& s = baseline.At(p.t);
    expected.points.push_back({p.t, baseline.Expected(p.t)});
    band.lower.push_back({p.t, s.median});
    band.upper.push_back({p.t, s.p90});
  }
  chart.lines.push_back(std::move(line));
  chart.lines.push_back(std::move(expected));
  chart.bands.push_back(std::move(band));
  chart.markers.push_back({finding.start, "regression start"});
  return chart;
}

}  // namespace

nlohmann::json RegressionAnalysis::ToJson() const {
  return {{"p", NumberOrNull(p)},
          {"u", NumberOrNull(u)},
          {"z", NumberOrNull(z)},
          {"effect_size", NumberOrNull(effect)},
          {"baseline_median", NumberOrNull(baseline_median)},
          {"recent_median", NumberOrNull(recent_median)},
          {"sigma", NumberOrNull(sigma)},
          {"cusum_index", cusum_index},
          {"cusum_alarm", static_cast<double>(alarm) / 1000},
          {"recent_points", recent_points},
          {"reference_points", reference_points}};
}

std::vector<double> RatiosAgainst(const Baseline& baseline, std::span<const promql::Point> points) {
  std::vector<double> ratios;
  ratios.reserve(points.size());
  for (const promql::Point& p : points) {
    const double expected = baseline.Expected(p.t);
    const bool usable = std::isfinite(p.v) && std::isfinite(expected) && expected > 0;
    ratios.push_back(usable ? p.v / expected : std::numeric_limits<double>::quiet_NaN());
  }
  return ratios;
}

std::span<const promql::Point> Slice(std::span<const promql::Point> history, Timestamp from,
                                     Timestamp to) {
  auto after = [](const promql::Point& p, Timestamp t) { return p.t <= t; };
  auto begin = std::lower_bound(history.begin(), history.end(), from, after);
  auto end = std::lower_bound(begin, history.end(), to, after);
  return {begin, end};
}

std::vector<promql::Point> ReferenceWindow(std::span<const promql::Point> history, Timestamp t,
                                           Timestamp window, std::int64_t weeks) {
  std::vector<promql::Point> out;
  for (std::int64_t k = weeks; k >= 1; --k) {
    const Timestamp end = t - k * kWeekMs;
    std::span<const promql::Point> part = Slice(history, end - window, end);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

RegressionAnalysis AnalyzeSeries(const Baseline& baseline, std::span<const promql::Point> recent,
                                 std::span<const promql::Point> reference, bool higher_is_worse,
                                 const RegressionOptions& options) {
  RegressionAnalysis a;
  const double sign = higher_is_worse ? 1 : -1;
  const auto min_points = static_cast<std::size_t>(options.min_points);
  const std::vector<double> recent_ratios = RatiosAgainst(baseline, recent);
  const std::vector<double> reference_ratios = FiniteValues(RatiosAgainst(baseline, reference));
  a.reference_points = reference_ratios.size();
  if (reference_ratios.size() < min_points) {
    a.reason = "too little reference data";
    return a;
  }
  const double center = Median(reference_ratios);
  if (!(center > 0)) {
    a.reason = "the reference median is not positive";
    return a;
  }
  // The spread of the season-adjusted reference: noise around the baseline, plus how much the
  // same hours differ between weeks. A reference of identical values falls back to the flat
  // MAD, then to a tiny scale (any change then counts; the test and min_change still apply).
  double sigma = kMadToSigma * Mad(reference_ratios);
  if (!(sigma > 0) && baseline.flat.median > 0) {
    sigma = kMadToSigma * baseline.flat.mad / baseline.flat.median;
  }
  if (!(sigma > 0)) sigma = 1e-9;
  a.sigma = sigma;

  // Standardized residuals, clipped at +-kClip (a Huber-type robust CUSUM): one outlier, a
  // latency spike of 3x, would otherwise push the sum past h alone and hold it there for the
  // rest of the window, moving the change start to the spike.
  std::vector<double> z(recent_ratios.size());
  for (std::size_t i = 0; i < z.size(); ++i) {
    z[i] = std::clamp(sign * (recent_ratios[i] - center) / sigma, -kClip, kClip);
  }
  const CusumResult cusum = Cusum(z, CusumOptions{options.cusum_k, options.cusum_h});
  // The newest shift in the worse direction that still lasts at the end of the window: an
  // excursion that already ended is noise or a blip, not a regression now.
  const CusumEpisode* episode = nullptr;
  for (const CusumEpisode& e : cusum.episodes) {
    if (e.direction > 0 && e.ongoing()) episode = &e;
  }
  if (episode == nullptr) {
    a.reason = "no ongoing level shift in the worse direction";
    return a;
  }
  a.cusum_index = episode->start;
  a.start = recent[episode->start].t;
  a.alarm = recent[episode->alarm].t;

  std::vector<double> since, oriented, values, expected;
  for (std::size_t i = episode->start; i < recent.size(); ++i) {
    if (!std::isfinite(recent_ratios[i])) continue;
    since.push_back(recent_ratios[i]);
    oriented.push_back(sign * recent_ratios[i]);
    values.push_back(recent[i].v);
    expected.push_back(baseline.Expected(recent[i].t));
  }
  a.recent_points = since.size();
  if (since.size() < min_points) {
    a.reason = "too few points since the change start";
    return a;
  }
  std::vector<double> reference_oriented = reference_ratios;
  for (double& v : reference_oriented) v *= sign;
  const MannWhitneyResult test = MannWhitney(oriented, reference_oriented);
  // The CUSUM chose the start where the values look worst, so the test of the points since
  // then is optimistic: Bonferroni over every start it could have chosen (a segment of at
  // least min_points in the window). Without it noise excursions pass alpha a few times a
  // week; with it none did in the accuracy tests, at the cost of a few minutes of delay.
  std::size_t finite_recent = 0;
  for (double r : recent_ratios) finite_recent += std::isfinite(r) ? 1 : 0;
  const double candidates =
      static_cast<double>(std::max<std::size_t>(1, finite_recent + 1 - min_points));
  a.p = std::min(1.0, test.p_greater * candidates);
  a.u = test.u;
  a.z = test.z;
  a.effect = test.effect;
  a.magnitude = sign * (Median(since) / center - 1) * 100;
  a.recent_median = Median(values);
  a.baseline_median = Median(expected);
  if (!(a.p < options.alpha)) {
    a.reason = "not significant (p=" + Printf("%.2g", a.p) + ")";
  } else if (!(a.magnitude >= options.min_change)) {
    a.reason = "smaller than regression.min_change (" + Printf("%.1f", a.magnitude) + " %)";
  } else {
    a.regression = true;
  }
  return a;
}

Finding MakeRegressionFinding(const Watch& watch, const promql::Labels& labels,
                              const RegressionAnalysis& analysis, Timestamp detected,
                              const RegressionOptions& options) {
  Finding f;
  f.kind = "regression";
  f.watch = watch.name;
  f.labels = labels;
  f.start = analysis.start;
  f.detected = detected;
  f.magnitude = analysis.magnitude;
  f.confidence = std::isfinite(analysis.p) ? 1 - analysis.p : 0;
  const bool past_threshold = std::isfinite(watch.threshold) &&
                              (watch.higher_is_worse() ? analysis.recent_median > watch.threshold
                                                       : analysis.recent_median < watch.threshold);
  f.severity =
      analysis.magnitude >= 3 * options.min_change || past_threshold ? "critical" : "warning";
  // A shift already there when the window began (the CUSUM places such a start within the
  // first points) began then or earlier.
  const bool at_window_begin = analysis.cusum_index < kWindowBeginPoints;
  f.summary = SeriesName(watch, labels) + " is " + Printf("%.0f", analysis.magnitude) + " % " +
              (watch.higher_is_worse() ? "higher" : "lower") + " than its baseline since " +
              FormatTime(analysis.start, detected) + (at_window_begin ? " or earlier" : "") +
              " (p=" + Printf("%.1g", analysis.p) + ")";
  f.details = analysis.ToJson();
  f.details["start_at_window_begin"] = at_window_begin;
  return f;
}

std::vector<Finding> DetectRegressions(const AnalysisContext& context,
                                       std::vector<std::string>* errors) {
  std::vector<Finding> findings;
  const std::vector<Timestamp> times = {context.now};
  for (const Watch& watch : context.config.watches) {
    if (!KindListed(context.config.regression.kinds, watch.kind)) continue;
    std::string error;
    std::vector<Baseline> baselines = BaselinesFor(context, watch, &error);
    WatchData data;
    if (error.empty() && !baselines.empty()) {
      FetchWatchData(context, watch, baselines, times, data, &error);
    }
    if (!error.empty()) {
      if (errors != nullptr) errors->push_back(error);
      continue;
    }
    std::vector<Finding> found = EvaluateWatch(context, watch, baselines, times, data);
    std::move(found.begin(), found.end(), std::back_inserter(findings));
  }
  return findings;
}

// The watches regressions test (their kind is in regression.kinds): "every one failed" is
// judged against these, not against all watches.
static std::size_t TestedWatches(const AnalysisContext& context) {
  return static_cast<std::size_t>(
      std::count_if(context.config.watches.begin(), context.config.watches.end(),
                    [&](const Watch& w) { return KindListed(context.config.regression.kinds, w.kind); }));
}

std::vector<Finding> DetectRegressions(const AnalysisContext& context) {
  std::vector<std::string> errors;
  std::vector<Finding> findings = DetectRegressions(context, &errors);
  if (!errors.empty() && errors.size() == TestedWatches(context)) {
    std::string message = errors.front();
    for (std::size_t i = 1; i < errors.size(); ++i) message += "; " + errors[i];
    throw std::runtime_error(message);
  }
  return findings;
}

ReportSection BuildRegressionsSection(const AnalysisContext& context) {
  ReportSection section;
  section.id = "regressions";
  section.title = "Regressions against baseline";
  const RegressionOptions& options = context.config.regression;
  const Timestamp window = options.window.count();
  const Timestamp end = context.end != 0 ? context.end : context.now;
  const Timestamp start = context.start != 0 && context.start < end ? context.start : end - kDayMs;
  // Evaluations every half window, so a shift is seen with at least half a window after it.
  std::vector<Timestamp> times;
  for (Timestamp t = std::min(start + window, end); t < end; t += window / 2) times.push_back(t);
  times.push_back(end);

  std::vector<Finding> all;
  std::vector<ReportChart> charts;
  std::vector<std::string> errors;
  for (const Watch& watch : context.config.watches) {
    if (!KindListed(context.config.regression.kinds, watch.kind)) continue;
    std::string error;
    // Baselines as of the range's start: what was normal before it.
    std::vector<Baseline> baselines = ComputeWatchBaselines(context, watch, start, &error);
    WatchData data;
    if (error.empty() && !baselines.empty()) {
      FetchWatchData(context, watch, baselines, times, data, &error);
    }
    if (!error.empty()) {
      errors.push_back(error);
      continue;
    }
    std::vector<Finding> found = EvaluateWatch(context, watch, baselines, times, data);
    for (const Finding& f : found) {
      if (charts.size() >= kMaxCharts) break;
      for (const Baseline& b : baselines) {
        if (promql::DropMetricName(b.labels) != f.labels) continue;
        charts.push_back(ChartOf(watch, f, Slice(PointsOf(data.recent, b.labels), start, end), b));
        break;
      }
    }
    std::move(found.begin(), found.end(), std::back_inserter(all));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Finding& a, const Finding& b) { return a.magnitude > b.magnitude; });

  section.blocks.push_back(ReportParagraph{
      std::to_string(all.size()) + (all.size() == 1 ? " regression" : " regressions") +
      " found between " + FormatTime(start, 0) + " and " + FormatTime(end, 0) +
      ", replaying "
      "detection every " +
      FormatDuration(options.window / 2) +
      " against each series' baseline "
      "of the " +
      std::to_string(context.config.baseline.weeks) + " weeks before the range."});
  for (const std::string& error : errors) section.blocks.push_back(ReportParagraph{error});
  if (!all.empty()) section.blocks.push_back(ReportFindings{all});
  for (ReportChart& chart : charts) section.blocks.push_back(std::move(chart));
  if (!errors.empty() && errors.size() == TestedWatches(context)) {
    section.error = errors.front();
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : all) findings.push_back(FindingToJson(f));
  section.data = {{"start", static_cast<double>(start) / 1000},
                  {"end", static_cast<double>(end) / 1000},
                  {"evaluations", times.size()},
                  {"alpha", options.alpha},
                  {"min_change_percent", options.min_change},
                  {"findings", std::move(findings)},
                  {"errors", errors}};
  section.notes = {
      "A regression needs three things at once: a CUSUM level shift in the worse direction that "
      "still lasts at the evaluation, a one-sided Mann-Whitney test since its start at "
      "regression.alpha, and a median change of at least regression.min_change.",
      "Values are compared as ratios to the baseline's expected value (slot medians interpolated "
      "between hours), so daily and weekly cycles cancel; series whose baseline is not positive "
      "(an error rate that is normally 0) are not tested.",
      "The reference is the same hours of the week in the previous baseline.weeks weeks (the day "
      "before, for a flat baseline); an incident in those weeks makes the reference worse and "
      "hides a repeat.",
      "The CUSUM scale is 1.4826 x the MAD of the reference ratios; p-values use the normal "
      "approximation with continuity and tie corrections (not exact below ~20 values), "
      "Bonferroni-adjusted over the change starts the CUSUM could have picked.",
      "The start is the CUSUM's estimate (after the last point where its sum was zero; "
      "residuals clipped at 4 sigma so one spike does not move it); a shift older than "
      "regression.window is reported from the window's beginning, \"or earlier\".",
      "Severity is critical when the change is at least 3 x regression.min_change or the recent "
      "median is past the watch's threshold; confidence is 1 - p.",
      "Measured (unit tests, 1-minute data, daily and weekly cycles, detection every 5 "
      "minutes): a 10 % step is found in 10 minutes at 5 % noise, 15 at 7.5 %, 25 at 10 %; no "
      "false episode in 5 clean weeks at 5 % noise.",
      "Without an analytics database baselines are recomputed at every refresh (a range query "
      "over baseline.weeks); with one they are reused for baseline.refresh."};
  return section;
}

}  // namespace metricsd::analytics
