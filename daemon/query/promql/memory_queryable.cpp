#include "daemon/query/promql/memory_queryable.h"

#include <algorithm>

namespace metricsd::query::promql {

void MemoryQueryable::Add(Labels labels, std::vector<Point> points) {
  auto it = std::lower_bound(series_.begin(), series_.end(), labels,
                             [](const Series& s, const Labels& l) { return s.labels < l; });
  if (it != series_.end() && it->labels == labels) {
    it->points.insert(it->points.end(), points.begin(), points.end());
    std::stable_sort(it->points.begin(), it->points.end(),
                     [](const Point& a, const Point& b) { return a.t < b.t; });
    return;
  }
  series_.insert(it, Series{std::move(labels), std::move(points)});
}

Matrix MemoryQueryable::Select(const storage::Matchers& matchers, Timestamp mint,
                               Timestamp maxt) {
  Matrix out;
  for (const Series& series : series_) {
    const bool match = std::all_of(matchers.begin(), matchers.end(), [&](const auto& m) {
      const std::string* value = GetLabel(series.labels, m.name());
      return m.Matches(value != nullptr ? std::string_view(*value) : std::string_view());
    });
    if (!match) continue;
    auto begin = std::lower_bound(series.points.begin(), series.points.end(), mint,
                                  [](const Point& p, Timestamp t) { return p.t < t; });
    auto end = std::upper_bound(begin, series.points.end(), maxt,
                                [](Timestamp t, const Point& p) { return t < p.t; });
    if (begin == end) continue;
    out.push_back(Series{series.labels, std::vector<Point>(begin, end)});
  }
  return out;
}

}  // namespace metricsd::query::promql
