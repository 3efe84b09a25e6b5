#include "daemon/analytics/leak.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
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

// Rows in the report's table, groups per chart, restart markers per chart.
constexpr std::size_t kMaxLeakRows = 30;
constexpr std::size_t kMaxChartGroups = 5;
constexpr std::size_t kMaxMarkers = 40;
// Start times are whole or fractional seconds; a change of less is float noise, not a restart.
constexpr double kStartTimeTolerance = 0.5;
// The fewest bucket medians the latter half must give for the test to be meaningful.
constexpr std::size_t kMinTestPoints = 6;

// Tables show a missing number as "-" with three digits (report_text's FormatNumber).

std::string Bytes(double v) {
  if (!std::isfinite(v)) return "-";
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  double scaled = v;
  while (std::fabs(scaled) >= 1024 && unit + 1 < std::size(kUnits)) {
    scaled /= 1024;
    ++unit;
  }
  return FormatOrDash(scaled) + " " + kUnits[unit];
}

std::string Hours(Timestamp ms) { return FormatOrDash(static_cast<double>(ms) / 3'600'000.0) + " h"; }

struct GroupLeak {
  std::string name;
  Labels labels;
  std::vector<Point> memory;
  LeakAssessment assessment;
};

struct LeakAnalysis {
  std::string error;        // the memory query failed
  std::string start_error;  // the start time query failed (restarts by drops only)
  std::vector<GroupLeak> groups;
};

LeakAnalysis AnalyzeLeaks(const AnalysisContext& context, Timestamp end) {
  const LeakOptions& options = context.config.leaks;
  const Timestamp start = end - options.range.count();
  const std::string by = JoinList(options.group_by);
  LeakAnalysis out;
  promql::QueryResult memory = context.engine.Range("sum by (" + by + ") (" + options.memory + ")",
                                                    start, end, options.step.count());
  auto* memory_matrix = std::get_if<promql::Matrix>(&memory.value);
  if (!memory.ok() || memory_matrix == nullptr) {
    out.error = memory.ok() ? "the memory expression did not give a range of series" : memory.error;
    return out;
  }
  std::map<std::string, std::vector<Point>> start_times;
  if (!options.start_time.empty()) {
    promql::QueryResult starts = context.engine.Range(
        "min by (" + by + ") (" + options.start_time + ")", start, end, options.step.count());
    auto* matrix = std::get_if<promql::Matrix>(&starts.value);
    if (!starts.ok() || matrix == nullptr) {
      out.start_error = starts.ok() ? "not a range of series" : starts.error;
    } else {
      for (promql::Series& s : *matrix) {
        start_times[query::promql::LabelsKey(query::promql::DropMetricName(s.labels))] =
            std::move(s.points);
      }
    }
  }
  for (promql::Series& s : *memory_matrix) {
    GroupLeak group;
    group.labels = query::promql::DropMetricName(std::move(s.labels));
    const std::string* single = options.group_by.size() == 1
                                    ? query::promql::GetLabel(group.labels, options.group_by[0])
                                    : nullptr;
    group.name = single != nullptr ? *single : query::promql::LabelsToString(group.labels);
    group.memory = std::move(s.points);
    auto it = start_times.find(query::promql::LabelsKey(group.labels));
    const std::vector<Point> none;
    group.assessment =
        AssessLeak(group.memory, it != start_times.end() ? it->second : none, options);
    out.groups.push_back(std::move(group));
  }
  std::stable_sort(
      out.groups.begin(), out.groups.end(), [](const GroupLeak& a, const GroupLeak& b) {
        if (a.assessment.leak != b.assessment.leak) return a.assessment.leak;
        const double x = a.assessment.percent_per_day, y = b.assessment.percent_per_day;
        return (std::isnan(y) ? -HUGE_VAL : y) < (std::isnan(x) ? -HUGE_VAL : x);
      });
  return out;
}

}  // namespace

