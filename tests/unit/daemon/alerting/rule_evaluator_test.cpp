// The evaluator as a pure function with a fake clock: Prometheus's alert states (pending,
// firing after `for`, resolved, keep_firing_for), windows (rate across counter resets),
// histogram quantiles against hand-computed values, aggregation, ratios, absent, and when
// alerts are (re)sent.
#include "daemon/alerting/rule_evaluator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "daemon/alerting/alerting_config.h"

namespace metricsd::alerting {
namespace {

Rule RuleFrom(const std::string& fields) {
  auto groups = ParseRuleFile("groups:\n  - name: g\n    rules:\n      - alert: A\n" + fields, "r.yaml",
                              std::chrono::seconds(1));
  return groups.at(0).rules.at(0);
}

SelectedSeries Scalar(LabelMap labels, double value) {
  SelectedSeries series;
  series.labels = std::move(labels);
  series.value = value;
  return series;
}

SelectedSeries Hist(LabelMap labels, std::vector<double> bounds, std::vector<double> cumulative) {
  SelectedSeries series;
  series.labels = std::move(labels);
  series.bounds = std::move(bounds);
  series.buckets = std::move(cumulative);  // the last one is +Inf, the count
  series.count = series.buckets.back();
  return series;
}

Selection One(const std::string& family, MetricType type, std::vector<SelectedSeries> series) {
  Selection selection;
  selection[family] = {type, std::move(series)};
  return selection;
}

Selection Gauge(double value) { return One("g", MetricType::kGauge, {Scalar({{"zone", "north"}}, value)}); }

const Alert* Only(const RuleState& state) {
  return state.alerts.size() == 1 ? &state.alerts.begin()->second : nullptr;
}

const LabelMap kNoExternal;

TEST(RuleEvaluatorTest, PendingThenFiringAfterForThenResolved) {
  Rule rule = RuleFrom("        metric: g\n        op: '>'\n        threshold: 10\n        for: 2s\n"
                       "        labels: {severity: page}\n"
                       "        annotations: {summary: '{{ $labels.zone }} at {{ $value }}'}\n");
  RuleState state;
  ASSERT_TRUE(EvaluateRule(rule, Gauge(5), 100, kNoExternal, state));
  EXPECT_TRUE(state.alerts.empty());

  ASSERT_TRUE(EvaluateRule(rule, Gauge(20), 101, kNoExternal, state));
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->state, AlertState::kPending);
  EXPECT_EQ(Only(state)->active_at, 101);
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"alertname", "A"}, {"severity", "page"}, {"zone", "north"}}));
  EXPECT_EQ(Only(state)->annotations[0].second, "north at 20");
  EXPECT_TRUE(TakeAlertsToSend(state, 101, 60, 1).empty());  // pending alerts are not sent

  EvaluateRule(rule, Gauge(21), 102, kNoExternal, state);
  EXPECT_EQ(Only(state)->state, AlertState::kPending);  // 1 s of 2
  EXPECT_EQ(Only(state)->annotations[0].second, "north at 21");

  EvaluateRule(rule, Gauge(22), 103, kNoExternal, state);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  EXPECT_EQ(Only(state)->fired_at, 103);
  auto sent = TakeAlertsToSend(state, 103, 60, 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].valid_until, 103 + 4 * 60);

  EvaluateRule(rule, Gauge(3), 104, kNoExternal, state);
  ASSERT_NE(Only(state), nullptr);  // kept, resolved, for 15 minutes
  EXPECT_EQ(Only(state)->state, AlertState::kInactive);
  EXPECT_EQ(Only(state)->resolved_at, 104);
  sent = TakeAlertsToSend(state, 104, 60, 1);  // a resolution is sent at once
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].resolved_at, 104);

  // Firing again starts a new alert, pending from now.
  EvaluateRule(rule, Gauge(30), 105, kNoExternal, state);
  EXPECT_EQ(Only(state)->state, AlertState::kPending);
  EXPECT_EQ(Only(state)->active_at, 105);
}

TEST(RuleEvaluatorTest, PendingAlertThatClearsIsForgotten) {
  Rule rule = RuleFrom("        metric: g\n        op: '>'\n        threshold: 10\n        for: 1m\n");
  RuleState state;
  EvaluateRule(rule, Gauge(20), 100, kNoExternal, state);
  EvaluateRule(rule, Gauge(0), 101, kNoExternal, state);
  EXPECT_TRUE(state.alerts.empty());
}

