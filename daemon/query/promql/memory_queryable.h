// Series held in memory as a Queryable: the conformance suite, unit tests, fuzz targets and
// benchmarks load data into it.
//
// Thread-safety: Add() before any Select(); Select() may then run concurrently.
#pragma once

#include "daemon/query/promql/queryable.h"

namespace metricsd::query::promql {

class MemoryQueryable : public Queryable {
 public:
  // Adds a series (points ascending). A series with the same labels is merged into.
  void Add(Labels labels, std::vector<Point> points);
  Matrix Select(const storage::Matchers& matchers, Timestamp mint, Timestamp maxt) override;
  const Matrix& series() const { return series_; }

 private:
  Matrix series_;  // sorted by labels
};

}  // namespace metricsd::query::promql