std::vector<LeakSegment> SplitAtRestarts(std::span<const Point> memory,
                                         std::span<const Point> start_times,
                                         double reset_drop_percent) {
  std::vector<LeakSegment> segments;
  if (memory.empty()) return segments;
  const double keep = 1 - reset_drop_percent / 100;
  std::size_t next_start = 0;  // the first start_times point after the current memory point
  double previous_start = kNaN, previous_value = kNaN;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < memory.size(); ++i) {
    while (next_start < start_times.size() && start_times[next_start].t <= memory[i].t)
      ++next_start;
    const double started = next_start > 0 ? start_times[next_start - 1].v : kNaN;
    bool restart = false;
    if (std::isfinite(started)) {
      if (std::isfinite(previous_start) &&
          std::fabs(started - previous_start) > kStartTimeTolerance) {
        restart = true;
      }
      previous_start = started;
    }
    const double v = memory[i].v;
    if (std::isfinite(v)) {
      if (std::isfinite(previous_value) && v < previous_value * keep) restart = true;
      previous_value = v;
    }
    if (restart && i > begin) {
      segments.push_back({begin, i});
      begin = i;
    }
  }
  segments.push_back({begin, memory.size()});
  return segments;
}

LeakAssessment AssessLeak(std::span<const Point> memory, std::span<const Point> start_times,
                          const LeakOptions& options) {
  LeakAssessment a;
  a.segments = SplitAtRestarts(memory, start_times, options.reset_drop);
  const auto finite_span = [&](const LeakSegment& s, Timestamp* first, Timestamp* last) {
    bool any = false;
    for (std::size_t i = s.begin; i < s.end; ++i) {
      if (!std::isfinite(memory[i].v)) continue;
      if (!any) *first = memory[i].t;
      *last = memory[i].t;
      any = true;
    }
    return any ? *last - *first : Timestamp{0};
  };
  Timestamp longest = 0;
  // The most recent segment that lasted long enough: a group restarted an hour ago is judged
  // on its previous run.
  for (std::size_t k = a.segments.size(); k-- > 0;) {
    Timestamp first = 0, last = 0;
    const Timestamp duration = finite_span(a.segments[k], &first, &last);
    longest = std::max(longest, duration);
    if (duration >= options.min_duration.count()) {
      a.tested = true;
      a.segment = a.segments[k];
      a.segment_start = first;
      a.segment_end = last;
      break;
    }
  }
  if (!a.tested) {
    a.reason = "no run between restarts of at least " + FormatDuration(options.min_duration) +
               " (longest " + Hours(longest) + ")";
    return a;
  }
  // The latter half by time: the warm-up rule (see leak.h).
  const Timestamp middle = a.segment_start + (a.segment_end - a.segment_start) / 2;
  std::vector<Point> former, latter;
  for (std::size_t i = a.segment.begin; i < a.segment.end; ++i) {
    if (!std::isfinite(memory[i].v)) continue;
    (memory[i].t >= middle ? latter : former).push_back(memory[i]);
  }
  a.tested_start = latter.empty() ? middle : latter.front().t;
  // Mann-Kendall is O(n^2): capped like Theil-Sen, by run medians.
  const std::vector<Point> buckets =
      DownsampleMedians(BucketMedians(latter, options.test_bucket.count()), kTheilSenMaxPoints);
  if (buckets.size() < kMinTestPoints) {
    a.reason = "too few points in the latter half (" + std::to_string(buckets.size()) + ")";
    return a;
  }
  std::vector<double> values;
  values.reserve(buckets.size());
  for (const Point& p : buckets) values.push_back(p.v);
  a.test = MannKendall(values);
  a.p = a.test.p_increasing;
  a.fit = TheilSenSeries(latter, 1 - 2 * options.alpha);
  a.median = Median(FiniteValues(latter));
  if (a.fit.ok()) {
    a.bytes_per_hour = a.fit.slope * 3600;
    if (a.median > 0) a.percent_per_day = a.fit.slope * 86400 / a.median * 100;
  }
  const TheilSenFit former_fit = TheilSenSeries(former, 0.95);
  if (former_fit.ok() && former_fit.slope > 0 && a.fit.ok()) {
    a.steadiness = a.fit.slope / former_fit.slope;
  }
  if (!(a.p < options.alpha) || !(a.fit.slope > 0)) {
    a.reason = "no significant growth in the latter half";
  } else if (!(a.percent_per_day >= options.min_growth)) {
    a.reason = "growth below min_growth";
  } else {
    a.leak = true;
    a.reason = "steady growth in the latter half of the run";
  }
  return a;
}

