// The Sources of StatsD: the aggregated families (shards merged at scrape time) and
// metricsd_statsd_* counters saying what happened to every packet, line and sample.
#pragma once

#include <cstdint>
#include <functional>
#include <array>
#include <memory>
#include <string_view>
#include <vector>

#include "collectors/statsd/aggregator.h"
#include "daemon/core/mutex.h"
#include "daemon/core/source.h"

namespace metricsd::statsd {

struct VisitBuffers;  // statsd_source.cpp

// The aggregated StatsD families. Keeps the Aggregator alive as long as a scrape may still
// visit it.
//
// A visit copies what its visitor wants (Wants() per family) out of the series table under the
// table's shared lock, merges those series from the shards, and only then calls the visitor:
// receivers meeting a new series, and ttl expiry, wait for the copy, never for the rendering.
// Families the visitor does not want are neither copied nor merged nor announced.
//
// Thread-safety: thread-safe; Visit may run on several threads at once. The visitor's Wants()
// is called under the table's lock and must not ingest; its other callbacks run with no StatsD
// lock held and may.
class StatsdSource : public Source {
 public:
  explicit StatsdSource(std::shared_ptr<const Aggregator> aggregator);
  ~StatsdSource() override;
  std::string_view Name() const override { return "statsd"; }
  void Visit(FamilyVisitor& visitor) const override;

 private:
  std::unique_ptr<VisitBuffers> TakeBuffers() const;
  void ReturnBuffers(std::unique_ptr<VisitBuffers> buffers) const;

  std::shared_ptr<const Aggregator> aggregator_;
  // A visit's buffers (the copy of the table, the merge), kept for the next visit while they
  // are small (one set per concurrent visit). Big ones are freed after the visit: at 100,000
  // series a set is ~12 MiB, which would stay resident between scrapes, once per concurrent
  // visitor (scrape, history sampler, rules). Their vectors are above the mmap threshold
  // (main.cpp), so freeing returns the pages at once, and the next visit reserves what the
  // last one used: it pays the page faults (~3 ms at 100,000 series), not the regrowth.
  mutable Mutex pool_mutex_;
  mutable std::vector<std::unique_ptr<VisitBuffers>> pool_ ABSL_GUARDED_BY(pool_mutex_);
  // The last freed set's sizes: text bytes, families, series, merge items.
  mutable std::array<std::size_t, 4> last_sizes_ ABSL_GUARDED_BY(pool_mutex_){};
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