TEST(RuleEvaluatorTest, ResolvedAlertsAreResentThenDroppedAfterFifteenMinutes) {
  Rule rule = RuleFrom("        metric: g\n        op: '>'\n        threshold: 10\n");
  RuleState state;
  EvaluateRule(rule, Gauge(20), 0, kNoExternal, state);
  EXPECT_EQ(TakeAlertsToSend(state, 0, 60, 15).size(), 1u);
  EXPECT_EQ(TakeAlertsToSend(state, 30, 60, 15).size(), 0u);  // within resend_delay
  auto resent = TakeAlertsToSend(state, 60, 60, 15);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].valid_until, 60 + 4 * 60);  // 4 x max(interval, resend_delay)
  EvaluateRule(rule, Gauge(0), 70, kNoExternal, state);
  EXPECT_EQ(TakeAlertsToSend(state, 70, 60, 15).size(), 1u);  // resolution: at once
  EXPECT_EQ(TakeAlertsToSend(state, 131, 60, 15).size(), 1u);  // and again after resend_delay
  EvaluateRule(rule, Gauge(0), 70 + 15 * 60, kNoExternal, state);
  EXPECT_EQ(state.alerts.size(), 1u);
  EvaluateRule(rule, Gauge(0), 71 + 15 * 60, kNoExternal, state);
  EXPECT_TRUE(state.alerts.empty());
}

TEST(RuleEvaluatorTest, KeepFiringForHoldsAFiringAlert) {
  Rule rule = RuleFrom("        metric: g\n        op: '>'\n        threshold: 10\n        keep_firing_for: 3s\n");
  RuleState state;
  EvaluateRule(rule, Gauge(20), 100, kNoExternal, state);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);  // for: 0 fires at once
  EvaluateRule(rule, Gauge(0), 101, kNoExternal, state);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  EXPECT_EQ(Only(state)->keep_firing_since, 101);
  EvaluateRule(rule, Gauge(0), 103, kNoExternal, state);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  // The condition returns: the clock restarts.
  EvaluateRule(rule, Gauge(20), 104, kNoExternal, state);
  EXPECT_EQ(Only(state)->keep_firing_since, 0);
  EvaluateRule(rule, Gauge(0), 105, kNoExternal, state);
  EvaluateRule(rule, Gauge(0), 107, kNoExternal, state);
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  EvaluateRule(rule, Gauge(0), 108, kNoExternal, state);
  EXPECT_EQ(Only(state)->state, AlertState::kInactive);
  EXPECT_EQ(Only(state)->resolved_at, 108);
}

TEST(RuleEvaluatorTest, RateAndIncreaseAcrossACounterReset) {
  Rule rate = RuleFrom("        metric: c\n        value: rate\n        window: 1m\n        op: '>'\n"
                       "        threshold: 0\n");
  Rule increase = RuleFrom("        metric: c\n        value: increase\n        window: 1m\n        op: '>'\n"
                           "        threshold: 0\n");
  RuleState rate_state, increase_state;
  auto at = [](double value) { return One("c", MetricType::kCounter, {Scalar({}, value)}); };
  // 100 → 150 → 30 (the process restarted) → 60: increases 50, 30, 30.
  const double values[] = {100, 150, 30, 60};
  for (int i = 0; i < 4; ++i) {
    EvaluateRule(rate, at(values[i]), 1000 + 10 * i, kNoExternal, rate_state);
    EvaluateRule(increase, at(values[i]), 1000 + 10 * i, kNoExternal, increase_state);
    if (i == 0) {
      EXPECT_TRUE(rate_state.alerts.empty());  // one point: no rate yet
    }
  }
  EXPECT_DOUBLE_EQ(Only(rate_state)->value, 110.0 / 30);
  EXPECT_DOUBLE_EQ(Only(increase_state)->value, 110);
  // Points older than the window are dropped: at t=1065 only 1010.. remain.
  EvaluateRule(increase, at(70), 1065, kNoExternal, increase_state);
  EXPECT_DOUBLE_EQ(Only(increase_state)->value, 30 + 30 + 10);
  EXPECT_EQ(increase_state.history.begin()->second.points.size(), 4u);
}

TEST(RuleEvaluatorTest, AvgMinMaxOverTheWindow) {
  RuleState avg_state, max_state;
  Rule avg = RuleFrom("        metric: g\n        value: avg\n        window: 10s\n        op: '>'\n        threshold: 0\n");
  Rule max = RuleFrom("        metric: g\n        value: max\n        window: 10s\n        op: '>'\n        threshold: 0\n");
  for (double t : {0.0, 5.0, 10.0, 15.0}) {
    EvaluateRule(avg, Gauge(t + 1), t, kNoExternal, avg_state);
    EvaluateRule(max, Gauge(100 - t), t, kNoExternal, max_state);
  }
  EXPECT_DOUBLE_EQ(Only(avg_state)->value, (6 + 11 + 16) / 3.0);  // t = 5, 10, 15
  EXPECT_DOUBLE_EQ(Only(max_state)->value, 95);
}

