// Rules evaluated by the PromQL engine over series in memory (a MemoryQueryable behind a
// QueryService), with a fake clock: Prometheus's alert states (pending, firing after `for`,
// resolved, keep_firing_for), each threshold shape's query and its value (rate with
// extrapolation and counter resets, histogram quantiles, aggregation, ratios, absent), the
// Prometheus form, recording rules, `limit`, and failures that keep the alerts.
//
// Expected values follow Prometheus 2.42's definitions (promql/functions.go: extrapolatedRate,
// bucketQuantile; rules/alerting.go, rules/recording.go); each is worked out beside it.
#include "daemon/alerting/rule_evaluator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>

#include "daemon/alerting/alerting_config.h"
#include "daemon/query/promql/memory_queryable.h"

namespace metricsd::alerting {
namespace {

namespace promql = query::promql;

Rule RuleFrom(const std::string& fields) {
  auto groups = ParseRuleFile("groups:\n  - name: g\n    rules:\n      - " + fields, "r.yaml",
                              std::chrono::seconds(1));
  return groups.at(0).rules.at(0);
}

// A threshold rule: `fields` are its keys after `alert: A`, each line indented for the rule.
Rule Threshold(const std::string& fields) { return RuleFrom("alert: A\n" + fields); }

promql::Labels L(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  promql::Labels labels;
  for (const auto& [name, value] : pairs) labels.push_back({name, value});
  std::sort(labels.begin(), labels.end());
  return labels;
}

promql::Timestamp Ms(double seconds) { return static_cast<promql::Timestamp>(std::llround(seconds * 1000)); }

class RuleEvaluatorTest : public ::testing::Test {
 protected:
  // One sample of the series `labels` at `t` seconds.
  void Put(promql::Labels labels, double t, double v) { data_->Add(std::move(labels), {{Ms(t), v}}); }
  // g{zone="north"}, the gauge most tests watch.
  void Gauge(double t, double v) { Put(L({{"__name__", "g"}, {"zone", "north"}}), t, v); }

  bool Eval(const Rule& rule, double now, RuleState& state, std::size_t limit = 0) {
    return EvaluateRule(rule, now, service_, types_, external_, limit, state);
  }

  const Alert* Only(const RuleState& state) {
    return state.alerts.size() == 1 ? &state.alerts.begin()->second : nullptr;
  }

  std::shared_ptr<promql::MemoryQueryable> data_ = std::make_shared<promql::MemoryQueryable>();
  bool history_open_ = true;
  query::QueryService service_{[this]() -> std::shared_ptr<promql::Queryable> {
                                 return history_open_ ? data_ : nullptr;
                               },
                               promql::EngineOptions{}};
  FamilyTypes types_;
  LabelMap external_;
};

TEST_F(RuleEvaluatorTest, PendingThenFiringAfterForThenResolved) {
  Rule rule = Threshold("        metric: g\n        op: '>'\n        threshold: 10\n        for: 2s\n"
                        "        labels: {severity: page}\n"
                        "        annotations: {summary: '{{ $labels.zone }} at {{ $value }}'}\n");
  RuleState state;
  Gauge(100, 5);
  ASSERT_TRUE(Eval(rule, 100, state)) << state.last_error;
  EXPECT_EQ(state.query_text, "g > 10");
  EXPECT_TRUE(state.alerts.empty());

  Gauge(101, 20);
  ASSERT_TRUE(Eval(rule, 101, state));
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->state, AlertState::kPending);
  EXPECT_EQ(Only(state)->active_at, 101);
  // The series' labels without __name__, the rule's, alertname.
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"alertname", "A"}, {"severity", "page"}, {"zone", "north"}}));
  EXPECT_EQ(Only(state)->annotations[0].second, "north at 20");
  EXPECT_TRUE(TakeAlertsToSend(state, 101, 60, 1).empty());  // pending alerts are not sent

  Gauge(102, 21);
  Eval(rule, 102, state);
  EXPECT_EQ(Only(state)->state, AlertState::kPending);  // 1 s of 2
  EXPECT_EQ(Only(state)->annotations[0].second, "north at 21");

  Gauge(103, 22);
  Eval(rule, 103, state);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  EXPECT_EQ(Only(state)->fired_at, 103);
  auto sent = TakeAlertsToSend(state, 103, 60, 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].valid_until, 103 + 4 * 60);

  Gauge(104, 3);
  Eval(rule, 104, state);
  ASSERT_NE(Only(state), nullptr);  // kept, resolved, for 15 minutes
  EXPECT_EQ(Only(state)->state, AlertState::kInactive);
  EXPECT_EQ(Only(state)->resolved_at, 104);
  sent = TakeAlertsToSend(state, 104, 60, 1);  // a resolution is sent at once
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].resolved_at, 104);

  // Firing again starts a new alert, pending from now.
  Gauge(105, 30);
  Eval(rule, 105, state);
  EXPECT_EQ(Only(state)->state, AlertState::kPending);
  EXPECT_EQ(Only(state)->active_at, 105);
}

