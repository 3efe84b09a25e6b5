// Where the engine reads series: the history store in the daemon (store_queryable.h), series
// held in memory in tests. One Select per selector per query, over the whole time the query
// needs, so a store reads each chunk once.
//
// Thread-safety: implementations are thread-safe (queries run concurrently).
#pragma once

#include <vector>

#include "daemon/query/promql/value.h"
#include "daemon/storage/label_matcher.h"

namespace metricsd::query::promql {

class Queryable {
 public:
  virtual ~Queryable() = default;
  // Every series all `matchers` match that has samples in [mint, maxt] (ms), with those
  // samples (ascending; Prometheus's staleness markers included, as stored); sorted by labels.
  virtual Matrix Select(const storage::Matchers& matchers, Timestamp mint, Timestamp maxt) = 0;
};

}  // namespace metricsd::query::promql
