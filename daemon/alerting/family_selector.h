// The alert evaluator's view of the Source stream: a visitor that copies only the families
// the rules name, so rules see exactly what /metrics serves at the moment they run.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/alerting/template.h"
#include "daemon/core/source.h"

namespace metricsd::alerting {

struct SelectedSeries {
  LabelMap labels;
  double value = 0;                 // counter, gauge, untyped
  std::vector<double> bounds;       // histogram: finite upper bounds, ascending
  std::vector<double> buckets;      // histogram: cumulative counts per bound, then +Inf (= count)
  std::vector<Quantile> quantiles;  // summary
  double sum = 0;
  double count = 0;                 // histogram and summary
};

struct SelectedFamily {
  MetricType type = MetricType::kUntyped;
  std::vector<SelectedSeries> series;
};

using Selection = std::map<std::string, SelectedFamily, std::less<>>;

class FamilySelector final : public FamilyVisitor {
 public:
  explicit FamilySelector(std::set<std::string, std::less<>> names) : names_(std::move(names)) {}

  void Family(std::string_view name, std::string_view help, MetricType type) override;
  void Sample(Labels labels, double value) override;
  void Histogram(Labels labels, std::span<const double> upper_bounds,
                 std::span<const std::uint64_t> cumulative_counts, double sum,
                 std::uint64_t count) override;
  void Summary(Labels labels, std::span<const Quantile> quantiles, double sum,
               std::uint64_t count) override;
  bool Wants(std::string_view family) const override { return names_.contains(family); }

  Selection Take() { return std::move(selection_); }

 private:
  SelectedSeries* Add(Labels labels);

  std::set<std::string, std::less<>> names_;
  Selection selection_;
  SelectedFamily* current_ = nullptr;  // null while skipping a family no rule names
};

}  // namespace metricsd::alerting
