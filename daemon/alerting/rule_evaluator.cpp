#include "daemon/alerting/rule_evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

namespace metricsd::alerting {
namespace {

// How long a resolved alert is kept (and re-sent), as Prometheus's resolvedRetention.
constexpr double kResolvedRetention = 15 * 60;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One series after `value`: a number, or (histogram quantiles) still buckets, so a sum
// aggregation can add buckets before the quantile is taken, as histogram_quantile(sum(...)).
struct SeriesValue {
  LabelMap labels;
  double value = 0;
  bool has_buckets = false;
  std::vector<double> bounds, buckets;
};

bool MatchesAll(const Rule& rule, const LabelMap& labels) {
  for (const LabelMatcher& matcher : rule.matchers) {
    auto it = labels.find(matcher.name);
    // A missing label matches as the empty string, as in PromQL.
    if (!matcher.Matches(it == labels.end() ? std::string_view() : std::string_view(it->second))) return false;
  }
  return true;
}

// How much a cumulative quantity grew from `previous` to `current`; a drop is a reset (the
// counter restarted from zero), as PromQL's rate() and increase() treat it.
double Delta(double previous, double current) { return current >= previous ? current - previous : current; }

// Appends the series' point at `now` to its history and drops points older than the window.
void Record(SeriesHistory& history, const SelectedSeries& series, bool observations, bool buckets,
            double now, double window) {
  double counter = observations ? series.count : series.value;
  HistoryPoint point{now, series.value, counter, series.sum, {}};
  // Buckets reconfigured: the old points cannot be compared with the new ones.
  if (buckets && !history.points.empty() && history.raw_buckets.size() != series.buckets.size()) {
    history.points.clear();
  }
  if (!history.points.empty()) {
    const HistoryPoint& last = history.points.back();
    bool reset = counter < history.raw_counter;
    point.increase = last.increase + Delta(history.raw_counter, counter);
    point.sum = last.sum + (reset ? series.sum : series.sum - history.raw_sum);
    if (buckets) {
      point.buckets.resize(series.buckets.size());
      for (std::size_t i = 0; i < series.buckets.size(); ++i) {
        point.buckets[i] = last.buckets[i] + Delta(history.raw_buckets[i], series.buckets[i]);
      }
    }
  } else if (buckets) {
    point.buckets = series.buckets;
  }
  history.raw_counter = counter;
  history.raw_sum = series.sum;
  if (buckets) history.raw_buckets = series.buckets;
  history.points.push_back(std::move(point));
  while (history.points.front().t < now - window) history.points.pop_front();
}

void CheckKind(const Rule& rule, const std::string& family, MetricType type) {
  bool observations = type == MetricType::kHistogram || type == MetricType::kSummary;
  bool ok = true;
  switch (rule.value) {
    case ValueKind::kLast:
    case ValueKind::kMin:
    case ValueKind::kMax: ok = !observations; break;
    case ValueKind::kQuantile: ok = observations; break;
    default: break;
  }
  if (!ok) {
    throw EvalError("value: " + std::string(ValueKindName(rule.value)) + " does not apply to " +
                    family + ", a " + std::string(MetricTypeName(type)) +
                    (observations ? " (use quantile, avg, rate or increase)" : " (quantile needs a histogram or summary)"));
  }
}

double SummaryQuantile(const SelectedSeries& series, double q, const std::string& family) {
  std::string known;
  for (const Quantile& quantile : series.quantiles) {
    if (std::fabs(quantile.quantile - q) < 1e-9) return quantile.value;
    known += (known.empty() ? "" : ", ") + FormatGoFloat(quantile.quantile);
  }
  throw EvalError("summary " + family + " has no quantile " + FormatGoFloat(q) + " (it has " +
                  (known.empty() ? "none" : known) + ")");
}

std::vector<SeriesValue> ValuesOf(const Rule& rule, const std::string& family,
                                  const Selection& selection, double now, RuleState& state) {
  std::vector<SeriesValue> out;
  auto found = selection.find(family);
  if (found == selection.end()) return out;
  const SelectedFamily& selected = found->second;
  CheckKind(rule, family, selected.type);
  bool histogram = selected.type == MetricType::kHistogram;
  bool observations = histogram || selected.type == MetricType::kSummary;
  double window = std::chrono::duration<double>(rule.window).count();

  for (const SelectedSeries& series : selected.series) {
    if (!MatchesAll(rule, series.labels)) continue;
    SeriesValue result;
    result.labels = series.labels;
    const std::deque<HistoryPoint>* points = nullptr;
    if (window > 0) {
      SeriesHistory& history = state.history[family + '\xff' + LabelsKey(series.labels)];
      history.seen = state.evaluations;
      Record(history, series, observations, histogram && rule.value == ValueKind::kQuantile, now, window);
      points = &history.points;
    }
    switch (rule.value) {
      case ValueKind::kLast:
        result.value = series.value;
        break;
      case ValueKind::kRate:
      case ValueKind::kIncrease: {
        if (points->size() < 2) continue;  // no value until the window holds two points
        double increase = points->back().increase - points->front().increase;
        result.value = rule.value == ValueKind::kIncrease
                           ? increase
                           : increase / (points->back().t - points->front().t);
        break;
      }
      case ValueKind::kAvg: {
        if (!observations) {
          double total = 0;
          for (const HistoryPoint& p : *points) total += p.value;
          result.value = total / static_cast<double>(points->size());
          break;
        }
        // The mean observation over the window: increase of the sum over increase of the count.
        if (points->size() < 2) continue;
        double count = points->back().increase - points->front().increase;
        result.value = count > 0 ? (points->back().sum - points->front().sum) / count : kNaN;
        break;
      }
      case ValueKind::kMin:
      case ValueKind::kMax: {
        result.value = points->front().value;
        for (const HistoryPoint& p : *points) {
          result.value = rule.value == ValueKind::kMin ? std::min(result.value, p.value)
                                                       : std::max(result.value, p.value);
        }
        break;
      }
      case ValueKind::kQuantile: {
        if (!histogram) {
          result.value = SummaryQuantile(series, rule.quantile, family);
          break;
        }
        result.has_buckets = true;
        result.bounds = series.bounds;
        if (points == nullptr) {
          result.buckets = series.buckets;
          break;
        }
        if (points->size() < 2) continue;
        result.buckets.resize(series.buckets.size());
        for (std::size_t i = 0; i < result.buckets.size(); ++i) {
          result.buckets[i] = points->back().buckets[i] - points->front().buckets[i];
        }
        break;
      }
    }
    out.push_back(std::move(result));
  }
  return out;
}

void ResolveBuckets(const Rule& rule, SeriesValue& value) {
  if (!value.has_buckets) return;
  value.value = HistogramQuantile(rule.quantile, value.bounds, value.buckets);
  value.has_buckets = false;
}

std::vector<SeriesValue> Aggregate(const Rule& rule, std::vector<SeriesValue> values) {
  if (!rule.aggregate) {
    for (SeriesValue& value : values) ResolveBuckets(rule, value);
    return values;
  }
  const Aggregation& aggregation = *rule.aggregate;
  std::map<std::string, std::vector<SeriesValue*>> groups;
  std::map<std::string, LabelMap> group_labels;
  for (SeriesValue& value : values) {
    LabelMap labels;
    for (const std::string& name : aggregation.by) {
      auto it = value.labels.find(name);
      if (it != value.labels.end() && !it->second.empty()) labels.emplace(name, it->second);
    }
    std::string key = LabelsKey(labels);
    groups[key].push_back(&value);
    group_labels.emplace(key, std::move(labels));
  }
  std::vector<SeriesValue> out;
  for (auto& [key, members] : groups) {
    SeriesValue result;
    result.labels = group_labels[key];
    if (aggregation.op == AggregateOp::kSum && members.front()->has_buckets) {
      // histogram_quantile(q, sum by (le, ...)(...)): add the buckets, then take the quantile.
      result.has_buckets = true;
      result.bounds = members.front()->bounds;
      result.buckets.assign(members.front()->buckets.size(), 0);
      for (const SeriesValue* member : members) {
        if (member->bounds != result.bounds) {
          throw EvalError("cannot sum histograms with different buckets (" + LabelsKey(members.front()->labels) +
                          " and " + LabelsKey(member->labels) + ")");
        }
        for (std::size_t i = 0; i < result.buckets.size(); ++i) result.buckets[i] += member->buckets[i];
      }
      ResolveBuckets(rule, result);
      out.push_back(std::move(result));
      continue;
    }
    double total = 0, low = std::numeric_limits<double>::infinity(), high = -low;
    for (SeriesValue* member : members) {
      ResolveBuckets(rule, *member);
      total += member->value;
      low = std::min(low, member->value);
      high = std::max(high, member->value);
    }
    double n = static_cast<double>(members.size());
    switch (aggregation.op) {
      case AggregateOp::kSum: result.value = total; break;
      case AggregateOp::kAvg: result.value = total / n; break;
      case AggregateOp::kMin: result.value = low; break;
      case AggregateOp::kMax: result.value = high; break;
      case AggregateOp::kCount: result.value = n; break;
    }
    out.push_back(std::move(result));
  }
  return out;
}

std::vector<SeriesValue> Results(const Rule& rule, const Selection& selection, double now,
                                 RuleState& state) {
  if (rule.absent) {
    auto found = selection.find(rule.metric);
    if (found != selection.end()) {
      for (const SelectedSeries& series : found->second.series) {
        if (MatchesAll(rule, series.labels)) return {};
      }
    }
    // As PromQL's absent(): the labels the selector pins with equality.
    SeriesValue result;
    for (const LabelMatcher& matcher : rule.matchers) {
      if (!matcher.regex) result.labels[matcher.name] = matcher.value;
    }
    result.value = 1;
    return {result};
  }
  std::vector<SeriesValue> values = Aggregate(rule, ValuesOf(rule, rule.metric, selection, now, state));
  if (!rule.divide_by.empty()) {
    std::map<std::string, double> divisors;
    for (SeriesValue& divisor : Aggregate(rule, ValuesOf(rule, rule.divide_by, selection, now, state))) {
      divisors[LabelsKey(divisor.labels)] = divisor.value;
    }
    std::vector<SeriesValue> ratios;
    for (SeriesValue& value : values) {
      auto it = divisors.find(LabelsKey(value.labels));
      if (it == divisors.end()) continue;  // one-to-one matching: no partner, no result
      value.value /= it->second;
      ratios.push_back(std::move(value));
    }
    values = std::move(ratios);
  }
  std::erase_if(values, [&](const SeriesValue& value) { return !rule.Compare(value.value); });
  return values;
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

double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<double>& buckets) {
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  // Needs at least one finite bucket besides +Inf, and observations.
  if (bounds.empty() || buckets.size() != bounds.size() + 1 || buckets.back() <= 0) return kNaN;
  double rank = q * buckets.back();
  std::size_t b = 0;
  // Cumulative counts may be non-monotonic after a rate over racing scrapes; PromQL uses the
  // first bucket whose count reaches the rank all the same.
  while (b < buckets.size() - 1 && buckets[b] < rank) ++b;
  if (b == bounds.size()) return bounds.back();  // in the +Inf bucket: the highest finite bound
  if (b == 0 && bounds[0] <= 0) return bounds[0];
  double start = b == 0 ? 0 : bounds[b - 1];
  double end = bounds[b];
  double below = b == 0 ? 0 : buckets[b - 1];
  double in_bucket = buckets[b] - below;
  if (in_bucket <= 0) return end;
  return start + (end - start) * ((rank - below) / in_bucket);
}

bool EvaluateRule(const Rule& rule, const Selection& selection, double now,
                  const LabelMap& external_labels, RuleState& state) {
  ++state.evaluations;
  state.last_evaluation = now;
  std::vector<SeriesValue> results;
  try {
    results = Results(rule, selection, now, state);
  } catch (const EvalError& e) {
    state.last_error = e.what();
    return false;
  }
  state.last_error.clear();
  // Series that left the Sources leave no history behind.
  std::erase_if(state.history, [&](const auto& entry) { return entry.second.seen != state.evaluations; });

  std::map<std::string, Alert>& alerts = state.alerts;
  std::set<std::string> in_results;
  for (const SeriesValue& result : results) {
    LabelMap labels = result.labels;
    TemplateData data{result.value, &result.labels, &external_labels};
    for (const auto& [name, value] : rule.labels) {
      auto templated = rule.label_templates.find(name);
      labels[name] = templated == rule.label_templates.end() ? value : templated->second.Render(data);
    }
    labels["alertname"] = rule.alert;
    std::string key = LabelsKey(labels);
    in_results.insert(key);
    std::vector<std::pair<std::string, std::string>> annotations;
    for (const auto& [name, annotation] : rule.annotations) annotations.emplace_back(name, annotation.Render(data));

    auto it = alerts.find(key);
    if (it != alerts.end() && it->second.state != AlertState::kInactive) {
      it->second.value = result.value;
      it->second.annotations = std::move(annotations);
      it->second.keep_firing_since = 0;
      continue;
    }
    Alert alert;
    alert.labels = std::move(labels);
    alert.annotations = std::move(annotations);
    alert.state = AlertState::kPending;
    alert.value = result.value;
    alert.active_at = now;
    alerts[key] = std::move(alert);
  }

  double hold = std::chrono::duration<double>(rule.hold).count();
  double keep_firing_for = std::chrono::duration<double>(rule.keep_firing_for).count();
  for (auto it = alerts.begin(); it != alerts.end();) {
    Alert& alert = it->second;
    if (!in_results.contains(it->first)) {
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
    }
    if (alert.state == AlertState::kPending && now - alert.active_at >= hold) {
      alert.state = AlertState::kFiring;
      alert.fired_at = now;
    }
    ++it;
  }
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
