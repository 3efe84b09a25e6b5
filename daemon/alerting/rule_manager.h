// Runs the rule groups: each on its own PeriodicJob on the io_context, on absolute deadlines
// (interval after interval, phase spread by the group's name), every rule a PromQL query
// through the QueryService at the group's evaluation time (threshold rules compiled for their
// families' types as the live Sources announce them). Keeps alert state across reloads,
// exposes ALERTS, ALERTS_FOR_STATE and the rule and notification metrics as a Source, the
// recording rules' results as another (for the history sampler, and /metrics if configured),
// and answers /api/v1/alerts and /api/v1/rules.
//
// Thread-safety: every method may be called from any thread; a group's evaluations run one at
// a time (its job's strand), different groups' concurrently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/alerting/alerting_config.h"
#include "daemon/alerting/notifier.h"
#include "daemon/alerting/rule_evaluator.h"
#include "absl/base/thread_annotations.h"
#include "daemon/core/asio.h"
#include "daemon/core/mutex.h"
#include "daemon/core/route.h"
#include "daemon/core/source_set.h"

namespace metricsd::alerting {

class RuleManager : public std::enable_shared_from_this<RuleManager> {
 public:
  using SourcesFn = std::function<SourceSetPtr()>;

  RuleManager(net::io_context& ioc, SourcesFn sources);
  ~RuleManager();

  // Starts (or restarts) evaluation with `config`. A rule of the same group and alert name
  // that selects and computes the same thing keeps its alerts and history; its timing,
  // threshold, labels and annotations may change. `default_external_url` is used when the
  // config has none (http://HOSTNAME:PORT).
  void Configure(std::shared_ptr<const AlertingConfig> config, std::string default_external_url);
  void Stop();

  // Where activeAt comes back from after a restart: the newest ALERTS_FOR_STATE sample with
  // exactly `labels` in [mint, maxt] (unix seconds) as (value, sample time), if any. `ready`
  // says whether history can answer yet (it opens in the background); until it can, the
  // restore waits. Set once, before Configure.
  struct ForStateHistory {
    std::function<bool()> ready;
    std::function<std::optional<std::pair<double, double>>(const LabelMap& labels, double mint,
                                                           double maxt)>
        last;
  };
  void SetForStateHistory(ForStateHistory history);

  // The engine rules query. Set once, before Configure. Without it every evaluation fails
  // ("no query engine").
  void SetQueryService(std::shared_ptr<query::QueryService> service);

  std::shared_ptr<const Source> MakeSource() const;
  // The recording rules' last results, one family per record name (untyped, as Prometheus
  // writes them). The same Source every call.
  std::shared_ptr<const Source> RecordingSource();
  // `sources` with RecordingSource() added unless it is there already: what the history
  // sampler visits, so recording rules reach history whether or not /metrics shows them.
  SourceSetPtr WithRecordingSource(SourceSetPtr sources);
  // Prometheus's /api/v1/alerts and /api/v1/rules answers.
  nlohmann::json AlertsJson() const;
  nlohmann::json RulesJson() const;

  struct Group;

 private:
  void Evaluate(const std::shared_ptr<Group>& group);
  std::vector<std::shared_ptr<Group>> Groups() const;

  // Prometheus's RestoreForState for one rule's alerts, on its first evaluations after start.
  void RestoreForState(const Rule& rule, RuleState& state, double now, Duration outage_tolerance,
                       Duration grace_period);

  net::io_context& ioc_;
  SourcesFn sources_;
  std::shared_ptr<query::QueryService> query_service_;
  ForStateHistory for_state_;
  const double started_at_;  // wall seconds at construction: samples before it are the last run's
  std::shared_ptr<Notifier> notifier_;
  mutable Mutex mutex_;
  std::vector<std::shared_ptr<Group>> groups_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<const AlertingConfig> config_ ABSL_GUARDED_BY(mutex_);
  std::string external_url_ ABSL_GUARDED_BY(mutex_);
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  std::shared_ptr<const Source> recording_source_ ABSL_GUARDED_BY(mutex_);
};

// GET /api/v1/alerts and /api/v1/rules. `manager` must outlive every request the routes serve;
// null only where the routes are listed, never served (the README table).
Routes RuleManagerRoutes(const RuleManager* manager);

}  // namespace metricsd::alerting
