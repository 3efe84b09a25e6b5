// Synthetic histories for the UX, bottleneck and comparison tests: counters that grow at a
// known rate, so increase() over any window inside the data is known exactly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/analytics/query_engine.h"
#include "daemon/query/promql/memory_queryable.h"

namespace metricsd::analytics::testing {

namespace promql = query::promql;

inline constexpr promql::Timestamp kStart = 1'700'000'000'000;   // data begins
inline constexpr promql::Timestamp kEnd = kStart + 6 * 3'600'000;  // and ends (6 h)
inline constexpr std::int64_t kScrape = 15'000;

inline promql::Labels MakeLabels(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  promql::Labels labels;
  for (const auto& [name, value] : pairs) labels.push_back({name, value});
  std::sort(labels.begin(), labels.end());
  return labels;
}

// A counter rising by `per_second` every second from kStart to kEnd, scraped every 15 s.
inline void AddCounter(promql::MemoryQueryable& q, promql::Labels labels, double per_second) {
  std::vector<promql::Point> points;
  for (promql::Timestamp t = kStart; t <= kEnd; t += kScrape) {
    points.push_back({t, per_second * static_cast<double>(t - kStart) / 1000});
  }
  q.Add(std::move(labels), std::move(points));
}

// A gauge with the values `f(t)` every 15 s from kStart to kEnd.
template <class F>
void AddGauge(promql::MemoryQueryable& q, promql::Labels labels, F f) {
  std::vector<promql::Point> points;
  for (promql::Timestamp t = kStart; t <= kEnd; t += kScrape) points.push_back({t, f(t)});
  q.Add(std::move(labels), std::move(points));
}

// A histogram family `name` with `extra` labels: per second, `per_second[i]` observations fall
// at or below bounds[i] (cumulative, the last being +Inf), summing to `sum_per_second`.
inline void AddHistogram(promql::MemoryQueryable& q, const std::string& name,
                         std::initializer_list<std::pair<std::string, std::string>> extra,
                         const std::vector<std::pair<std::string, double>>& cumulative_per_second,
                         double sum_per_second) {
  for (const auto& [le, rate] : cumulative_per_second) {
    promql::Labels labels = MakeLabels(extra);
    labels.push_back({"__name__", name + "_bucket"});
    labels.push_back({"le", le});
    std::sort(labels.begin(), labels.end());
    AddCounter(q, labels, rate);
  }
  promql::Labels sum = MakeLabels(extra);
  sum.push_back({"__name__", name + "_sum"});
  std::sort(sum.begin(), sum.end());
  AddCounter(q, sum, sum_per_second);
  promql::Labels count = MakeLabels(extra);
  count.push_back({"__name__", name + "_count"});
  std::sort(count.begin(), count.end());
  AddCounter(q, count, cumulative_per_second.back().second);
}

}  // namespace metricsd::analytics::testing
