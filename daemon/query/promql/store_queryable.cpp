#include "daemon/query/promql/store_queryable.h"

#include <algorithm>

namespace metricsd::query::promql {

Matrix StoreQueryable::Select(const storage::Matchers& matchers, Timestamp mint,
                              Timestamp maxt) {
  Matrix out;
  if (store_ == nullptr) return out;
  const std::vector<storage::SeriesRef> refs = store_->Select({matchers}, mint, maxt);
  out.reserve(refs.size());
  std::vector<storage::Sample> samples;
  for (storage::SeriesRef ref : refs) {
    samples.clear();
    store_->RawSamples(ref, mint, maxt, samples);
    if (samples.empty()) continue;
    Series series;
    series.labels = LabelsFromKey(store_->Key(ref));
    series.points.reserve(samples.size());
    for (const storage::Sample& s : samples) series.points.push_back(Point{s.t, s.v});
    out.push_back(std::move(series));
  }
  // The store answers in ref order; Prometheus's series sets are sorted by labels.
  std::sort(out.begin(), out.end(),
            [](const Series& a, const Series& b) { return a.labels < b.labels; });
  return out;
}

}  // namespace metricsd::query::promql