Finding LeakFinding(const LeakAssessment& a, const std::string& group, const Labels& labels,
                    Timestamp now) {
  Finding f;
  f.kind = "leak";
  f.watch = group;
  f.labels = labels;
  f.start = a.segment_start;
  f.detected = now;
  f.magnitude = a.percent_per_day;
  f.confidence = std::isfinite(a.p) ? 1 - a.p : kNaN;
  f.severity = "warning";
  f.summary = "possible leak: process group " + group + " resident memory grows " +
              Bytes(a.bytes_per_hour) + " per hour (" + FormatOrDash(a.percent_per_day) +
              " % per day) in its run since " + FormatTimeUtc(a.segment_start) + " (" +
              std::to_string(a.segments.size() - 1) +
              " restarts in the range; Mann-Kendall p=" + FormatOrDash(a.p, 2) + " over the latter half)";
  f.details = {{"bytes_per_hour", NumberOrNull(a.bytes_per_hour)},
               {"bytes_per_hour_lower", NumberOrNull(a.fit.slope_lower * 3600)},
               {"bytes_per_hour_upper", NumberOrNull(a.fit.slope_upper * 3600)},
               {"percent_per_day", NumberOrNull(a.percent_per_day)},
               {"median_bytes", NumberOrNull(a.median)},
               {"tau", NumberOrNull(a.test.tau)},
               {"p", NumberOrNull(a.p)},
               {"n", a.test.n},
               {"segment_start", static_cast<double>(a.segment_start) / 1000},
               {"segment_end", static_cast<double>(a.segment_end) / 1000},
               {"tested_start", static_cast<double>(a.tested_start) / 1000},
               {"steadiness", NumberOrNull(a.steadiness)},
               {"restarts", a.segments.empty() ? 0 : a.segments.size() - 1}};
  return f;
}

std::vector<Finding> DetectLeaks(const AnalysisContext& context) {
  const LeakAnalysis analysis = AnalyzeLeaks(context, context.now);
  if (!analysis.error.empty()) throw std::runtime_error(analysis.error);
  std::vector<Finding> findings;
  for (const GroupLeak& group : analysis.groups) {
    if (group.assessment.leak) {
      findings.push_back(LeakFinding(group.assessment, group.name, group.labels, context.now));
    }
  }
  return findings;
}

