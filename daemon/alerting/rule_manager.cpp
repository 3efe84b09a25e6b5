#include "daemon/alerting/rule_manager.h"

#include <algorithm>
#include <functional>
#include <charconv>
#include <cmath>
#include <set>

#include "daemon/core/logging.h"
#include "daemon/core/periodic_job.h"

namespace metricsd::alerting {
namespace {

using SteadyClock = std::chrono::steady_clock;

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Prometheus writes a never-evaluated time as Go's zero time.
std::string TimestampOrZero(double unix_seconds) {
  return unix_seconds == 0 ? "0001-01-01T00:00:00Z" : FormatTimestamp(unix_seconds);
}

// Prometheus's API value format: strconv.FormatFloat(v, 'e', -1, 64).
std::string ApiValue(double value) {
  if (!std::isfinite(value)) return FormatGoFloat(value);
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  return std::string(buffer, end);
}

nlohmann::json AlertJson(const Alert& alert) {
  nlohmann::json annotations = nlohmann::json::object();
  for (const auto& [name, value] : alert.annotations) annotations[name] = value;
  nlohmann::json out = {{"labels", alert.labels},
                        {"annotations", annotations},
                        {"state", AlertStateName(alert.state)},
                        {"activeAt", FormatTimestamp(alert.active_at)},
                        {"value", ApiValue(alert.value)}};
  if (alert.keep_firing_since != 0) out["keepFiringSince"] = FormatTimestamp(alert.keep_firing_since);
  return out;
}

bool IsActive(const Alert& alert) { return alert.state != AlertState::kInactive; }

}  // namespace

struct RuleManager::Group {
  // Set once by Configure, read-only after.
  RuleGroup config;
  std::set<std::string, std::less<>> families;  // threshold rules' families: their types are read
  LabelMap external_labels;
  std::string generator_url;
  double resend_delay = 60;
  Duration outage_tolerance{};
  Duration for_grace_period{};

  // Runs Evaluate on the wall-clock slots phase + k x interval; set once by Configure.
  std::shared_ptr<PeriodicJob> job;
  double phase = 0;  // seconds into each interval

  mutable Mutex mutex;
  std::vector<RuleState> states ABSL_GUARDED_BY(mutex);  // one per rule
  bool stopped ABSL_GUARDED_BY(mutex) = false;
  double last_evaluation ABSL_GUARDED_BY(mutex) = 0;
  double last_duration ABSL_GUARDED_BY(mutex) = 0;
  std::uint64_t evaluations ABSL_GUARDED_BY(mutex) = 0;
  std::uint64_t failures ABSL_GUARDED_BY(mutex) = 0;
  // Runs the groups this one replaced on reload missed.
  std::uint64_t missed_before ABSL_GUARDED_BY(mutex) = 0;

  // Runs skipped because the previous one overran, across reloads.
  std::uint64_t Missed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    return missed_before + (job ? job->missed() : 0);
  }
};

namespace {

class AlertingSource final : public Source {
 public:
  explicit AlertingSource(std::function<void(FamilyVisitor&)> visit) : visit_(std::move(visit)) {}
  std::string_view Name() const override { return "alerting"; }
  void Visit(FamilyVisitor& visitor) const override { visit_(visitor); }

 private:
  std::function<void(FamilyVisitor&)> visit_;
};

}  // namespace

RuleManager::RuleManager(net::io_context& ioc, SourcesFn sources)
    : ioc_(ioc), sources_(std::move(sources)), started_at_(WallSeconds()),
      notifier_(std::make_shared<Notifier>(ioc)) {}

void RuleManager::SetForStateHistory(ForStateHistory history) { for_state_ = std::move(history); }