TEST_F(RuleEvaluatorTest, PendingAlertThatClearsIsForgotten) {
  Rule rule = Threshold("        metric: g\n        op: '>'\n        threshold: 10\n        for: 1m\n");
  RuleState state;
  Gauge(100, 20);
  Eval(rule, 100, state);
  EXPECT_EQ(state.alerts.size(), 1u);
  Gauge(101, 0);
  Eval(rule, 101, state);
  EXPECT_TRUE(state.alerts.empty());
}

TEST_F(RuleEvaluatorTest, ResolvedAlertsAreResentThenDroppedAfterFifteenMinutes) {
  Rule rule = Threshold("        metric: g\n        op: '>'\n        threshold: 10\n");
  RuleState state;
  Gauge(0, 20);
  Eval(rule, 0, state);
  EXPECT_EQ(TakeAlertsToSend(state, 0, 60, 15).size(), 1u);
  EXPECT_EQ(TakeAlertsToSend(state, 30, 60, 15).size(), 0u);  // within resend_delay
  auto resent = TakeAlertsToSend(state, 60, 60, 15);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].valid_until, 60 + 4 * 60);  // 4 x max(interval, resend_delay)
  Gauge(70, 0);
  Eval(rule, 70, state);
  EXPECT_EQ(TakeAlertsToSend(state, 70, 60, 15).size(), 1u);   // resolution: at once
  EXPECT_EQ(TakeAlertsToSend(state, 131, 60, 15).size(), 1u);  // and again after resend_delay
  Gauge(70 + 15 * 60, 0);
  Eval(rule, 70 + 15 * 60, state);
  EXPECT_EQ(state.alerts.size(), 1u);
  Gauge(71 + 15 * 60, 0);
  Eval(rule, 71 + 15 * 60, state);
  EXPECT_TRUE(state.alerts.empty());
}

TEST_F(RuleEvaluatorTest, KeepFiringForHoldsAFiringAlert) {
  Rule rule = Threshold("        metric: g\n        op: '>'\n        threshold: 10\n        keep_firing_for: 3s\n");
  RuleState state;
  auto at = [&](double t, double v) {
    Gauge(t, v);
    Eval(rule, t, state);
  };
  at(100, 20);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);  // for: 0 fires at once
  at(101, 0);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  EXPECT_EQ(Only(state)->keep_firing_since, 101);
  at(103, 0);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  // The condition returns: the clock restarts.
  at(104, 20);
  EXPECT_EQ(Only(state)->keep_firing_since, 0);
  at(105, 0);
  at(107, 0);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  at(108, 0);
  EXPECT_EQ(Only(state)->state, AlertState::kInactive);
  EXPECT_EQ(Only(state)->resolved_at, 108);
}

