#include "daemon/analytics/bottlenecks.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <map>

#include "daemon/analytics/apdex.h"
#include "daemon/analytics/industry_references.h"
#include "daemon/analytics/report_text.h"
#include "daemon/core/duration.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {


// The samples of an instant query by label set (without __name__); `error` set on failure.
std::map<promql::Labels, double> InstantByLabels(QueryEngine& engine, const std::string& query,
                                                 Timestamp at, std::string& error) {
  std::map<promql::Labels, double> out;
  promql::QueryResult result = engine.Instant(query, at);
  if (!result.ok()) {
    if (error.empty()) error = (result.error.empty() ? "query failed" : result.error) + " (" + query + ")";
    return out;
  }
  if (const auto* vector = std::get_if<promql::Vector>(&result.value)) {
    for (const promql::Sample& sample : *vector) {
      out[promql::DropMetricName(sample.labels)] = sample.v;
    }
  } else if (const auto* scalar = std::get_if<promql::Scalar>(&result.value)) {
    out[{}] = scalar->v;
  }
  return out;
}

double Lookup(const std::map<promql::Labels, double>& map, const promql::Labels& labels) {
  auto it = map.find(labels);
  return it == map.end() ? kNaN : it->second;
}

constexpr std::size_t kBottleneckChartLines = 3;  // operations drawn per family

std::string Percent(double share) { return FormatQuantity(share, "ratio"); }

std::string Count(double value) {
  if (std::isnan(value)) return "n/a";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f", value);
  return buffer;
}

nlohmann::json OperationJson(const OperationStats& op) {
  return {{"labels", LabelsJson(op.labels)}, {"p95_seconds", NumberOrNull(op.p95)},
          {"seconds", NumberOrNull(op.seconds)},   {"share", NumberOrNull(op.share)},
          {"calls", NumberOrNull(op.calls)}};
}

ReportTable OperationTable(const std::vector<OperationStats>& ops) {
  ReportTable table;
  table.columns = {"operation", "p95", "share of time", "time", "calls"};
  for (const OperationStats& op : ops) {
    table.rows.push_back({LabelPairs(op.labels), FormatQuantity(op.p95, "seconds"),
                          Percent(op.share), FormatQuantity(op.seconds, "seconds"),
                          Count(op.calls)});
  }
  return table;
}

