// The history store as the PromQL engine's Queryable: the series the matchers select, with
// their raw samples (staleness markers included) over the time the query needs.
//
// Thread-safety: thread-safe (the store is; this holds no state of its own).
#pragma once

#include <memory>

#include "daemon/query/promql/queryable.h"
#include "daemon/storage/store.h"

namespace metricsd::query::promql {

class StoreQueryable : public Queryable {
 public:
  explicit StoreQueryable(std::shared_ptr<storage::Store> store) : store_(std::move(store)) {}

  // Interface
  Matrix Select(const storage::Matchers& matchers, Timestamp mint, Timestamp maxt) override;

 private:
  std::shared_ptr<storage::Store> store_;
};

}  // namespace metricsd::query::promql
