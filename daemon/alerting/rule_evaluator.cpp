#include "daemon/alerting/rule_evaluator.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "daemon/alerting/threshold_query.h"
#include "daemon/query/promql/parser.h"
#include "daemon/query/promql/printer.h"

namespace metricsd::alerting {
namespace {

namespace promql = query::promql;

// How long a resolved alert is kept (and re-sent), as Prometheus's resolvedRetention.
constexpr double kResolvedRetention = 15 * 60;

LabelMap ToMap(const promql::Labels& labels) {
  LabelMap out;
  for (const promql::Label& label : labels) out.emplace(label.name, label.value);
  return out;
}

// Prometheus's EngineQueryFunc: a scalar becomes a one-sample vector without labels.
const promql::Vector* VectorOf(const promql::QueryResult& result, promql::Vector& scratch,
                               std::string& error) {
  if (!result.ok()) {
    error = result.error;
    return nullptr;
  }
  if (const auto* vector = std::get_if<promql::Vector>(&result.value)) return vector;
  if (const auto* scalar = std::get_if<promql::Scalar>(&result.value)) {
    scratch = {promql::Sample{{}, scalar->t, scalar->v}};
    return &scratch;
  }
  error = "rule result is not a vector or scalar";
  return nullptr;
}

MetricType TypeFor(const std::string& family, const FamilyTypes& types, std::optional<MetricType> stated,
                   std::optional<MetricType> compiled, MetricType assumed) {
  if (stated) return *stated;
  if (auto it = types.find(family); it != types.end()) return it->second;
  return compiled ? *compiled : assumed;
}

}  // namespace

std::string LabelsKey(const LabelMap& labels) {
  std::string key;
  for (const auto& [name, value] : labels) {
    key += name;
    key += '\x1f';
    key += value;
    key += '\x1e';
  }
  return key;
}

bool CompileRule(const Rule& rule, const FamilyTypes& types, RuleState& state) {
  if (!rule.IsThreshold()) {
    if (state.query != rule.parsed) {
      state.query = rule.parsed;
      // As Prometheus shows a rule's query: the expression printed back (one line).
      state.query_text = query::promql::ExprToString(*rule.parsed);
    }
    return true;
  }
  MetricType assumed = AssumedType(rule);
  std::optional<MetricType> metric_was, divisor_was;
  if (state.compiled_for) std::tie(metric_was, divisor_was) = *state.compiled_for;
  std::pair<MetricType, MetricType> wanted{
      TypeFor(rule.metric, types, rule.type, metric_was, assumed),
      rule.divide_by.empty() ? assumed : TypeFor(rule.divide_by, types, rule.type, divisor_was, assumed)};
  if (state.query && state.compiled_for == wanted) return true;
  std::string text;
  try {
    text = ThresholdQuery(rule, wanted.first, wanted.second);
  } catch (const RuleTypeError& e) {
    state.last_error = e.what();
    return false;
  }
  promql::ParseError error;
  promql::ExprPtr parsed = promql::ParseExpr(text, &error);
  if (!parsed) {
    // A compiler bug, not the user's: say what was compiled.
    state.last_error = "compiled query " + text + " does not parse: " + error.ToString(text);
    return false;
  }
  state.query = std::move(parsed);
  state.query_text = std::move(text);
  state.compiled_for = wanted;
  return true;
}

bool EvaluateRule(const Rule& rule, double now, query::QueryService& service,
                  const FamilyTypes& types, const LabelMap& external_labels, std::size_t limit,
                  RuleState& state) {
  ++state.evaluations;
  state.last_evaluation = now;
  if (!CompileRule(rule, types, state)) {
    state.recorded.clear();
    return false;
  }
  auto t = static_cast<promql::Timestamp>(std::llround(now * 1000));
  promql::QueryResult result = service.InstantExpr(*state.query, t);
  return rule.kind == RuleKind::kRecording ? ApplyRecordingResult(rule, result, limit, state)
                                           : ApplyAlertingResult(rule, result, now, external_labels, limit, state);
}

bool ApplyRecordingResult(const Rule& rule, const promql::QueryResult& result, std::size_t limit,
                          RuleState& state) {
  promql::Vector scratch;
  std::string error;
  const promql::Vector* vector = VectorOf(result, scratch, error);
  state.recorded.clear();
  if (vector == nullptr) {
    state.last_error = error;
    return false;
  }
  promql::Vector out = *vector;
  std::set<promql::Labels> seen;
  for (promql::Sample& sample : out) {
    promql::SetLabel(sample.labels, promql::kMetricName, rule.record);
    for (const auto& [name, value] : rule.labels) promql::SetLabel(sample.labels, name, value);
    if (!seen.insert(sample.labels).second) {
      state.last_error = "vector contains metrics with the same labelset after applying rule labels";
      return false;
    }
  }
  if (limit > 0 && out.size() > limit) {
    state.last_error = "exceeded limit of " + std::to_string(limit) + " with " +
                       std::to_string(out.size()) + " series";
    return false;
  }
  std::sort(out.begin(), out.end(),
            [](const promql::Sample& a, const promql::Sample& b) { return a.labels < b.labels; });
  state.recorded = std::move(out);
  state.last_error.clear();
  return true;
}

bool ApplyAlertingResult(const Rule& rule, const promql::QueryResult& result, double now,
                         const LabelMap& external_labels, std::size_t limit, RuleState& state) {
  promql::Vector scratch;
  std::string error;
  const promql::Vector* vector = VectorOf(result, scratch, error);
  if (vector == nullptr) {
    state.last_error = error;
    return false;
  }

  // The alerts this result stands for, built before the state is touched: a duplicate label
  // set fails the evaluation and leaves the alerts as they were, as in Prometheus.
  std::map<std::string, Alert> results;
  for (const promql::Sample& sample : *vector) {
    LabelMap series = ToMap(sample.labels);
    TemplateData data{sample.v, &series, &external_labels};
    LabelMap labels = series;
    labels.erase(std::string(promql::kMetricName));
    for (const auto& [name, value] : rule.labels) {
      auto templated = rule.label_templates.find(name);
      std::string rendered = templated == rule.label_templates.end() ? value : templated->second.Render(data);
      // As Prometheus's labels.Builder: an empty value removes the label.
      if (rendered.empty()) {
        labels.erase(name);
      } else {
        labels[name] = std::move(rendered);
      }
    }
    labels["alertname"] = rule.alert;
    Alert alert;
    for (const auto& [name, annotation] : rule.annotations) alert.annotations.emplace_back(name, annotation.Render(data));
    std::string key = LabelsKey(labels);
    alert.labels = std::move(labels);
    alert.state = AlertState::kPending;
    alert.value = sample.v;
    alert.active_at = now;
    if (!results.emplace(std::move(key), std::move(alert)).second) {
      state.last_error = "vector contains metrics with the same labelset after applying alert labels";
      return false;
    }
  }

  std::map<std::string, Alert>& alerts = state.alerts;
  for (auto& [key, fresh] : results) {
    auto it = alerts.find(key);
    if (it != alerts.end() && it->second.state != AlertState::kInactive) {
      it->second.value = fresh.value;
      it->second.annotations = std::move(fresh.annotations);
      continue;
    }
    alerts[key] = std::move(fresh);
  }

  double hold = std::chrono::duration<double>(rule.hold).count();
  double keep_firing_for = std::chrono::duration<double>(rule.keep_firing_for).count();
  std::size_t active = 0;
  for (auto it = alerts.begin(); it != alerts.end();) {
    Alert& alert = it->second;
    if (!results.contains(it->first)) {
      bool keep_firing = false;
      if (alert.state == AlertState::kFiring && keep_firing_for > 0) {
        if (alert.keep_firing_since == 0) alert.keep_firing_since = now;
        keep_firing = now - alert.keep_firing_since < keep_firing_for;
      }
      if (alert.state == AlertState::kPending ||
          (alert.state == AlertState::kInactive && now - alert.resolved_at > kResolvedRetention)) {
        it = alerts.erase(it);
        continue;
      }
      if (alert.state != AlertState::kInactive && !keep_firing) {
        alert.state = AlertState::kInactive;
        alert.resolved_at = now;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      alert.keep_firing_since = 0;  // the condition holds again
    }
    ++active;
    if (alert.state == AlertState::kPending && now - alert.active_at >= hold) {
      alert.state = AlertState::kFiring;
      alert.fired_at = now;
    }
    ++it;
  }
  if (limit > 0 && active > limit) {
    alerts.clear();
    state.last_error = "exceeded limit of " + std::to_string(limit) + " with " + std::to_string(active) + " alerts";
    return false;
  }
  state.last_error.clear();
  return true;
}

std::vector<Alert> TakeAlertsToSend(RuleState& state, double now, double resend_delay,
                                    double interval) {
  std::vector<Alert> due;
  for (auto& [key, alert] : state.alerts) {
    if (alert.state == AlertState::kPending) continue;
    bool resolved_since_sent = alert.state == AlertState::kInactive && alert.resolved_at > alert.last_sent_at;
    if (alert.sent && !resolved_since_sent && alert.last_sent_at + resend_delay > now) continue;
    alert.sent = true;
    alert.last_sent_at = now;
    alert.valid_until = now + 4 * std::max(interval, resend_delay);
    due.push_back(alert);
  }
  return due;
}

}  // namespace metricsd::alerting