void RuleManager::RestoreForState(const Rule& rule, RuleState& state, double now,
                                  Duration outage_tolerance, Duration grace_period) {
  double hold = Seconds(rule.hold);
  double grace = Seconds(grace_period);
  // As Prometheus: a `for` shorter than the grace period is not worth restoring (waiting the
  // grace period would be longer than the rule's own wait).
  if (hold <= 0 || hold < grace) return;
  for (auto& [key, alert] : state.alerts) {
    if (alert.state == AlertState::kInactive) continue;
    // Only the last run's samples: this run's own ALERTS_FOR_STATE says "now".
    auto last = for_state_.last(alert.labels, now - Seconds(outage_tolerance), started_at_);
    if (!last) continue;
    auto [restored, down_at] = *last;
    double remaining = hold - (down_at - restored);
    if (remaining <= 0) {
      // It was firing when we went down: the next evaluation fires it again.
    } else if (remaining < grace) {
      restored = now + grace - hold;
    } else {
      restored += now - down_at;  // the time spent down does not count as pending
    }
    alert.active_at = restored;
    LogInfo("alert activeAt restored from history",
            {{"alert", rule.alert}, {"labels", key}, {"active_at", FormatTimestamp(restored)}});
  }
}

// No Stop() here: the last reference may go while the io_context is being destroyed, when
// nothing may be posted to it. Timer handlers hold only a weak reference and end by themselves.
RuleManager::~RuleManager() = default;

std::vector<std::shared_ptr<RuleManager::Group>> RuleManager::Groups() const {
  MutexLock lock(mutex_);
  return groups_;
}

void RuleManager::Configure(std::shared_ptr<const AlertingConfig> config,
                            std::string default_external_url) {
  MutexLock lock(mutex_);
  external_url_ = config->external_url.empty() ? std::move(default_external_url) : config->external_url;
  while (external_url_.ends_with('/')) external_url_.pop_back();
  notifier_->Configure(*config, external_url_);

  std::vector<std::shared_ptr<Group>> next;
  for (const RuleGroup& wanted : config->groups) {
    auto group = std::make_shared<Group>();
    group->config = wanted;
    for (const Rule& rule : wanted.rules) {
      if (!rule.IsThreshold()) continue;
      group->families.insert(rule.metric);
      if (!rule.divide_by.empty()) group->families.insert(rule.divide_by);
    }
    group->external_labels = config->external_labels;
    group->generator_url = external_url_ + "/api/v1/alerts";
    group->resend_delay = Seconds(config->resend_delay);
    group->outage_tolerance = config->outage_tolerance;
    group->for_grace_period = config->for_grace_period;
    // Nobody else sees the group yet; the lock is for the analysis (and costs nothing).
    MutexLock group_lock(group->mutex);
    group->states.resize(wanted.rules.size());
    for (const auto& old : groups_) {
      if (old->config.Key() != wanted.Key()) continue;
      MutexLock old_lock(old->mutex);
      group->evaluations = old->evaluations;
      group->failures = old->failures;
      group->missed_before = old->Missed();
      // Each old state goes to at most one rule: Prometheus's form may repeat a name.
      std::vector<bool> taken(old->config.rules.size(), false);
      for (std::size_t i = 0; i < wanted.rules.size(); ++i) {
        for (std::size_t j = 0; j < old->config.rules.size(); ++j) {
          const Rule &rule = wanted.rules[i], &old_rule = old->config.rules[j];
          if (!taken[j] && rule.Name() == old_rule.Name() && rule.SelectionKey() == old_rule.SelectionKey()) {
            group->states[i] = std::move(old->states[j]);
            // Recompiled at the next run: the threshold or op may have changed.
            group->states[i].query.reset();
            taken[j] = true;
            break;
          }
        }
      }
    }
    // Only the rules of the config the daemon started with are restored from history
    // (Prometheus restores at start-up only); rules a reload adds start afresh.
    if (config_) {
      for (RuleState& state : group->states) {
        if (state.evaluations == 0) state.for_state_restored = true;
      }
    }
    next.push_back(std::move(group));
  }
  for (const auto& old : groups_) {
    MutexLock old_lock(old->mutex);
    old->stopped = true;
    if (old->job) old->job->Stop();
  }
  groups_ = std::move(next);
  config_ = std::move(config);
  if (stopped_) return;
  for (const auto& group : groups_) {
    // Groups run at a phase of their own within the interval, as Prometheus spreads them, so
    // many groups do not all read the Sources in the same instant. Evaluation times are the
    // slots phase + k x interval of the wall clock (see Evaluate); a run that overruns skips
    // the slots it missed (metricsd_rule_group_iterations_missed_total).
    Duration phase = PhaseFor(group->config.Key(), group->config.interval);
    group->phase = Seconds(phase);
    group->job = PeriodicJob::Create(
        ioc_.get_executor(), group->config.interval,
        [weak = weak_from_this(), weak_group = std::weak_ptr<Group>(group)] {
          auto self = weak.lock();
          auto live = weak_group.lock();
          if (self && live) self->Evaluate(live);
        });
    group->job->Start(NextWallSlot(phase, group->config.interval));
  }
}

