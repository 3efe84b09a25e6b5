// The sampler: one visit of the SourceSet every history.interval becomes one pass of the store,
// every sample at the pass's timestamp, flattened as Prometheus stores a scrape of /metrics
// (a histogram becomes name_bucket{le}, name_sum and name_count; a summary name{quantile},
// name_sum and name_count; `le` and `quantile` formatted as the /metrics writer formats them),
// so history holds exactly what a Prometheus scraping us would hold.
//
// Thread-safety: not thread-safe; one sampler, run by one periodic job.
#pragma once

#include <cstdint>
#include <memory>

#include "daemon/core/source_set.h"
#include "daemon/storage/series_key.h"
#include "daemon/storage/store.h"

namespace metricsd::storage {

class Sampler {
 public:
  explicit Sampler(std::shared_ptr<Store> store) : store_(std::move(store)) {}

  // Visits `sources` once and appends everything at `t` (ms since the epoch).
  void SampleOnce(const SourceSet& sources, Timestamp t);


 private:
  std::shared_ptr<Store> store_;
  SeriesKeyBuilder builder_;
};

}  // namespace metricsd::storage