// The p95 over time of the `count` slowest operations, for a chart: the whole family's p95 per
// step (rate over max(step, 5m) so sparse scrapes still give two samples), kept for the top
// operations only.
ReportChart P95Chart(QueryEngine& engine, const BottleneckFamily& family,
                     const std::vector<OperationStats>& top, std::size_t count, Timestamp start,
                     Timestamp end) {
  ReportChart chart;
  chart.title = family.name + ": p95 of the slowest operations";
  chart.unit = "seconds";
  const std::int64_t step = std::max<std::int64_t>((end - start) / 120, 60'000);
  const std::string by = JoinList(family.by);
  const std::string query = "histogram_quantile(0.95, sum by (" + by + (by.empty() ? "" : ", ") +
                            "le) (rate(" + FamilySeries(family.histogram, "_bucket") + "[" +
                            PromDuration(std::max<std::int64_t>(step, 300'000)) + "])))";
  promql::QueryResult result = engine.Range(query, start, end, step);
  const auto* matrix = std::get_if<promql::Matrix>(&result.value);
  if (!result.ok() || matrix == nullptr) return chart;
  for (std::size_t i = 0; i < top.size() && i < count; ++i) {
    for (const promql::Series& series : *matrix) {
      if (promql::DropMetricName(series.labels) == top[i].labels) {
        chart.lines.push_back({LabelPairs(top[i].labels), series.points});
      }
    }
  }
  return chart;
}

}  // namespace

FamilyRanking RankFamily(QueryEngine& engine, const BottleneckFamily& family, int top,
                         std::int64_t window_ms, Timestamp at) {
  FamilyRanking out;
  out.name = family.name;
  const std::string range = "[" + PromDuration(window_ms) + "]";
  const std::string by = JoinList(family.by);
  const std::string n = std::to_string(std::max(top, 1));
  const std::string sum_by_op = "sum by (" + by + ") (increase(" +
                                FamilySeries(family.histogram, "_sum") + range + "))";
  const std::string p95 = "topk(" + n + ", histogram_quantile(0.95, sum by (" + by +
                          (by.empty() ? "" : ", ") + "le) (increase(" +
                          FamilySeries(family.histogram, "_bucket") + range + "))))";
  const std::string share = "topk(" + n + ", " + sum_by_op + " / scalar(sum(increase(" +
                            FamilySeries(family.histogram, "_sum") + range + "))))";
  const std::string calls = "sum by (" + by + ") (increase(" +
                            FamilySeries(family.histogram, "_count") + range + "))";
  out.queries = {p95, share, sum_by_op, calls};

  auto p95s = InstantByLabels(engine, p95, at, out.error);
  auto shares = InstantByLabels(engine, share, at, out.error);
  auto seconds = InstantByLabels(engine, sum_by_op, at, out.error);
  auto counts = InstantByLabels(engine, calls, at, out.error);
  for (const auto& [labels, value] : seconds) {
    if (std::isfinite(value)) out.total_seconds += value;
  }
  auto stats = [&](const promql::Labels& labels) {
    OperationStats op;
    op.labels = labels;
    op.p95 = Lookup(p95s, labels);
    op.seconds = Lookup(seconds, labels);
    op.calls = Lookup(counts, labels);
    op.share = Lookup(shares, labels);
    if (std::isnan(op.share) && out.total_seconds > 0 && std::isfinite(op.seconds)) {
      op.share = op.seconds / out.total_seconds;
    }
    return op;
  };
  // topk's output order is not specified: order here, NaN (no observations) left out.
  for (const auto& [labels, value] : p95s) {
    if (std::isfinite(value)) out.by_p95.push_back(stats(labels));
  }
  for (const auto& [labels, value] : shares) {
    if (std::isfinite(value)) out.by_share.push_back(stats(labels));
  }
  auto sort_by = [](std::vector<OperationStats>& ops, double OperationStats::*key) {
    std::stable_sort(ops.begin(), ops.end(), [key](const OperationStats& a, const OperationStats& b) {
      return a.*key > b.*key;
    });
  };
  sort_by(out.by_p95, &OperationStats::p95);
  sort_by(out.by_share, &OperationStats::share);
  auto limit = static_cast<std::size_t>(std::max(top, 1));
  if (out.by_p95.size() > limit) out.by_p95.resize(limit);
  if (out.by_share.size() > limit) out.by_share.resize(limit);
  return out;
}

double HitRatio(double hits, double misses) {
  double lookups = hits + misses;
  if (!(lookups > 0)) return kNaN;
  return hits / lookups;
}

std::vector<CacheRatio> QueryCacheRatios(QueryEngine& engine, const BottleneckOptions& options,
                                         std::int64_t window_ms, Timestamp at,
                                         std::string* error) {
  std::vector<CacheRatio> out;
  if (options.cache_hits.empty() || options.cache_misses.empty()) return out;
  const std::string range = "[" + PromDuration(window_ms) + "]";
  const std::string by = JoinList(options.cache_by);
  std::string message;
  auto hits = InstantByLabels(
      engine, "sum by (" + by + ") (increase(" + options.cache_hits + range + "))", at, message);
  auto misses = InstantByLabels(
      engine, "sum by (" + by + ") (increase(" + options.cache_misses + range + "))", at, message);
  if (error != nullptr) *error = message;
  std::map<promql::Labels, CacheRatio> caches;
  for (const auto& [labels, value] : hits) caches[labels].hits = value;
  for (const auto& [labels, value] : misses) caches[labels].misses = value;
  for (auto& [labels, cache] : caches) {
    cache.labels = labels;
    cache.ratio = HitRatio(cache.hits, cache.misses);
    out.push_back(cache);
  }
  return out;
}

ReportSection BuildBottlenecksSection(const AnalysisContext& context) {
  ReportSection section;
  section.id = "bottlenecks";
  section.title = "Bottlenecks";
  const BottleneckOptions& options = context.config.bottlenecks;
  const Timestamp at = context.end > 0 ? context.end : context.now;
  std::int64_t window_ms = options.window.count() > 0 ? options.window.count() : at - context.start;
  // No report range (an instant evaluation): the last hour.
  if (context.start <= 0 || window_ms <= 0) window_ms = 3'600'000;
  section.data["window_seconds"] = static_cast<double>(window_ms) / 1000;
  section.data["top"] = options.top;
  section.data["families"] = nlohmann::json::array();
  std::vector<std::string> errors;

  section.blocks.push_back(ReportParagraph{
      "The slowest operations (p95) and those taking the largest share of time over the last " +
      FormatDuration(Duration(window_ms)) + ", top " +
      std::to_string(options.top) + " of each family."});
  for (const BottleneckFamily& family : options.families) {
    FamilyRanking ranking = RankFamily(context.engine, family, options.top, window_ms, at);
    nlohmann::json family_data = {{"name", family.name},
                                  {"histogram", family.histogram},
                                  {"by", family.by},
                                  {"total_seconds", NumberOrNull(ranking.total_seconds)},
                                  {"queries", ranking.queries},
                                  {"by_p95", nlohmann::json::array()},
                                  {"by_share", nlohmann::json::array()}};
    for (const OperationStats& op : ranking.by_p95) family_data["by_p95"].push_back(OperationJson(op));
    for (const OperationStats& op : ranking.by_share) family_data["by_share"].push_back(OperationJson(op));
    if (!ranking.error.empty()) {
      family_data["error"] = ranking.error;
      errors.push_back(family.name + ": " + ranking.error);
    }
    section.data["families"].push_back(std::move(family_data));

    if (ranking.by_p95.empty() && ranking.by_share.empty()) {
      section.blocks.push_back(ReportParagraph{
          family.name + " (" + family.histogram + "): no observations in the window."});
      continue;
    }
    section.blocks.push_back(ReportParagraph{
        family.name + " (" + family.histogram + ", by " + JoinList(family.by) + "): " +
        FormatQuantity(ranking.total_seconds, "seconds") + " spent in total. Top by p95:"});
    section.blocks.push_back(OperationTable(ranking.by_p95));
    ReportChart chart = P95Chart(context.engine, family, ranking.by_p95, kBottleneckChartLines,
                                 at - window_ms, at);
    if (!chart.lines.empty()) section.blocks.push_back(std::move(chart));
    section.blocks.push_back(ReportParagraph{family.name + ": top by share of total time:"});
    section.blocks.push_back(OperationTable(ranking.by_share));
  }

  std::string cache_error;
  std::vector<CacheRatio> caches =
      QueryCacheRatios(context.engine, options, window_ms, at, &cache_error);
  if (!cache_error.empty()) errors.push_back("caches: " + cache_error);
  section.data["caches"] = nlohmann::json::array();
  if (!caches.empty()) {
    ReportTable table;
    table.columns = {"cache", "hit ratio", "hits", "misses"};
    for (const CacheRatio& cache : caches) {
      table.rows.push_back({LabelPairs(cache.labels), Percent(cache.ratio), Count(cache.hits),
                            Count(cache.misses)});
      section.data["caches"].push_back({{"labels", LabelsJson(cache.labels)},
                                        {"hits", NumberOrNull(cache.hits)},
                                        {"misses", NumberOrNull(cache.misses)},
                                        {"hit_ratio", NumberOrNull(cache.ratio)}});
    }
    section.blocks.push_back(ReportParagraph{"Cache hit ratios:"});
    section.blocks.push_back(std::move(table));
  }

  if (!errors.empty()) {
    std::string joined;
    for (const std::string& e : errors) joined += (joined.empty() ? "" : "; ") + e;
    section.error = joined;
  }
  section.notes = {
      "p95 is histogram_quantile(0.95) over increase() of the buckets in the window: linear "
      "inside a bucket, so no finer than the bucket layout; a p95 in the +Inf bucket shows as "
      "the highest finite bound.",
      "Share of time is an operation's part of the family's summed _sum: time spent, not wall "
      "clock (concurrent operations overlap, so shares of a family add to 100 % while their "
      "time may exceed the window).",
      "increase() handles counter resets and extrapolates to the window's edges, so calls may "
      "be fractional.",
      "All rankings are PromQL (topk, histogram_quantile) through the query engine: a remote "
      "Prometheus gives the same table.",
      "Operations without observations in the window (p95 NaN) are left out.",
      "The chart draws the 3 slowest operations' p95 per step (rate over max(step, 5m)), so "
      "short spikes are smoothed.",
  };
  return section;
}

}  // namespace metricsd::analytics