TEST_F(RuleEvaluatorTest, RateAndIncreaseAcrossACounterReset) {
  Rule rate = Threshold("        metric: c\n        value: rate\n        window: 1m\n        op: '>'\n"
                        "        threshold: 0\n");
  Rule increase = Threshold("        metric: c\n        value: increase\n        window: 1m\n        op: '>'\n"
                            "        threshold: 0\n");
  types_["c"] = MetricType::kCounter;
  // 100 → 150 → 30 (the process restarted) → 60, then flat, every 10 s from 0 to 60: the
  // window [0, 60] is covered end to end, so nothing is extrapolated; the reset adds the
  // 150 seen before it: 60 - 100 + 150 = 110.
  const double values[] = {100, 150, 30, 60, 60, 60, 60};
  for (int i = 0; i < 7; ++i) Put(L({{"__name__", "c"}}), 10 * i, values[i]);
  RuleState rate_state, increase_state;
  ASSERT_TRUE(Eval(rate, 60, rate_state)) << rate_state.last_error;
  ASSERT_TRUE(Eval(increase, 60, increase_state));
  EXPECT_EQ(rate_state.query_text, "rate(c[1m]) > 0");
  EXPECT_EQ(increase_state.query_text, "increase(c[1m]) > 0");
  EXPECT_DOUBLE_EQ(Only(rate_state)->value, 110.0 / 60);
  EXPECT_DOUBLE_EQ(Only(increase_state)->value, 110);
  EXPECT_EQ(Only(rate_state)->labels, (LabelMap{{"alertname", "A"}}));

  // A window not yet full extrapolates as PromQL does, where the old evaluator divided by the
  // time it had samples for (issue 13). At 30 s over [1m] the samples 0..30 cover 30 s of the
  // window [-30, 30]: the start is 30 s away, more than 1.1 x the 10 s between samples, so the
  // increase is extrapolated by half an interval there: 110 (as above, to 30 s: 60 - 100 + 150)
  // x (30 + 5) / 30. The counter's zero point, 30 x 100/110 = 27.3 s before the first sample,
  // is nearer than the window's start but still beyond 1.1 x 10 s, so the same half interval
  // applies. rate = that / 60.
  RuleState early;
  ASSERT_TRUE(Eval(rate, 30, early));
  EXPECT_DOUBLE_EQ(Only(early)->value, 110.0 * 35 / 30 / 60);
}

TEST_F(RuleEvaluatorTest, AvgMinMaxOverTheWindow) {
  Rule avg = Threshold("        metric: g\n        value: avg\n        window: 10s\n        op: '>'\n        threshold: 0\n");
  Rule max = Threshold("        metric: h\n        value: max\n        window: 10s\n        op: '>'\n        threshold: 0\n");
  for (double t : {0.0, 5.0, 10.0, 15.0}) {
    Gauge(t, t + 1);
    Put(L({{"__name__", "h"}}), t, 100 - t);
  }
  RuleState avg_state, max_state;
  Eval(avg, 15, avg_state);
  Eval(max, 15, max_state);
  EXPECT_EQ(avg_state.query_text, "avg_over_time(g[10s]) > 0");
  EXPECT_EQ(max_state.query_text, "max_over_time(h[10s]) > 0");
  // Prometheus 2.42's range [15 - 10, 15] includes its start: t = 5, 10, 15.
  EXPECT_DOUBLE_EQ(Only(avg_state)->value, (6 + 11 + 16) / 3.0);
  EXPECT_DOUBLE_EQ(Only(max_state)->value, 95);
}

// h_bucket{action="Transfer",le=...} with cumulative counts `buckets` (bounds 0.1, 0.5, 1, +Inf).
void PutHistogram(promql::MemoryQueryable& data, const std::string& family, promql::Labels labels, double t,
                  std::vector<double> buckets) {
  const char* bounds[] = {"0.1", "0.5", "1", "+Inf"};
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    promql::Labels with = labels;
    with.push_back({"__name__", family + "_bucket"});
    with.push_back({"le", bounds[i]});
    std::sort(with.begin(), with.end());
    data.Add(with, {{Ms(t), buckets[i]}});
  }
  promql::Labels count = labels;
  count.push_back({"__name__", family + "_count"});
  std::sort(count.begin(), count.end());
  data.Add(count, {{Ms(t), buckets.back()}});
}

