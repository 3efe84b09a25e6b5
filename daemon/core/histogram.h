// A cumulative histogram with fixed bucket bounds, for latency distributions the daemon keeps
// itself (HTTP requests now; probes and StatsD observers later).
//
// Not synchronised: the owner guards it (one writer thread, or a mutex shared with readers).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "daemon/core/source.h"

namespace metricsd {

class Histogram {
 public:
  // `upper_bounds` are finite, strictly increasing; +Inf is implicit. Throws
  // std::invalid_argument otherwise (a programming error, as in prometheus-cpp).
  explicit Histogram(std::vector<double> upper_bounds)
      : bounds_(std::move(upper_bounds)), counts_(bounds_.size(), 0) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
      throw std::invalid_argument("histogram bounds must increase strictly");
    }
  }

  void Observe(double value) {
    // counts_ are per bucket here; Visit makes them cumulative.
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    if (it != bounds_.end()) ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    sum_ += value;
    ++count_;
  }

  // Streams one histogram sample with `labels` to the current family of `visitor`.
  void Visit(FamilyVisitor& visitor, Labels labels) const {
    cumulative_.resize(counts_.size());
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) cumulative_[i] = running += counts_[i];
    visitor.Histogram(labels, bounds_, cumulative_, sum_, count_);
  }

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  mutable std::vector<std::uint64_t> cumulative_;  // scratch for Visit; same guard as the rest
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace metricsd
