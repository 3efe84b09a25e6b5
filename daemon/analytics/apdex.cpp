#include "daemon/analytics/apdex.h"
#include "daemon/analytics/numbers.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

namespace metricsd::analytics {
namespace {


}  // namespace

double ParseBucketBound(const std::string& text) {
  if (text == "+Inf" || text == "Inf" || text == "inf" || text == "+inf") {
    return std::numeric_limits<double>::infinity();
  }
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  return end == text.c_str() ? kNaN : value;
}

std::vector<Bucket> NormalizeBuckets(std::vector<Bucket> buckets) {
  std::erase_if(buckets, [](const Bucket& b) { return std::isnan(b.le); });
  std::sort(buckets.begin(), buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.le < b.le; });
  double running = 0;
  for (Bucket& b : buckets) {
    if (std::isnan(b.count)) b.count = running;
    running = std::max(running, b.count);
    b.count = running;
  }
  return buckets;
}

double TotalCount(std::span<const Bucket> buckets) {
  return buckets.empty() ? 0 : buckets.back().count;
}

CountAt CumulativeCountAt(std::span<const Bucket> buckets, double x) {
  CountAt out;
  if (buckets.empty()) return out;
  double lower_le = 0, lower_count = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const Bucket& b = buckets[i];
    if (x == b.le) {
      out.count = b.count;
      return out;
    }
    if (x < b.le) {
      if (std::isinf(b.le)) {
        // Past the highest finite bound: where inside (lower, +Inf) is unknown.
        out.count = lower_count;
        out.beyond = true;
        out.interpolated = true;
        return out;
      }
      // histogram_quantile's assumption: the first bucket starts at 0 (for positive bounds).
      if (i == 0 && b.le <= 0) {
        out.count = 0;
        out.interpolated = true;
        return out;
      }
      double lo = i == 0 ? 0 : lower_le;
      if (x <= lo) {
        out.count = lower_count;
      } else {
        out.count = lower_count + (b.count - lower_count) * (x - lo) / (b.le - lo);
      }
      out.interpolated = true;
      return out;
    }
    lower_le = b.le;
    lower_count = b.count;
  }
  // Past every bound and no +Inf bucket: the highest count, a lower bound.
  out.count = lower_count;
  out.beyond = true;
  out.interpolated = true;
  return out;
}

Apdex ComputeApdex(std::span<const Bucket> buckets, double t) {
  Apdex out;
  out.total = TotalCount(buckets);
  if (!(out.total > 0) || !(t > 0)) {
    out.score = kNaN;
    return out;
  }
  CountAt at_t = CumulativeCountAt(buckets, t);
  CountAt at_4t = CumulativeCountAt(buckets, 4 * t);
  out.satisfied = at_t.count;
  out.tolerating = std::max(0.0, at_4t.count - at_t.count);
  out.interpolated = at_t.interpolated || at_4t.interpolated;
  out.beyond = at_t.beyond || at_4t.beyond;
  out.score = (out.satisfied + out.tolerating / 2) / out.total;
  return out;
}

double ApdexFromBuckets(std::span<const Bucket> buckets, double t) {
  return ComputeApdex(buckets, t).score;
}

std::string_view ApdexBand(double score) {
  if (std::isnan(score)) return "n/a";
  if (score >= 0.94) return "excellent";
  if (score >= 0.85) return "good";
  if (score >= 0.70) return "fair";
  if (score >= 0.50) return "poor";
  return "unacceptable";
}

std::string PromDuration(std::int64_t ms) {
  ms = std::max<std::int64_t>(ms, 1);
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

BucketQuery QueryBuckets(QueryEngine& engine, std::string_view bucket_selector,
                         const std::vector<std::string>& by, std::int64_t window_ms,
                         Timestamp at) {
  BucketQuery out;
  std::string group;
  for (const std::string& label : by) group += label + ", ";
  out.query = "sum by (" + group + "le) (increase(" + std::string(bucket_selector) + "[" +
              PromDuration(window_ms) + "]))";
  promql::QueryResult result = engine.Instant(out.query, at);
  if (!result.ok()) {
    out.error = result.error.empty() ? "query failed" : result.error;
    return out;
  }
  const auto* vector = std::get_if<promql::Vector>(&result.value);
  if (vector == nullptr) {
    out.error = "expected an instant vector from " + out.query;
    return out;
  }
  std::map<promql::Labels, std::vector<Bucket>> groups;
  for (const promql::Sample& sample : *vector) {
    const std::string* le = promql::GetLabel(sample.labels, "le");
    if (le == nullptr) continue;
    promql::Labels labels = promql::DropMetricName(sample.labels);
    promql::SetLabel(labels, "le", "");
    groups[labels].push_back(Bucket{ParseBucketBound(*le), sample.v});
  }
  for (auto& [labels, buckets] : groups) {
    out.series.push_back(BucketSeries{labels, NormalizeBuckets(std::move(buckets))});
  }
  return out;
}

BucketRangeQuery QueryBucketSteps(QueryEngine& engine, std::string_view bucket_selector,
                                  const std::vector<std::string>& by, Timestamp start,
                                  Timestamp end, std::int64_t step_ms) {
  BucketRangeQuery out;
  std::string group;
  for (const std::string& label : by) group += label + ", ";
  out.query = "sum by (" + group + "le) (increase(" + std::string(bucket_selector) + "[" +
              PromDuration(step_ms) + "]))";
  if (step_ms <= 0 || end < start) return out;
  promql::QueryResult result = engine.Range(out.query, start, end, step_ms);
  if (!result.ok()) {
    out.error = result.error.empty() ? "query failed" : result.error;
    return out;
  }
  const auto* matrix = std::get_if<promql::Matrix>(&result.value);
  if (matrix == nullptr) return out;
  std::map<promql::Labels, std::map<Timestamp, std::vector<Bucket>>> groups;
  for (const promql::Series& series : *matrix) {
    const std::string* le = promql::GetLabel(series.labels, "le");
    if (le == nullptr) continue;
    const double bound = ParseBucketBound(*le);
    promql::Labels labels = promql::DropMetricName(series.labels);
    promql::SetLabel(labels, "le", "");
    auto& by_time = groups[labels];
    for (const promql::Point& p : series.points) by_time[p.t].push_back(Bucket{bound, p.v});
  }
  for (auto& [labels, by_time] : groups) {
    BucketSteps steps{labels, {}};
    for (auto& [t, buckets] : by_time) {
      steps.steps.emplace_back(t, NormalizeBuckets(std::move(buckets)));
    }
    out.series.push_back(std::move(steps));
  }
  return out;
}

}  // namespace metricsd::analytics