TEST_F(RuleEvaluatorTest, HistogramQuantileOfTheWindowsObservations) {
  Rule rule = Threshold("        metric: h\n        match: {action: Transfer}\n        value: quantile\n"
                        "        quantile: 0.5\n        window: 1m\n        op: '>'\n        threshold: 0.2\n");
  types_["h"] = MetricType::kHistogram;
  // Within the window: 10 in (0, 0.1], 50 in (0.1, 0.5], 30 in (0.5, 1], 10 above 1, i.e.
  // cumulative {10, 60, 90, 100}. The median, rank 50, is in (0.1, 0.5] with 10 below it and
  // 50 in it: 0.1 + 0.4 x (50 - 10) / 50 = 0.42. Over all time it would be 0.05.
  PutHistogram(*data_, "h", L({{"action", "Transfer"}}), 0, {1000, 1000, 1000, 1000});
  PutHistogram(*data_, "h", L({{"action", "Transfer"}}), 60, {1010, 1060, 1090, 1100});
  RuleState state;
  ASSERT_TRUE(Eval(rule, 60, state)) << state.last_error;
  EXPECT_EQ(state.query_text, "histogram_quantile(0.5, rate(h_bucket{action=\"Transfer\"}[1m])) > 0.2");
  ASSERT_NE(Only(state), nullptr);
  EXPECT_NEAR(Only(state)->value, 0.42, 1e-12);
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"action", "Transfer"}, {"alertname", "A"}}));
}

TEST_F(RuleEvaluatorTest, HistogramsSummedByLabelBeforeTheQuantile) {
  Rule rule = Threshold("        metric: h\n        value: quantile\n        quantile: 0.5\n"
                        "        aggregate: {op: sum, by: [action]}\n        op: '>'\n        threshold: 0\n");
  types_["h"] = MetricType::kHistogram;
  PutHistogram(*data_, "h", L({{"action", "Transfer"}, {"process", "a"}}), 0, {10, 10, 10, 10});
  PutHistogram(*data_, "h", L({{"action", "Transfer"}, {"process", "b"}}), 0, {0, 10, 10, 10});
  RuleState state;
  ASSERT_TRUE(Eval(rule, 0, state)) << state.last_error;
  // Summed buckets {10, 20, 20, 20}: rank 10 is the top of (0, 0.1]: 0.1. The sum of each
  // process's median (0.05 + 0.3 = 0.35) is what the old query text meant (issue 13).
  EXPECT_EQ(state.query_text, "histogram_quantile(0.5, sum by (le, action) (h_bucket)) > 0");
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"action", "Transfer"}, {"alertname", "A"}}));
  EXPECT_DOUBLE_EQ(Only(state)->value, 0.1);
}

TEST_F(RuleEvaluatorTest, MeanObservationOfAHistogramFromSumAndCount) {
  Rule rule = Threshold("        metric: h\n        value: avg\n        window: 1m\n        op: '>'\n"
                        "        threshold: 0.1\n");
  types_["h"] = MetricType::kHistogram;
  // 40 observations adding 8 s within the window: a mean of 0.2 s.
  for (auto [t, sum, count] : {std::tuple{0.0, 100.0, 1000.0}, std::tuple{60.0, 108.0, 1040.0}}) {
    Put(L({{"__name__", "h_sum"}}), t, sum);
    Put(L({{"__name__", "h_count"}}), t, count);
  }
  RuleState state;
  ASSERT_TRUE(Eval(rule, 60, state)) << state.last_error;
  EXPECT_EQ(state.query_text, "rate(h_sum[1m]) / rate(h_count[1m]) > 0.1");
  ASSERT_NE(Only(state), nullptr);
  EXPECT_NEAR(Only(state)->value, 0.2, 1e-12);
}

TEST_F(RuleEvaluatorTest, CpuSaturationAverageOfRatesByNothing) {
  Rule rule = Threshold("        metric: cpu\n        match: {mode: idle}\n        value: rate\n        window: 1m\n"
                        "        aggregate: {op: avg, by: []}\n        op: '<'\n        threshold: 0.1\n");
  types_["cpu"] = MetricType::kCounter;
  // Idle 5% of cpu 0 and 10% of cpu 1 over [0, 60]: 7.5% on average.
  for (double t : {0.0, 30.0, 60.0}) {
    Put(L({{"__name__", "cpu"}, {"cpu", "0"}, {"mode", "idle"}}), t, 100 + 0.05 * t);
    Put(L({{"__name__", "cpu"}, {"cpu", "1"}, {"mode", "idle"}}), t, 100 + 0.1 * t);
    Put(L({{"__name__", "cpu"}, {"cpu", "0"}, {"mode", "user"}}), t, 0);
  }
  RuleState state;
  ASSERT_TRUE(Eval(rule, 60, state)) << state.last_error;
  EXPECT_EQ(state.query_text, "avg by () (rate(cpu{mode=\"idle\"}[1m])) < 0.1");
  ASSERT_NE(Only(state), nullptr);
  EXPECT_NEAR(Only(state)->value, 0.075, 1e-12);
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"alertname", "A"}}));
}