TEST(RuleEvaluatorTest, HistogramQuantileAsPromQLComputesIt) {
  std::vector<double> bounds{0.1, 0.5, 1};
  // 10 in (0, 0.1], 50 in (0.1, 0.5], 30 in (0.5, 1], 10 above 1.
  std::vector<double> buckets{10, 60, 90, 100};
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, bounds, buckets), 0.1 + 0.4 * (40.0 / 50));  // 0.42
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.05, bounds, buckets), 0.1 * 0.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.9, bounds, buckets), 1);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.95, bounds, buckets), 1);  // in +Inf: the highest bound
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, bounds, {0, 0, 0, 0})));

  // Windowed: the quantile of what was observed within the window only.
  Rule rule = RuleFrom("        metric: h\n        value: quantile\n        quantile: 0.5\n        window: 1m\n"
                       "        op: '>'\n        threshold: 0.2\n");
  RuleState state;
  EvaluateRule(rule, One("h", MetricType::kHistogram, {Hist({{"action", "Transfer"}}, bounds, {1000, 1000, 1000, 1000})}),
               0, kNoExternal, state);
  EXPECT_TRUE(state.alerts.empty());
  EvaluateRule(rule, One("h", MetricType::kHistogram, {Hist({{"action", "Transfer"}}, bounds, {1010, 1060, 1090, 1100})}),
               30, kNoExternal, state);
  ASSERT_NE(Only(state), nullptr);
  EXPECT_DOUBLE_EQ(Only(state)->value, 0.42);  // all-time it would be 0.1 * 0.5 / 1 = 0.05
}

TEST(RuleEvaluatorTest, HistogramsSummedByLabelBeforeTheQuantile) {
  Rule rule = RuleFrom("        metric: h\n        value: quantile\n        quantile: 0.5\n"
                       "        aggregate: {op: sum, by: [action]}\n        op: '>'\n        threshold: 0\n");
  std::vector<double> bounds{1, 2};
  Selection selection = One("h", MetricType::kHistogram,
                            {Hist({{"action", "Transfer"}, {"process", "a"}}, bounds, {10, 10, 10}),
                             Hist({{"action", "Transfer"}, {"process", "b"}}, bounds, {0, 10, 10})});
  RuleState state;
  ASSERT_TRUE(EvaluateRule(rule, selection, 0, kNoExternal, state));
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"action", "Transfer"}, {"alertname", "A"}}));
  EXPECT_DOUBLE_EQ(Only(state)->value, 1);  // buckets {10, 20, 20}: rank 10 is the top of (0, 1]
}

TEST(RuleEvaluatorTest, CpuSaturationAverageOfRatesByNothing) {
  Rule rule = RuleFrom("        metric: cpu\n        match: {mode: idle}\n        value: rate\n        window: 1m\n"
                       "        aggregate: {op: avg, by: []}\n        op: '<'\n        threshold: 0.1\n");
  auto at = [](double idle0, double idle1) {
    return One("cpu", MetricType::kCounter,
               {Scalar({{"cpu", "0"}, {"mode", "idle"}}, idle0), Scalar({{"cpu", "1"}, {"mode", "idle"}}, idle1),
                Scalar({{"cpu", "0"}, {"mode", "user"}}, 0)});
  };
  RuleState state;
  EvaluateRule(rule, at(100, 100), 0, kNoExternal, state);
  EvaluateRule(rule, at(100.5, 101), 10, kNoExternal, state);  // idle 5% and 10%: avg 7.5%
  ASSERT_NE(Only(state), nullptr);
  EXPECT_DOUBLE_EQ(Only(state)->value, 0.075);
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"alertname", "A"}}));
}

TEST(RuleEvaluatorTest, DivideByMatchesSeriesWithTheSameLabels) {
  Rule rule = RuleFrom("        metric: avail\n        divide_by: size\n        op: '<'\n        threshold: 0.1\n");
  Selection selection = One("avail", MetricType::kGauge,
                            {Scalar({{"mountpoint", "/"}}, 5), Scalar({{"mountpoint", "/data"}}, 50),
                             Scalar({{"mountpoint", "/orphan"}}, 0)});
  selection["size"] = {MetricType::kGauge, {Scalar({{"mountpoint", "/"}}, 100), Scalar({{"mountpoint", "/data"}}, 100)}};
  RuleState state;
  EvaluateRule(rule, selection, 0, kNoExternal, state);
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->labels.at("mountpoint"), "/");
  EXPECT_DOUBLE_EQ(Only(state)->value, 0.05);
}

