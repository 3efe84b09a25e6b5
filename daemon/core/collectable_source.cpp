#include "daemon/core/collectable_source.h"

#include <prometheus/metric_family.h>

#include <cmath>
#include <utility>
#include <vector>

namespace metricsd {
namespace {

MetricType FromPrometheus(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return MetricType::kCounter;
    case prometheus::MetricType::Gauge: return MetricType::kGauge;
    case prometheus::MetricType::Histogram: return MetricType::kHistogram;
    case prometheus::MetricType::Summary: return MetricType::kSummary;
    default: return MetricType::kUntyped;
  }
}

}  // namespace

CollectableSource::CollectableSource(std::string name,
                                     std::shared_ptr<const prometheus::Collectable> collectable)
    : name_(std::move(name)), collectable_(std::move(collectable)) {}

void CollectableSource::Visit(FamilyVisitor& visitor) const {
  std::vector<Label> labels;
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;
  std::vector<Quantile> quantiles;
  for (const prometheus::MetricFamily& family : collectable_->Collect()) {
    MetricType type = FromPrometheus(family.type);
    visitor.Family(family.name, family.help, type);
    for (const prometheus::ClientMetric& metric : family.metric) {
      labels.clear();
      for (const auto& label : metric.label) labels.push_back({label.name, label.value});
      switch (type) {
        case MetricType::kCounter: visitor.Sample(labels, metric.counter.value); break;
        case MetricType::kGauge: visitor.Sample(labels, metric.gauge.value); break;
        case MetricType::kUntyped: visitor.Sample(labels, metric.untyped.value); break;
        case MetricType::kHistogram:
          bounds.clear();
          counts.clear();
          for (const auto& bucket : metric.histogram.bucket) {
            if (std::isinf(bucket.upper_bound)) continue;  // the visitor adds +Inf itself
            bounds.push_back(bucket.upper_bound);
            counts.push_back(bucket.cumulative_count);
          }
          visitor.Histogram(labels, bounds, counts, metric.histogram.sample_sum,
                            metric.histogram.sample_count);
          break;
        case MetricType::kSummary:
          quantiles.clear();
          for (const auto& q : metric.summary.quantile) quantiles.push_back({q.quantile, q.value});
          visitor.Summary(labels, quantiles, metric.summary.sample_sum,
                          metric.summary.sample_count);
          break;
      }
    }
  }
}

}  // namespace metricsd
