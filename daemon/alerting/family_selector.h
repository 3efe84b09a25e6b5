// What threshold rules need of the live Sources: the type of each family they name, as
// /metrics announces it, so each compiles to the PromQL of that type (threshold_query.h). The
// values themselves come from history, through the PromQL engine.
//
// Thread-safety: one visit at a time (a visitor is used by the one thread that visits).
#pragma once

#include <map>
#include <set>
#include <string>

#include "daemon/core/source.h"

namespace metricsd::alerting {

// Family name to type.
using FamilyTypes = std::map<std::string, MetricType, std::less<>>;

class FamilyTypeReader final : public FamilyVisitor {
 public:
  explicit FamilyTypeReader(std::set<std::string, std::less<>> names) : names_(std::move(names)) {}

  void Family(std::string_view name, std::string_view help, MetricType type) override;
  void Sample(Labels, double) override {}
  void Histogram(Labels, std::span<const double>, std::span<const std::uint64_t>, double,
                 std::uint64_t) override {}
  void Summary(Labels, std::span<const Quantile>, double, std::uint64_t) override {}
  bool Wants(std::string_view family) const override { return names_.contains(family); }

  FamilyTypes Take() { return std::move(types_); }

 private:
  std::set<std::string, std::less<>> names_;
  FamilyTypes types_;
};

}  // namespace metricsd::alerting
