#include "daemon/core/source_set.h"

#include <optional>

namespace metricsd {

void SourceSet::Visit(FamilyVisitor& visitor) const {
  for (const auto& source : sources_) source->Visit(visitor);

  // Statuses are read after the visits above, so a Source that collects while visited (the
  // process collector) reports on this very scrape.
  std::vector<std::pair<std::string_view, CollectionStatus>> statuses;
  statuses.reserve(sources_.size());
  for (const auto& source : sources_) {
    if (std::optional<CollectionStatus> status = source->LastCollection()) {
      statuses.emplace_back(source->Name(), *status);
    }
  }
  if (statuses.empty()) return;
  visitor.Family("metricsd_collector_success",
                 "Whether the collector's last collection succeeded (1) or failed (0).",
                 MetricType::kGauge);
  for (const auto& [name, status] : statuses) {
    Label label{"collector", name};
    visitor.Sample({&label, 1}, status.success ? 1 : 0);
  }
  visitor.Family("metricsd_collector_duration_seconds",
                 "How long the collector's last collection took.", MetricType::kGauge);
  for (const auto& [name, status] : statuses) {
    Label label{"collector", name};
    visitor.Sample({&label, 1}, status.duration_seconds);
  }
}

}  // namespace metricsd