ReportSection BuildLeaksSection(const AnalysisContext& context) {
  const LeakOptions& options = context.config.leaks;
  const Timestamp end = context.end;
  ReportSection section;
  section.id = "leaks";
  section.title = "Memory leaks";
  const LeakAnalysis analysis = AnalyzeLeaks(context, end);
  if (!analysis.error.empty()) {
    section.error = "the memory query failed: " + analysis.error;
    return section;
  }
  section.blocks.push_back(ReportParagraph{"Resident memory of each process group (by " +
                                           JoinList(options.group_by) + ") over the " +
                                           FormatDuration(options.range) + " before " + FormatTimeUtc(end) +
                                           ", cut at restarts; the latest "
                                           "run of at least " +
                                           FormatDuration(options.min_duration) +
                                           " is judged on its latter "
                                           "half."});
  if (!analysis.start_error.empty()) {
    section.blocks.push_back(ReportParagraph{"The start time query failed (" +
                                             analysis.start_error +
                                             "): restarts are found by memory drops only."});
  }
  ReportFindings findings;
  ReportTable table;
  table.columns = {"group", "restarts", "judged run", "length", "growth/h",
                   "%/day", "tau",      "p",          "verdict"};
  ReportChart chart;
  chart.title = "Resident memory and the fitted growth";
  chart.unit = "bytes";
  nlohmann::json groups = nlohmann::json::array();
  for (std::size_t i = 0; i < analysis.groups.size(); ++i) {
    const GroupLeak& g = analysis.groups[i];
    const LeakAssessment& a = g.assessment;
    const std::size_t restarts = a.segments.empty() ? 0 : a.segments.size() - 1;
    if (a.leak) findings.findings.push_back(LeakFinding(a, g.name, g.labels, end));
    groups.push_back(
        {{"group", g.name},
         {"restarts", restarts},
         {"tested", a.tested},
         {"segment_start", a.tested ? nlohmann::json(static_cast<double>(a.segment_start) / 1000)
                                    : nlohmann::json(nullptr)},
         {"segment_end", a.tested ? nlohmann::json(static_cast<double>(a.segment_end) / 1000)
                                  : nlohmann::json(nullptr)},
         {"bytes_per_hour", NumberOrNull(a.bytes_per_hour)},
         {"percent_per_day", NumberOrNull(a.percent_per_day)},
         {"tau", NumberOrNull(a.test.tau)},
         {"p", NumberOrNull(a.p)},
         {"leak", a.leak},
         {"reason", a.reason}});
    if (i < kMaxLeakRows) {
      const bool slowing = a.leak && a.steadiness < 0.5;
      table.rows.push_back(
          {g.name, std::to_string(restarts), a.tested ? "since " + FormatTimeUtc(a.segment_start) : "-",
           a.tested ? Hours(a.segment_end - a.segment_start) : "-", Bytes(a.bytes_per_hour),
           FormatOrDash(a.percent_per_day), FormatOrDash(a.test.tau, 2), FormatOrDash(a.p, 2),
           (a.leak ? "POSSIBLE LEAK: " : "") + a.reason +
               (slowing ? " (slowing: " + FormatOrDash(a.steadiness, 2) + " of the first half's rate)"
                        : "")});
    }
    if (i < kMaxChartGroups) {
      chart.lines.push_back({g.name, g.memory});
      if (a.fit.ok()) {
        chart.lines.push_back({g.name + " growth",
                               {{a.tested_start, FittedAt(a.fit, a.tested_start)},
                                {a.segment_end, FittedAt(a.fit, a.segment_end)}}});
      }
      for (std::size_t k = 1; k < a.segments.size() && chart.markers.size() < kMaxMarkers; ++k) {
        chart.markers.push_back({g.memory[a.segments[k].begin].t, "restart " + g.name});
      }
    }
  }
  if (!findings.findings.empty()) section.blocks.push_back(std::move(findings));
  if (analysis.groups.empty()) {
    section.blocks.push_back(ReportParagraph{"No process group's memory in the range."});
  } else {
    section.blocks.push_back(std::move(table));
    section.blocks.push_back(std::move(chart));
  }
  section.data = {{"range_seconds", options.range.count() / 1000},
                  {"step_seconds", options.step.count() / 1000},
                  {"min_duration_seconds", options.min_duration.count() / 1000},
                  {"min_growth_percent_per_day", options.min_growth},
                  {"reset_drop_percent", options.reset_drop},
                  {"alpha", options.alpha},
                  {"groups", std::move(groups)}};
  section.notes = {
      "Memory: sum by (" + JoinList(options.group_by) + ") (" + options.memory +
          "); restarts: a "
          "change of min by (" +
          JoinList(options.group_by) + ") (" +
          (options.start_time.empty() ? std::string("none configured") : options.start_time) +
          ") or a fall of more than " + FormatOrDash(options.reset_drop) + " % in one step.",
      "Warm-up rule: only the latter half of the run is judged, so memory that grows while "
      "caches fill and then flattens is not a leak; a leak that only starts late in a run is "
      "found once it fills the latter half.",
      "A leak needs a one-sided Mann-Kendall p below " + FormatOrDash(options.alpha) + " over " +
          FormatDuration(options.test_bucket) +
          " medians (the autocorrelation guard) and a "
          "Theil-Sen growth of at least " +
          FormatOrDash(options.min_growth) + " % of the median per day.",
      "The most recent run lasting at least " + FormatDuration(options.min_duration) +
          " is judged: a group restarted an hour ago is judged on its previous run.",
      "Growth that is legitimate (a cache with no bound yet, more players) looks the same, and "
      "so does slow log-like growth still rising in the latter half; the finding says "
      "possible."};
  return section;
}

}  // namespace metricsd::analytics