void RuleManager::Stop() {
  MutexLock lock(mutex_);
  stopped_ = true;
  for (const auto& group : groups_) {
    MutexLock group_lock(group->mutex);
    group->stopped = true;
    if (group->job) group->job->Stop();
  }
  notifier_->Stop();
}

// On the group's job. Each rule's query runs without the group's lock: a scrape (and the
// history sampler) reads ALERTS under it, and the query may read what the sampler writes.
void RuleManager::Evaluate(const std::shared_ptr<Group>& group) {
  auto started = SteadyClock::now();
  // Read the Sources without holding the group's lock: this manager is one of them.
  FamilyTypes types;
  if (!group->families.empty()) {
    FamilyTypeReader reader(group->families);
    if (SourceSetPtr sources = sources_()) sources->Visit(reader);
    types = reader.Take();
  }
  double interval = Seconds(group->config.interval);
  // The slot this run stands for, not the instant the timer fired: `for: 2s` over 1 s runs
  // then holds exactly after two runs, whatever the timer's jitter.
  double now = std::round((WallSeconds() - group->phase) / interval) * interval + group->phase;
  auto t = static_cast<query::promql::Timestamp>(std::llround(now * 1000));

  std::vector<Notification> to_send;
  for (std::size_t i = 0; i < group->config.rules.size(); ++i) {
    const Rule& rule = group->config.rules[i];
    auto rule_started = SteadyClock::now();
    std::shared_ptr<const query::promql::Expr> expr;
    std::string previous_error;
    {
      MutexLock lock(group->mutex);
      if (group->stopped) return;
      RuleState& state = group->states[i];
      previous_error = state.last_error;
      ++group->evaluations;
      ++state.evaluations;
      state.last_evaluation = now;
      if (CompileRule(rule, types, state)) expr = state.query;
    }
    query::promql::QueryResult result;
    if (expr && query_service_) {
      result = query_service_->InstantExpr(*expr, t);
    } else if (expr) {
      result.error_type = query::promql::ErrorType::kUnavailable;
      result.error = "no query engine";
    }
    MutexLock lock(group->mutex);
    if (group->stopped) return;
    RuleState& state = group->states[i];
    bool ok = expr != nullptr;
    if (!ok) {
      state.recorded.clear();
    } else if (rule.kind == RuleKind::kRecording) {
      ok = ApplyRecordingResult(rule, result, group->config.limit, state);
    } else {
      ok = ApplyAlertingResult(rule, result, now, group->external_labels, group->config.limit, state);
    }
    if (!ok) {
      ++group->failures;
      if (state.last_error != previous_error) {
        LogWarn("rule evaluation failed", {{"group", group->config.name}, {"rule", rule.Name()},
                                           {"err", state.last_error}});
      }
    }
    // As Prometheus, the restore follows the first evaluation that worked: before history
    // opens a query fails, and there are no alerts yet to restore.
    if (ok && rule.kind == RuleKind::kAlerting && !state.for_state_restored && for_state_.ready &&
        for_state_.ready()) {
      RestoreForState(rule, state, now, group->outage_tolerance, group->for_grace_period);
      state.for_state_restored = true;
    }
    state.last_duration = std::chrono::duration<double>(SteadyClock::now() - rule_started).count();
    for (Alert& alert : TakeAlertsToSend(state, now, group->resend_delay, interval)) {
      Notification notification;
      notification.labels = std::move(alert.labels);
      // External labels never override an alert's own, as in Prometheus.
      for (const auto& [name, value] : group->external_labels) notification.labels.emplace(name, value);
      notification.annotations = std::move(alert.annotations);
      notification.starts_at = alert.fired_at;
      notification.ends_at = alert.state == AlertState::kInactive ? alert.resolved_at : alert.valid_until;
      notification.generator_url = group->generator_url;
      to_send.push_back(std::move(notification));
    }
  }
  {
    MutexLock lock(group->mutex);
    group->last_evaluation = now;
    group->last_duration = std::chrono::duration<double>(SteadyClock::now() - started).count();
  }
  notifier_->Send(to_send);
}

