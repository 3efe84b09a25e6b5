// metricsd_analytics_*: the current findings as gauges, so alert rules (and a central
// Prometheus) can use them, and how the refreshes go.
//   metricsd_analytics_regression{watch, severity, <series labels>}   magnitude, % worse
//   metricsd_analytics_degradation{...}                                change, % per day
//   metricsd_analytics_leak{...}                                       growth, % per day
//   metricsd_analytics_exhaustion_seconds{...}                         time left
// A series label that collides with `watch` or `severity` is renamed `exported_<name>`, as
// Prometheus does with honor_labels: false.
//
// Thread-safety: thread-safe; Publish() from the refresh thread, Visit() from scrapes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/analytics/finding.h"
#include "daemon/core/mutex.h"
#include "daemon/core/source.h"

namespace metricsd::analytics {

struct RefreshStats {
  double duration_seconds = 0;     // the last refresh
  double last_timestamp_seconds = 0;
  std::uint64_t refreshes = 0;
  std::uint64_t errors = 0;        // methods that failed (a query error), summed
  std::uint64_t reports_ok = 0, reports_failed = 0;
  std::uint64_t events_stored = 0, events_dropped = 0;  // DogStatsD events as annotations
};

class FindingsSource : public Source {
 public:
  std::string_view Name() const override { return "analytics"; }
  void Visit(FamilyVisitor& visitor) const override;

  void Publish(std::vector<Finding> findings, RefreshStats stats);
  void CountReport(bool ok);
  void CountAnnotation(bool stored);
  std::vector<Finding> findings() const;
  RefreshStats stats() const;

 private:
  // The label pairs each finding is exposed with, built once per Publish.
  struct Exposed {
    std::string family;
    std::vector<std::pair<std::string, std::string>> labels;
    double value;
  };
  static std::vector<Exposed> Expose(const std::vector<Finding>& findings);

  mutable Mutex mutex_;
  std::shared_ptr<const std::vector<Finding>> findings_ ABSL_GUARDED_BY(mutex_) =
      std::make_shared<const std::vector<Finding>>();
  std::shared_ptr<const std::vector<Exposed>> exposed_ ABSL_GUARDED_BY(mutex_) =
      std::make_shared<const std::vector<Exposed>>();
  RefreshStats stats_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace metricsd::analytics