TEST(RuleEvaluatorTest, AbsentFiresWhenNothingMatches) {
  Rule rule = RuleFrom("        metric: g\n        match: {zone: south}\n        absent: true\n");
  RuleState state;
  EvaluateRule(rule, Gauge(1), 0, kNoExternal, state);  // only zone=north
  ASSERT_NE(Only(state), nullptr);
  EXPECT_EQ(Only(state)->labels, (LabelMap{{"alertname", "A"}, {"zone", "south"}}));
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  EvaluateRule(rule, One("g", MetricType::kGauge, {Scalar({{"zone", "south"}}, 0)}), 1, kNoExternal, state);
  EXPECT_EQ(Only(state)->state, AlertState::kInactive);
  EvaluateRule(rule, Selection{}, 2, kNoExternal, state);  // the family is gone altogether
  EXPECT_EQ(Only(state)->state, AlertState::kFiring);
  EXPECT_EQ(Only(state)->active_at, 2);
}

TEST(RuleEvaluatorTest, AWrongTypeIsAFailureThatKeepsTheAlerts) {
  Rule rule = RuleFrom("        metric: g\n        value: quantile\n        quantile: 0.9\n        op: '>'\n"
                       "        threshold: 1\n");
  RuleState state;
  EXPECT_FALSE(EvaluateRule(rule, Gauge(5), 0, kNoExternal, state));
  EXPECT_EQ(state.last_error,
            "value: quantile does not apply to g, a gauge (quantile needs a histogram or summary)");
  SelectedSeries summary;
  summary.quantiles = {{0.5, 1}, {0.99, 3}};
  EXPECT_FALSE(EvaluateRule(rule, One("g", MetricType::kSummary, {summary}), 1, kNoExternal, state));
  EXPECT_EQ(state.last_error, "summary g has no quantile 0.9 (it has 0.5, 0.99)");
  summary.quantiles.push_back({0.9, 2});
  EXPECT_TRUE(EvaluateRule(rule, One("g", MetricType::kSummary, {summary}), 2, kNoExternal, state));
  EXPECT_EQ(state.last_error, "");
  EXPECT_DOUBLE_EQ(Only(state)->value, 2);
}

TEST(RuleEvaluatorTest, RuleLabelsMayBeTemplates) {
  Rule rule = RuleFrom("        metric: g\n        op: '>'\n        threshold: 0\n"
                       "        labels: {severity: page, where: '{{ $labels.zone }}-{{ $externalLabels.site }}'}\n");
  RuleState state;
  EvaluateRule(rule, Gauge(1), 0, LabelMap{{"site", "eu1"}}, state);
  EXPECT_EQ(Only(state)->labels,
            (LabelMap{{"alertname", "A"}, {"severity", "page"}, {"where", "north-eu1"}, {"zone", "north"}}));
}

TEST(RuleEvaluatorTest, ExternalLabelsInAnnotations) {
  Rule rule = RuleFrom("        metric: g\n        op: '>'\n        threshold: 0\n"
                       "        annotations: {where: '{{ $externalLabels.site }}/{{ $labels.zone }}: {{ $value | humanizePercentage }}'}\n");
  RuleState state;
  LabelMap external{{"site", "eu1"}};
  EvaluateRule(rule, Gauge(0.25), 0, external, state);
  EXPECT_EQ(Only(state)->annotations[0].second, "eu1/north: 25%");
}

}  // namespace
}  // namespace metricsd::alerting

namespace metricsd::alerting {
namespace {

TEST(FamilySelectorTest, KeepsOnlyTheNamedFamiliesAndSaysWhichItWants) {
  FamilySelector selector({"wanted"});
  EXPECT_TRUE(selector.Wants("wanted"));
  EXPECT_FALSE(selector.Wants("metricsd_statsd_udp_kernel_drops_total"));  // Sources skip its /proc read
  Label zone{"zone", "north"};
  selector.Family("other", "", MetricType::kGauge);
  selector.Sample(Labels(&zone, 1), 1);
  selector.Family("wanted", "", MetricType::kHistogram);
  const double bounds[] = {1, 2};
  const std::uint64_t counts[] = {3, 5};
  selector.Histogram(Labels(&zone, 1), bounds, counts, 7.5, 6);
  Selection selection = selector.Take();
  ASSERT_EQ(selection.size(), 1u);
  const SelectedSeries& series = selection.at("wanted").series.at(0);
  EXPECT_EQ(series.labels, (LabelMap{{"zone", "north"}}));
  EXPECT_EQ(series.buckets, (std::vector<double>{3, 5, 6}));  // +Inf = the count
  EXPECT_EQ(series.sum, 7.5);
}

}  // namespace
}  // namespace metricsd::alerting