void RuleManager::SetQueryService(std::shared_ptr<query::QueryService> service) {
  query_service_ = std::move(service);
}

namespace {

// One record name's series, copied out of the rule states so the visit holds no lock.
struct RecordedFamily {
  std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, double>> series;
};

}  // namespace

std::shared_ptr<const Source> RuleManager::RecordingSource() {
  MutexLock lock(mutex_);
  if (recording_source_) return recording_source_;
  std::weak_ptr<const RuleManager> weak = weak_from_this();
  recording_source_ = std::make_shared<AlertingSource>([weak](FamilyVisitor& visitor) {
    auto self = weak.lock();
    if (!self) return;
    std::map<std::string, RecordedFamily, std::less<>> families;
    for (const auto& group : self->Groups()) {
      MutexLock group_lock(group->mutex);
      for (const RuleState& state : group->states) {
        for (const query::promql::Sample& sample : state.recorded) {
          const std::string* name = query::promql::GetLabel(sample.labels, query::promql::kMetricName);
          if (name == nullptr) continue;
          auto& series = families[*name].series.emplace_back();
          for (const query::promql::Label& label : sample.labels) {
            if (label.name != query::promql::kMetricName) series.first.emplace_back(label.name, label.value);
          }
          series.second = sample.v;
        }
      }
    }
    std::vector<Label> labels;
    for (const auto& [name, family] : families) {
      if (!visitor.Wants(name)) continue;
      visitor.Family(name, "Recorded by a recording rule.", MetricType::kUntyped);
      for (const auto& [pairs, value] : family.series) {
        labels.clear();
        for (const auto& [label, label_value] : pairs) labels.push_back({label, label_value});
        visitor.Sample(labels, value);
      }
    }
  });
  return recording_source_;
}

SourceSetPtr RuleManager::WithRecordingSource(SourceSetPtr sources) {
  std::shared_ptr<const Source> recording = RecordingSource();
  std::vector<std::shared_ptr<const Source>> list;
  if (sources) {
    if (std::find(sources->sources().begin(), sources->sources().end(), recording) != sources->sources().end()) {
      return sources;
    }
    list = sources->sources();
  }
  list.push_back(std::move(recording));
  return std::make_shared<const SourceSet>(std::move(list));
}

