// The Sources of StatsD: the aggregated families (shards merged at scrape time) and
// metricsd_statsd_* counters saying what happened to every packet, line and sample.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "collectors/statsd/aggregator.h"
#include "daemon/core/source.h"

namespace metricsd::statsd {

// Keeps the Aggregator alive as long as a scrape may still visit it.
class StatsdSource : public Source {
 public:
  explicit StatsdSource(std::shared_ptr<const Aggregator> aggregator)
      : aggregator_(std::move(aggregator)) {}
  std::string_view Name() const override { return "statsd"; }
  void Visit(FamilyVisitor& visitor) const override;

 private:
  std::shared_ptr<const Aggregator> aggregator_;
};

class StatsdSelfSource : public Source {
 public:
  // `kernel_drops` reads the kernel's drop count for our UDP sockets (may be empty).
  StatsdSelfSource(std::shared_ptr<const Aggregator> aggregator,
                   std::function<std::uint64_t()> kernel_drops)
      : aggregator_(std::move(aggregator)), kernel_drops_(std::move(kernel_drops)) {}
  std::string_view Name() const override { return "statsd_self"; }
  void Visit(FamilyVisitor& visitor) const override;

 private:
  std::shared_ptr<const Aggregator> aggregator_;
  std::function<std::uint64_t()> kernel_drops_;
};

}  // namespace metricsd::statsd
