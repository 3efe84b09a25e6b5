// One rule, one evaluation: a pure function of the rule, what the Sources show now, the time,
// and the rule's state from the last evaluation. No clock, no I/O, so tests drive it with a
// fake clock and exact inputs.
//
// Pipeline per evaluation: select the series of `metric` (and of `divide_by`) that match →
// compute `value` per series over its window → `aggregate` → divide → compare with the
// threshold → Prometheus's alert state machine (pending for `for`, firing, resolved, with
// `keep_firing_for`).
#pragma once

#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/alerting/family_selector.h"
#include "daemon/alerting/rule.h"

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
  LabelMap labels;  // the series' labels, then the rule's labels, then alertname
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

// A point of a series' history, kept only as long as the rule's window needs it. Cumulative
// quantities are stored reset-adjusted (a drop counts as a restart from zero, as PromQL's
// rate() sees it), so any window's increase is last minus first: O(1), O(buckets).
struct HistoryPoint {
  double t = 0;
  double value = 0;             // raw: gauges' avg, min, max
  double increase = 0;          // adjusted: the counter, or the observation count
  double sum = 0;               // adjusted: the observations' sum
  std::vector<double> buckets;  // adjusted: histogram buckets (quantile rules only)
};

struct SeriesHistory {
  std::deque<HistoryPoint> points;
  // The last raw cumulative values, to adjust the next point against.
  double raw_counter = 0, raw_sum = 0;
  std::vector<double> raw_buckets;
  std::uint64_t seen = 0;  // the evaluation that last saw the series; older histories are dropped
};

struct RuleState {
  std::unordered_map<std::string, SeriesHistory> history;  // by family and series labels
  std::map<std::string, Alert> alerts;                      // by alert labels
  std::uint64_t evaluations = 0;
  std::string last_error;  // empty when the last evaluation succeeded
  double last_evaluation = 0;
  double last_duration = 0;
  // Whether the pending alerts' activeAt was restored from history after a restart (or there
  // was nothing to restore); see RuleManager::SetForStateHistory.
  bool for_state_restored = false;
};

// Advances `state` to `now` (unix seconds). On error (a family of the wrong type for `value`,
// histograms with different buckets aggregated), sets state.last_error and leaves the alerts
// as they were, as Prometheus does when a rule's query fails; returns false.
bool EvaluateRule(const Rule& rule, const Selection& selection, double now,
                  const LabelMap& external_labels, RuleState& state);

// Prometheus's histogram_quantile over cumulative bucket counts (the last one is +Inf).
double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<double>& buckets);

// The key a label set is stored under (also the alerts' fingerprint input).
std::string LabelsKey(const LabelMap& labels);

}  // namespace metricsd::alerting

namespace metricsd::alerting {

// The alerts of `state` due to be sent at `now`, as Prometheus decides: firing ones when they
// start and then every `resend_delay`, resolved ones when they resolve and then every
// `resend_delay` until dropped 15 minutes later. Marks them sent and sets valid_until to
// now + 4 x max(interval, resend_delay); a sent alert's endsAt is resolved_at or valid_until.
std::vector<Alert> TakeAlertsToSend(RuleState& state, double now, double resend_delay,
                                    double interval);

}  // namespace metricsd::alerting
