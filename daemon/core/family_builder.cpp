#include "daemon/core/family_builder.h"

#include <limits>
#include <stdexcept>
#include <string>

namespace metricsd {
namespace {

prometheus::MetricType ToPrometheus(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return prometheus::MetricType::Counter;
    case MetricType::kGauge: return prometheus::MetricType::Gauge;
    case MetricType::kHistogram: return prometheus::MetricType::Histogram;
    case MetricType::kSummary: return prometheus::MetricType::Summary;
    case MetricType::kUntyped: return prometheus::MetricType::Untyped;
  }
  return prometheus::MetricType::Untyped;
}

}  // namespace

void FamilyBuilder::Family(std::string_view name, std::string_view help, MetricType type) {
  prometheus::MetricFamily& family = families_.emplace_back();
  family.name = std::string(name);
  family.help = std::string(help);
  family.type = ToPrometheus(type);
}

prometheus::ClientMetric& FamilyBuilder::AddMetric(Labels labels) {
  if (families_.empty()) throw std::logic_error("FamilyBuilder: sample before any family");
  prometheus::ClientMetric& metric = families_.back().metric.emplace_back();
  for (const Label& label : labels) {
    metric.label.push_back({std::string(label.name), std::string(label.value)});
  }
  return metric;
}

void FamilyBuilder::Sample(Labels labels, double value) {
  prometheus::ClientMetric& metric = AddMetric(labels);
  switch (families_.back().type) {
    case prometheus::MetricType::Counter: metric.counter.value = value; break;
    case prometheus::MetricType::Gauge: metric.gauge.value = value; break;
    default: metric.untyped.value = value; break;
  }
}

void FamilyBuilder::Histogram(Labels labels, std::span<const double> upper_bounds,
                              std::span<const std::uint64_t> cumulative_counts, double sum,
                              std::uint64_t count) {
  prometheus::ClientMetric& metric = AddMetric(labels);
  metric.histogram.sample_count = count;
  metric.histogram.sample_sum = sum;
  for (std::size_t i = 0; i < upper_bounds.size() && i < cumulative_counts.size(); ++i) {
    metric.histogram.bucket.push_back({cumulative_counts[i], upper_bounds[i]});
  }
  // prometheus-cpp's own Histogram always ends with the +Inf bucket.
  metric.histogram.bucket.push_back({count, std::numeric_limits<double>::infinity()});
}

void FamilyBuilder::Summary(Labels labels, std::span<const Quantile> quantiles, double sum,
                            std::uint64_t count) {
  prometheus::ClientMetric& metric = AddMetric(labels);
  metric.summary.sample_count = count;
  metric.summary.sample_sum = sum;
  for (const Quantile& q : quantiles) metric.summary.quantile.push_back({q.quantile, q.value});
}

std::vector<prometheus::MetricFamily> CollectFamilies(const Source& source) {
  FamilyBuilder builder;
  source.Visit(builder);
  return std::move(builder.families());
}

}  // namespace metricsd