TEST_F(RuleEvaluatorTest, DivideByMatchesSeriesWithTheSameLabels) {
  Rule rule = Threshold("        metric: avail\n        divide_by: size\n        op: '<'\n        threshold: 0.1\n");
  for (auto [mount, avail] : {std::pair{"/", 5.0}, std::pair{"/data", 50.0}, std::pair{"/orphan", 0.0}}) {
    Put(L({{"__name__", "avail"}, {"mountpoint", mount}}), 0, avail);
  }
  Put(L({{"__name__", "size"}, {"mountpoint", "/"}}), 0, 100);
  Put(L({{"__name__", "size"}, {"mountpoint", "/data"}}), 0, 100);
  RuleState state;
  ASSERT_TRUE(Eval(rule, 0, state)) << state.last_error;
  EXPECT_EQ(state.query_text, "avail / size < 0.1");
  ASSERT_NE(Only(state), nullptr);  // /orphan has no partner: one-to-one matching drops it
  EXPECT_EQ(Only(state)->labels.at("mountpoint"), "/");
  EXPECT_DOUBLE_EQ(Only(state)->value, 0.05);
}

TEST_F(RuleEvaluatorTest, AbsentFiresWhenNothingMatches) {
  Rule rule = Threshold("        metric: g\n        match: {zone: south}\n        absent: true\n");
  RuleState state;
  Gauge(0, 1);  // only zone=north
  Eval(rule, 0, state);
  EXPECT_EQ(state.query_text, "absent(g{zone=\"south\"})");
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"alertname", "A"}, {"zone", "south"}}));
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  Put(L({{"__name__", "g"}, {"zone", "south"}}), 1, 0);
  Eval(rule, 1, state);
  EXPECT_EQ(Only(state)->state, AlertState::kInactive);
  // Gone: its last sample is older than the 5-minute lookback.
  Eval(rule, 302, state);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  EXPECT_EQ(Only(state)->active_at, 302);
}

TEST_F(RuleEvaluatorTest, TheFamilysTypeChoosesTheShapeAndAMismatchKeepsTheAlerts) {
  Rule rule = Threshold("        metric: s\n        value: quantile\n        quantile: 0.9\n        op: '>'\n"
                        "        threshold: 1\n");
  types_["s"] = MetricType::kSummary;
  Put(L({{"__name__", "s"}, {"quantile", "0.9"}}), 0, 2);
  Put(L({{"__name__", "s"}, {"quantile", "0.5"}}), 0, 1);
  RuleState state;
  ASSERT_TRUE(Eval(rule, 0, state)) << state.last_error;
  EXPECT_EQ(state.query_text, "s{quantile=\"0.9\"} > 1");
  ASSERT_NE(Only(state), nullptr);
  EXPECT_DOUBLE_EQ(Only(state)->value, 2);

  // The family turns out a gauge: the rule fails, its alert stays as it was.
  types_["s"] = MetricType::kGauge;
  EXPECT_FALSE(Eval(rule, 1, state));
  EXPECT_EQ(state.last_error,
            "value: quantile does not apply to s, a gauge (quantile needs a histogram or summary)");
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);

  // A histogram: recompiled.
  types_["s"] = MetricType::kHistogram;
  EXPECT_TRUE(Eval(rule, 2, state));
  EXPECT_EQ(state.query_text, "histogram_quantile(0.9, s_bucket) > 1");
  EXPECT_EQ(state.last_error, "");
  // A family no longer on the Sources keeps the type it was compiled for.
  types_.clear();
  EXPECT_TRUE(Eval(rule, 3, state));
  EXPECT_EQ(state.query_text, "histogram_quantile(0.9, s_bucket) > 1");
}

