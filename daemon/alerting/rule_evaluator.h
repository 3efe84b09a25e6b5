// One rule, one evaluation: its PromQL at the evaluation time through the QueryService, and
// what Prometheus's rules/alerting.go and rules/recording.go make of the resulting vector:
// one alert per output series (value = the sample's value) run through the alert state machine
// (pending for `for`, firing, resolved, `keep_firing_for`), or the recorded series (the record
// name and the rule's labels applied). The clock is a parameter, so tests drive it exactly.
//
// A failed query (a parse or evaluation error, history unavailable, a threshold rule whose value
// does not apply to its family's type) sets state.last_error and leaves the alerts as they
// were, as Prometheus does when a rule's query fails.
//
// Thread-safety: functions over the caller's RuleState; one evaluation of a rule at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/alerting/family_selector.h"
#include "daemon/alerting/rule.h"
#include "daemon/query/promql/engine.h"
#include "daemon/query/query_service.h"

namespace metricsd::alerting {

enum class AlertState { kInactive, kPending, kFiring };
// Prometheus's spelling (the ALERTS series' alertstate label, /api/v1/alerts' state).
inline constexpr EnumTable<AlertState, 3> kAlertStateNames{{{
    {AlertState::kInactive, "inactive"},
    {AlertState::kPending, "pending"},
    {AlertState::kFiring, "firing"},
}}};
inline std::string_view AlertStateName(AlertState state) { return kAlertStateNames.Name(state); }

struct Alert {
  LabelMap labels;  // the series' labels without __name__, then the rule's labels, then alertname
  std::vector<std::pair<std::string, std::string>> annotations;  // rendered
  AlertState state = AlertState::kPending;
  double value = 0;
  // Unix seconds; zero means "not yet".
  double active_at = 0;
  double fired_at = 0;
  double resolved_at = 0;
  double keep_firing_since = 0;
  double last_sent_at = 0;
  bool sent = false;
  double valid_until = 0;
};

struct RuleState {
  std::map<std::string, Alert> alerts;  // by alert labels
  // Recording rules: the last evaluation's series, __name__ the record name; empty after a
  // failed evaluation.
  query::promql::Vector recorded;
  // What is evaluated: the parsed `expr`, or the threshold form compiled for `compiled_for`
  // (the metric's and the divisor's types), recompiled when they change.
  std::shared_ptr<const query::promql::Expr> query;
  std::string query_text;  // as /api/v1/rules shows it
  std::optional<std::pair<MetricType, MetricType>> compiled_for;
  std::uint64_t evaluations = 0;
  std::string last_error;  // empty when the last evaluation succeeded
  double last_evaluation = 0;
  double last_duration = 0;
  // Whether the pending alerts' activeAt was restored from history after a restart (or there
  // was nothing to restore); see RuleManager::SetForStateHistory.
  bool for_state_restored = false;
};

// Evaluates `rule` at `now` (unix seconds): compiles a threshold rule for the types in `types`
// (the last ones it compiled for, or AssumedType, for a family not there), runs the query and
// feeds the result to ApplyAlertingResult or ApplyRecordingResult. `limit`: the group's limit
// (0: none). Returns false on failure (state.last_error set).
bool EvaluateRule(const Rule& rule, double now, query::QueryService& service,
                  const FamilyTypes& types, const LabelMap& external_labels, std::size_t limit,
                  RuleState& state);

// Sets state.query (and query_text) for the types; false with last_error on a type mismatch.
bool CompileRule(const Rule& rule, const FamilyTypes& types, RuleState& state);

// Prometheus's AlertingRule.Eval over a query's result at `now`.
bool ApplyAlertingResult(const Rule& rule, const query::promql::QueryResult& result, double now,
                         const LabelMap& external_labels, std::size_t limit, RuleState& state);
// Prometheus's RecordingRule.Eval over a query's result.
bool ApplyRecordingResult(const Rule& rule, const query::promql::QueryResult& result,
                          std::size_t limit, RuleState& state);

// The key a label set is stored under (also the alerts' fingerprint input).
std::string LabelsKey(const LabelMap& labels);

// The alerts of `state` due to be sent at `now`, as Prometheus decides: firing ones when they
// start and then every `resend_delay`, resolved ones when they resolve and then every
// `resend_delay` until dropped 15 minutes later. Marks them sent and sets valid_until to
// now + 4 x max(interval, resend_delay); a sent alert's endsAt is resolved_at or valid_until.
std::vector<Alert> TakeAlertsToSend(RuleState& state, double now, double resend_delay,
                                    double interval);

}  // namespace metricsd::alerting
