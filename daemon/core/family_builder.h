// Adapts the Source stream to prometheus-cpp's data model (std::vector<MetricFamily>).
//
// Tests use it to prove TextWriter against TextSerializer; anything that wants the standard
// model can have it. It allocates per label and sample, so it is not for the scrape path.
#pragma once

#include <vector>

#include <prometheus/metric_family.h>

#include "daemon/core/source.h"

namespace metricsd {

// Thread-safety: not thread-safe; one builder per collection.
class FamilyBuilder final : public FamilyVisitor {
 public:
  // Interface
  void Family(std::string_view name, std::string_view help, MetricType type) override;
  void Sample(Labels labels, double value) override;
  void Histogram(Labels labels, std::span<const double> upper_bounds,
                 std::span<const std::uint64_t> cumulative_counts, double sum,
                 std::uint64_t count) override;
  void Summary(Labels labels, std::span<const Quantile> quantiles, double sum,
               std::uint64_t count) override;

  std::vector<prometheus::MetricFamily>& families() { return families_; }

 private:
  prometheus::ClientMetric& AddMetric(Labels labels);

  std::vector<prometheus::MetricFamily> families_;
};

// Convenience: visits `source` and returns what it streamed.
std::vector<prometheus::MetricFamily> CollectFamilies(const Source& source);

}  // namespace metricsd