TEST_F(RuleEvaluatorTest, RateOfAHistogramCountsObservations) {
  Rule rule = Threshold("        metric: h\n        value: rate\n        window: 1m\n        op: '>'\n"
                        "        threshold: 0\n        type: histogram\n");
  RuleState state;
  Put(L({{"__name__", "h_count"}}), 0, 10);
  Put(L({{"__name__", "h_count"}}), 60, 70);
  ASSERT_TRUE(Eval(rule, 60, state)) << state.last_error;
  EXPECT_EQ(state.query_text, "rate(h_count[1m]) > 0");
  EXPECT_DOUBLE_EQ(Only(state)->value, 1);
}

TEST_F(RuleEvaluatorTest, RuleLabelsMayBeTemplates) {
  Rule rule = Threshold("        metric: g\n        op: '>'\n        threshold: 0\n"
                        "        labels: {severity: page, where: '{{ $labels.zone }}-{{ $externalLabels.site }}'}\n");
  external_ = {{"site", "eu1"}};
  Gauge(0, 1);
  RuleState state;
  Eval(rule, 0, state);
  EXPECT_EQ(Only(state)->labels,
            (LabelMap{{"alertname", "A"}, {"severity", "page"}, {"where", "north-eu1"}, {"zone", "north"}}));
}

TEST_F(RuleEvaluatorTest, ExternalLabelsInAnnotations) {
  Rule rule = Threshold("        metric: g\n        op: '>'\n        threshold: 0\n"
                        "        annotations: {where: '{{ $externalLabels.site }}/{{ $labels.zone }}: {{ $value | humanizePercentage }}'}\n");
  external_ = {{"site", "eu1"}};
  Gauge(0, 0.25);
  RuleState state;
  Eval(rule, 0, state);
  EXPECT_EQ(Only(state)->annotations[0].second, "eu1/north: 25%");
}

TEST_F(RuleEvaluatorTest, PrometheusFormOneAlertPerSeries) {
  Rule rule = RuleFrom("alert: High\n        expr: g > 10\n        for: 1s\n        labels: {zone: override}\n"
                       "        annotations: {value: '{{ $value }}'}\n");
  EXPECT_EQ(rule.kind, RuleKind::kAlerting);
  Put(L({{"__name__", "g"}, {"zone", "north"}, {"host", "a"}}), 0, 20);
  Put(L({{"__name__", "g"}, {"zone", "north"}, {"host", "b"}}), 0, 30);
  Put(L({{"__name__", "g"}, {"zone", "south"}, {"host", "c"}}), 0, 1);
  RuleState state;
  ASSERT_TRUE(Eval(rule, 0, state)) << state.last_error;
  EXPECT_EQ(state.query_text, "g > 10");
  ASSERT_EQ(state.alerts.size(), 2u);
  const Alert& a = state.alerts.begin()->second;
  EXPECT_EQ(a.labels, (LabelMap{{"alertname", "High"}, {"host", "a"}, {"zone", "override"}}));
  EXPECT_EQ(a.annotations[0].second, "20");
  EXPECT_EQ(a.state, AlertState::kPending);
  Eval(rule, 1, state);
  EXPECT_EQ(state.alerts.begin()->second.state, AlertState::kFiring);
}

TEST_F(RuleEvaluatorTest, SameLabelsetAfterAlertLabelsIsAnErrorThatKeepsTheAlerts) {
  Rule rule = RuleFrom("alert: High\n        expr: g > 0\n");
  Gauge(0, 1);
  RuleState state;
  ASSERT_TRUE(Eval(rule, 0, state));
  ASSERT_EQ(state.alerts.size(), 1u);
  // Two series that differ only in __name__, which alerts drop.
  Rule both = RuleFrom("alert: High\n        expr: '{zone=\"north\"} > 0'\n");
  Put(L({{"__name__", "other"}, {"zone", "north"}}), 1, 1);
  Gauge(1, 1);
  EXPECT_FALSE(Eval(both, 1, state));
  EXPECT_EQ(state.last_error, "vector contains metrics with the same labelset after applying alert labels");
  EXPECT_EQ(state.alerts.size(), 1u);
  EXPECT_EQ(state.alerts.begin()->second.active_at, 0);
}

