#include "daemon/alerting/family_selector.h"

namespace metricsd::alerting {

void FamilySelector::Family(std::string_view name, std::string_view, MetricType type) {
  current_ = nullptr;
  if (!names_.contains(name)) return;
  auto [it, inserted] = selection_.try_emplace(std::string(name));
  // Two Sources announcing one family (they should not) merge, keeping the first type.
  if (inserted) it->second.type = type;
  current_ = &it->second;
}

SelectedSeries* FamilySelector::Add(Labels labels) {
  if (current_ == nullptr) return nullptr;
  SelectedSeries& series = current_->series.emplace_back();
  for (const Label& label : labels) series.labels.emplace(label.name, label.value);
  return &series;
}

void FamilySelector::Sample(Labels labels, double value) {
  if (SelectedSeries* series = Add(labels)) series->value = value;
}

void FamilySelector::Histogram(Labels labels, std::span<const double> upper_bounds,
                               std::span<const std::uint64_t> cumulative_counts, double sum,
                               std::uint64_t count) {
  SelectedSeries* series = Add(labels);
  if (series == nullptr) return;
  series->bounds.assign(upper_bounds.begin(), upper_bounds.end());
  series->buckets.assign(cumulative_counts.begin(), cumulative_counts.end());
  series->buckets.push_back(static_cast<double>(count));
  series->sum = sum;
  series->count = static_cast<double>(count);
}

void FamilySelector::Summary(Labels labels, std::span<const Quantile> quantiles, double sum,
                             std::uint64_t count) {
  SelectedSeries* series = Add(labels);
  if (series == nullptr) return;
  series->quantiles.assign(quantiles.begin(), quantiles.end());
  series->sum = sum;
  series->count = static_cast<double>(count);
}

}  // namespace metricsd::alerting