std::shared_ptr<const Source> RuleManager::MakeSource() const {
  std::weak_ptr<const RuleManager> weak = weak_from_this();
  // A weak reference: a SourceSet outliving the daemon's shutdown must not keep the manager
  // (and its timers) alive past the io_context.
  return std::make_shared<AlertingSource>([weak](FamilyVisitor& visitor) {
    auto self = weak.lock();
    if (!self) return;
    auto groups = self->Groups();
    std::vector<Label> labels;
    auto alert_labels = [&](const Alert& alert, bool with_state) {
      labels.clear();
      for (const auto& [name, value] : alert.labels) {
        if (with_state && name > "alertstate" && (labels.empty() || labels.back().name < "alertstate"))
          labels.push_back({"alertstate", AlertStateName(alert.state)});
        labels.push_back({name, value});
      }
      if (with_state && (labels.empty() || labels.back().name < "alertstate"))
        labels.push_back({"alertstate", AlertStateName(alert.state)});
    };
    for (bool for_state : {false, true}) {
      if (for_state) {
        visitor.Family("ALERTS_FOR_STATE", "When each pending or firing alert became active, in unix seconds.",
                       MetricType::kGauge);
      } else {
        visitor.Family("ALERTS", "Pending and firing alerts: 1 for each, with alertstate.", MetricType::kGauge);
      }
      for (const auto& group : groups) {
        MutexLock lock(group->mutex);
        for (const RuleState& state : group->states) {
          for (const auto& [key, alert] : state.alerts) {
            if (!IsActive(alert)) continue;
            alert_labels(alert, !for_state);
            visitor.Sample(labels, for_state ? std::floor(alert.active_at) : 1.0);
          }
        }
      }
    }
    struct GroupRow {
      std::string key;
      double evaluations, failures, missed, last_duration, last_evaluation, interval, rules;
    };
    std::vector<GroupRow> rows;
    for (const auto& group : groups) {
      MutexLock lock(group->mutex);
      rows.push_back({group->config.Key(), static_cast<double>(group->evaluations),
                      static_cast<double>(group->failures), static_cast<double>(group->Missed()),
                      group->last_duration, group->last_evaluation, Seconds(group->config.interval),
                      static_cast<double>(group->config.rules.size())});
    }
    auto family = [&](std::string_view name, std::string_view help, MetricType type, double GroupRow::*field) {
      visitor.Family(name, help, type);
      for (const GroupRow& row : rows) {
        Label label{"rule_group", row.key};
        visitor.Sample(Labels(&label, 1), row.*field);
      }
    };
    family("metricsd_rule_evaluations_total", "Rule evaluations, per rule group (one per rule per run).",
           MetricType::kCounter, &GroupRow::evaluations);
    family("metricsd_rule_evaluation_failures_total", "Rule evaluations that failed, per rule group.",
           MetricType::kCounter, &GroupRow::failures);
    family("metricsd_rule_group_iterations_missed_total",
           "Group runs skipped because the previous one overran its interval.", MetricType::kCounter,
           &GroupRow::missed);
    family("metricsd_rule_group_last_duration_seconds", "How long the group's last run took.",
           MetricType::kGauge, &GroupRow::last_duration);
    family("metricsd_rule_group_last_evaluation_timestamp_seconds",
           "When the group last ran, in unix seconds.", MetricType::kGauge, &GroupRow::last_evaluation);
    family("metricsd_rule_group_interval_seconds", "The group's evaluation interval.", MetricType::kGauge,
           &GroupRow::interval);
    family("metricsd_rule_group_rules", "Rules in the group.", MetricType::kGauge, &GroupRow::rules);
    self->notifier_->Visit(visitor);
  });
}

nlohmann::json RuleManager::AlertsJson() const {
  nlohmann::json alerts = nlohmann::json::array();
  for (const auto& group : Groups()) {
    MutexLock lock(group->mutex);
    for (const RuleState& state : group->states) {
      for (const auto& [key, alert] : state.alerts) {
        if (IsActive(alert)) alerts.push_back(AlertJson(alert));
      }
    }
  }
  return {{"status", "success"}, {"data", {{"alerts", alerts}}}};
}

