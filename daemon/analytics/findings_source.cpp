#include "daemon/analytics/findings_source.h"

#include <algorithm>
#include <map>

namespace metricsd::analytics {
namespace {

struct KindFamily {
  std::string_view kind, family, help;
};
constexpr KindFamily kFamilies[] = {
    {"regression", "metricsd_analytics_regression",
     "Active regressions against the baseline: how much worse (percent), by watch and series."},
    {"degradation", "metricsd_analytics_degradation",
     "Gradual degradations (significant trends toward the threshold): change in percent per day."},
    {"leak", "metricsd_analytics_leak",
     "Possible memory leaks: resident memory growth in percent per day, by process group."},
    {"exhaustion", "metricsd_analytics_exhaustion_seconds",
     "Resources forecast to run out: seconds until the limit is reached."},
};

std::string FamilyOf(const std::string& kind) {
  for (const auto& f : kFamilies) {
    if (f.kind == kind) return std::string(f.family);
  }
  return "metricsd_analytics_" + kind;
}

}  // namespace

std::vector<FindingsSource::Exposed> FindingsSource::Expose(const std::vector<Finding>& findings) {
  std::vector<Exposed> out;
  out.reserve(findings.size());
  for (const Finding& finding : findings) {
    Exposed e{FamilyOf(finding.kind), {}, finding.magnitude};
    std::map<std::string, std::string> labels;
    for (const auto& label : finding.labels) {
      if (label.name == "__name__") continue;
      std::string name = label.name;
      if (name == "watch" || name == "severity") name = "exported_" + name;
      labels[name] = label.value;
    }
    labels["watch"] = finding.watch;
    labels["severity"] = finding.severity;
    e.labels.assign(labels.begin(), labels.end());
    out.push_back(std::move(e));
  }
  // Grouped by family: a family's samples must follow it.
  std::stable_sort(out.begin(), out.end(),
                   [](const Exposed& a, const Exposed& b) { return a.family < b.family; });
  // Two findings of one kind on one series (which a method should not produce) would be one
  // series twice on /metrics: keep the first.
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Exposed& a, const Exposed& b) {
                          return a.family == b.family && a.labels == b.labels;
                        }),
            out.end());
  return out;
}

void FindingsSource::Publish(std::vector<Finding> findings, RefreshStats stats) {
  auto exposed = std::make_shared<const std::vector<Exposed>>(Expose(findings));
  auto shared = std::make_shared<const std::vector<Finding>>(std::move(findings));
  MutexLock lock(mutex_);
  findings_ = std::move(shared);
  exposed_ = std::move(exposed);
  stats.reports_ok = stats_.reports_ok;
  stats.reports_failed = stats_.reports_failed;
  stats.events_stored = stats_.events_stored;
  stats.events_dropped = stats_.events_dropped;
  stats_ = stats;
}

void FindingsSource::CountReport(bool ok) {
  MutexLock lock(mutex_);
  ++(ok ? stats_.reports_ok : stats_.reports_failed);
}

void FindingsSource::CountAnnotation(bool stored) {
  MutexLock lock(mutex_);
  ++(stored ? stats_.events_stored : stats_.events_dropped);
}

std::vector<Finding> FindingsSource::findings() const {
  MutexLock lock(mutex_);
  return *findings_;
}

RefreshStats FindingsSource::stats() const {
  MutexLock lock(mutex_);
  return stats_;
}

void FindingsSource::Visit(FamilyVisitor& visitor) const {
  std::shared_ptr<const std::vector<Exposed>> exposed;
  RefreshStats stats;
  {
    MutexLock lock(mutex_);
    exposed = exposed_;
    stats = stats_;
  }
  // Every kind's family is announced even when empty, so a rule or dashboard can tell "no
  // finding" from "analytics not running".
  for (const auto& kind : kFamilies) {
    visitor.Family(kind.family, kind.help, MetricType::kGauge);
    for (const Exposed& e : *exposed) {
      if (e.family != kind.family) continue;
      std::vector<Label> labels;
      labels.reserve(e.labels.size());
      for (const auto& [name, value] : e.labels) labels.push_back({name, value});
      visitor.Sample(labels, e.value);
    }
  }
  visitor.Family("metricsd_analytics_refresh_duration_seconds",
                 "How long the last refresh of the findings took.", MetricType::kGauge);
  visitor.Sample({}, stats.duration_seconds);
  visitor.Family("metricsd_analytics_last_refresh_timestamp_seconds",
                 "When the last refresh of the findings ended (Unix seconds).", MetricType::kGauge);
  visitor.Sample({}, stats.last_timestamp_seconds);
  visitor.Family("metricsd_analytics_refreshes_total", "Refreshes of the findings.",
                 MetricType::kCounter);
  visitor.Sample({}, static_cast<double>(stats.refreshes));
  visitor.Family("metricsd_analytics_method_errors_total",
                 "Analytics methods that could not run in a refresh (a query failed).",
                 MetricType::kCounter);
  visitor.Sample({}, static_cast<double>(stats.errors));
  visitor.Family("metricsd_analytics_reports_total", "Reports made, by outcome.",
                 MetricType::kCounter);
  Label ok{"outcome", "success"}, failed{"outcome", "failure"};
  visitor.Sample(Labels(&ok, 1), static_cast<double>(stats.reports_ok));
  visitor.Sample(Labels(&failed, 1), static_cast<double>(stats.reports_failed));
  visitor.Family("metricsd_analytics_event_annotations_total",
                 "DogStatsD events stored as annotations, by outcome (dropped: the analytics "
                 "database was not open or failed, or 1,000 were already waiting).",
                 MetricType::kCounter);
  Label stored{"outcome", "stored"}, dropped{"outcome", "dropped"};
  visitor.Sample(Labels(&stored, 1), static_cast<double>(stats.events_stored));
  visitor.Sample(Labels(&dropped, 1), static_cast<double>(stats.events_dropped));
}

}  // namespace metricsd::analytics