TEST_F(RuleEvaluatorTest, ScalarResultsAreOneAlertWithoutLabelsAndStringsAnError) {
  RuleState state;
  ASSERT_TRUE(Eval(RuleFrom("alert: Always\n        expr: '1'\n"), 0, state)) << state.last_error;
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"alertname", "Always"}}));
  RuleState text;
  EXPECT_FALSE(Eval(RuleFrom("alert: Text\n        expr: '\"x\"'\n"), 0, text));
  EXPECT_EQ(text.last_error, "rule result is not a vector or scalar");
}

TEST_F(RuleEvaluatorTest, LimitClearsTheAlertsWhenExceeded) {
  Rule rule = RuleFrom("alert: High\n        expr: g > 0\n");
  for (const char* zone : {"a", "b", "c"}) Put(L({{"__name__", "g"}, {"zone", zone}}), 0, 1);
  RuleState state;
  EXPECT_TRUE(Eval(rule, 0, state, 3));
  EXPECT_EQ(state.alerts.size(), 3u);
  EXPECT_FALSE(Eval(rule, 1, state, 2));
  EXPECT_EQ(state.last_error, "exceeded limit of 2 with 3 alerts");
  EXPECT_TRUE(state.alerts.empty());
}

TEST_F(RuleEvaluatorTest, RecordingRuleNamesAndLabelsItsSeries) {
  Rule rule = RuleFrom("record: zone:g:sum\n        expr: sum by (zone) (g)\n        labels: {team: games}\n");
  EXPECT_EQ(rule.kind, RuleKind::kRecording);
  Put(L({{"__name__", "g"}, {"zone", "north"}, {"host", "a"}}), 0, 2);
  Put(L({{"__name__", "g"}, {"zone", "north"}, {"host", "b"}}), 0, 3);
  Put(L({{"__name__", "g"}, {"zone", "south"}, {"host", "c"}}), 0, 7);
  RuleState state;
  ASSERT_TRUE(Eval(rule, 0, state)) << state.last_error;
  ASSERT_EQ(state.recorded.size(), 2u);
  EXPECT_EQ(state.recorded[0].labels, L({{"__name__", "zone:g:sum"}, {"team", "games"}, {"zone", "north"}}));
  EXPECT_DOUBLE_EQ(state.recorded[0].v, 5);
  EXPECT_DOUBLE_EQ(state.recorded[1].v, 7);
  EXPECT_TRUE(state.alerts.empty());

  EXPECT_FALSE(Eval(rule, 0, state, 1));
  EXPECT_EQ(state.last_error, "exceeded limit of 1 with 2 series");
  EXPECT_TRUE(state.recorded.empty());

  // A label that makes the two series one.
  Rule collapse = RuleFrom("record: zone:g:sum\n        expr: sum by (zone) (g)\n        labels: {zone: all}\n");
  RuleState collapsed;
  EXPECT_FALSE(Eval(collapse, 0, collapsed));
  EXPECT_EQ(collapsed.last_error, "vector contains metrics with the same labelset after applying rule labels");
}

TEST_F(RuleEvaluatorTest, HistoryUnavailableIsTheRulesErrorAndKeepsTheAlerts) {
  Rule rule = Threshold("        metric: g\n        op: '>'\n        threshold: 0\n");
  Gauge(0, 1);
  RuleState state;
  ASSERT_TRUE(Eval(rule, 0, state));
  ASSERT_NE(Only(state), nullptr);
  history_open_ = false;
  EXPECT_FALSE(Eval(rule, 1, state));
  EXPECT_NE(state.last_error.find("history is not available"), std::string::npos) << state.last_error;
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  EXPECT_EQ(Only(state)->active_at, 0);
}