nlohmann::json RuleManager::RulesJson() const {
  nlohmann::json groups_json = nlohmann::json::array();
  for (const auto& group : Groups()) {
    MutexLock lock(group->mutex);
    nlohmann::json rules = nlohmann::json::array();
    for (std::size_t i = 0; i < group->config.rules.size(); ++i) {
      const Rule& rule = group->config.rules[i];
      const RuleState& state = group->states[i];
      AlertState rule_state = AlertState::kInactive;
      nlohmann::json alerts = nlohmann::json::array();
      for (const auto& [key, alert] : state.alerts) {
        if (!IsActive(alert)) continue;
        if (alert.state == AlertState::kFiring || rule_state == AlertState::kInactive) rule_state = alert.state;
        alerts.push_back(AlertJson(alert));
      }
      nlohmann::json annotations = nlohmann::json::object();
      for (const auto& [name, annotation] : rule.annotations) annotations[name] = annotation.text();
      // The query as evaluated (a threshold rule: compiled for its families' types).
      std::string query = state.query_text.empty() ? rule.Expression() : state.query_text;
      const char* health = state.evaluations == 0 ? "unknown" : state.last_error.empty() ? "ok" : "err";
      nlohmann::json entry;
      if (rule.kind == RuleKind::kRecording) {
        entry = {{"name", rule.record},
                 {"query", query},
                 {"labels", rule.labels},
                 {"health", health},
                 {"evaluationTime", state.last_duration},
                 {"lastEvaluation", TimestampOrZero(state.last_evaluation)},
                 {"type", "recording"}};
      } else {
        entry = {{"state", AlertStateName(rule_state)},
                 {"name", rule.alert},
                 {"query", query},
                 {"duration", Seconds(rule.hold)},
                 {"keepFiringFor", Seconds(rule.keep_firing_for)},
                 {"labels", rule.labels},
                 {"annotations", annotations},
                 {"alerts", alerts},
                 {"health", health},
                 {"evaluationTime", state.last_duration},
                 {"lastEvaluation", TimestampOrZero(state.last_evaluation)},
                 {"type", "alerting"}};
      }
      if (!state.last_error.empty()) entry["lastError"] = state.last_error;
      rules.push_back(std::move(entry));
    }
    groups_json.push_back({{"name", group->config.name},
                           {"file", group->config.file},
                           {"rules", rules},
                           {"interval", Seconds(group->config.interval)},
                           {"limit", group->config.limit},
                           {"evaluationTime", group->last_duration},
                           {"lastEvaluation", TimestampOrZero(group->last_evaluation)}});
  }
  return {{"status", "success"}, {"data", {{"groups", groups_json}}}};
}

Routes RuleManagerRoutes(const RuleManager* manager) {
  auto json = [](const HttpRequest& request, const nlohmann::json& answer) {
    return MakeResponse(request, http::status::ok, answer.dump() + "\n", "application/json");
  };
  return {
      Route{.path = "/api/v1/alerts",
            .methods = {http::verb::get},
            .handler = [manager, json](const HttpRequest& request) {
              return json(request, manager->AlertsJson());
            },
            .doc = "pending and firing alerts in Prometheus's shape: "
                   "`{\"status\":\"success\",\"data\":{\"alerts\":[{labels, annotations, state, "
                   "activeAt, value}]}}`"},
      Route{.path = "/api/v1/rules",
            .methods = {http::verb::get},
            .handler = [manager, json](const HttpRequest& request) {
              return json(request, manager->RulesJson());
            },
            .doc = "rule groups in Prometheus's shape: per group `name`, `file`, `interval`, "
                   "`lastEvaluation`, `evaluationTime`, and per rule `name`, `query` (the PromQL it "
                   "means), `duration`, `keepFiringFor`, `labels`, `annotations`, `alerts`, "
                   "`health` (`ok`, `err`, `unknown`), `lastError`, `state`, `type` (`alerting`, or "
                   "`recording` with `name`, `query`, `labels`, `health`)"},
  };
}

}  // namespace metricsd::alerting