TEST_F(RuleEvaluatorTest, NodeRulesExampleLoadsAndEvaluates) {
  std::ifstream file(std::string(METRICSD_SOURCE_DIR) + "/config/rules/node.rules.yaml");
  std::stringstream text;
  text << file.rdbuf();
  std::vector<RuleGroup> groups = ParseRuleFile(text.str(), "node.rules.yaml", std::chrono::seconds(15));
  ASSERT_EQ(groups.size(), 2u);
  // Ten minutes of a host at 5% memory and 5% disk left, 2 CPUs each 90% busy, load 10.
  for (double t = 0; t <= 600; t += 15) {
    Put(L({{"__name__", "node_memory_MemAvailable_bytes"}}), t, 5);
    Put(L({{"__name__", "node_memory_MemTotal_bytes"}}), t, 100);
    promql::Labels fs{{"device", "/dev/sda1"}, {"fstype", "ext4"}, {"mountpoint", "/"}};
    auto with_name = [&](const char* name) {
      promql::Labels labels = fs;
      labels.push_back({"__name__", name});
      std::sort(labels.begin(), labels.end());
      return labels;
    };
    Put(with_name("node_filesystem_avail_bytes"), t, 5 - t / 600);  // filling up
    Put(with_name("node_filesystem_size_bytes"), t, 100);
    Put(with_name("node_filesystem_readonly"), t, 0);
    for (const char* cpu : {"0", "1"}) {
      Put(L({{"__name__", "node_cpu_seconds_total"}, {"cpu", cpu}, {"mode", "idle"}}), t, 0.1 * t);
      Put(L({{"__name__", "node_cpu_seconds_total"}, {"cpu", cpu}, {"mode", "user"}}), t, 0.9 * t);
    }
    Put(L({{"__name__", "node_load1"}}), t, 10);
  }
  std::map<std::string, RuleState> states;
  for (const RuleGroup& group : groups) {
    for (const Rule& rule : group.rules) {
      RuleState& state = states[rule.Name()];
      EXPECT_TRUE(Eval(rule, 600, state)) << rule.Name() << ": " << state.last_error;
    }
  }
  auto recorded = [&](const std::string& name) {
    const RuleState& state = states[name];
    return state.recorded.size() == 1 ? state.recorded[0].v : -1;
  };
  EXPECT_NEAR(recorded("instance:node_cpu_utilisation:rate5m"), 0.9, 1e-9);
  EXPECT_NEAR(recorded("instance:node_memory_utilisation:ratio"), 0.95, 1e-9);
  EXPECT_NEAR(recorded("instance:node_load1_per_cpu:ratio"), 5, 1e-9);
  ASSERT_EQ(states["HostOutOfMemory"].alerts.size(), 1u);
  EXPECT_EQ(states["HostOutOfMemory"].alerts.begin()->second.state, AlertState::kPending);
  EXPECT_NEAR(states["HostOutOfMemory"].alerts.begin()->second.value, 5, 1e-9);
  // awesome-prometheus-alerts' description, $labels printed whole as Go prints a map.
  EXPECT_EQ(states["HostOutOfMemory"].alerts.begin()->second.annotations.at(1).second,
            "Node memory is filling up (< 10% left)\n  VALUE = 5\n  LABELS = map[]");
  ASSERT_EQ(states["HostOutOfDiskSpace"].alerts.size(), 1u);
  EXPECT_EQ(states["HostOutOfDiskSpace"].alerts.begin()->second.labels,
            (LabelMap{{"alertname", "HostOutOfDiskSpace"}, {"device", "/dev/sda1"}, {"fstype", "ext4"},
                      {"mountpoint", "/"}, {"severity", "critical"}}));
  // 4% free and falling by 1% per 10 minutes: empty within 24 hours.
  ASSERT_EQ(states["NodeFilesystemSpaceFillingUp"].alerts.size(), 1u);
  EXPECT_NEAR(states["NodeFilesystemSpaceFillingUp"].alerts.begin()->second.value, 4, 1e-9);
  // These read recording rules' results, which reach history through the sampler only.
  EXPECT_TRUE(states["HostHighCpuLoad"].alerts.empty());
}

TEST(FamilyTypeReaderTest, KeepsOnlyTheNamedFamiliesTypesAndSaysWhichItWants) {
  FamilyTypeReader reader({"wanted"});
  EXPECT_TRUE(reader.Wants("wanted"));
  EXPECT_FALSE(reader.Wants("metricsd_statsd_udp_kernel_drops_total"));  // Sources skip its /proc read
  reader.Family("other", "", MetricType::kGauge);
  reader.Family("wanted", "", MetricType::kHistogram);
  FamilyTypes types = reader.Take();
  EXPECT_EQ(types, (FamilyTypes{{"wanted", MetricType::kHistogram}}));
}

}  // namespace
}  // namespace metricsd::alerting
