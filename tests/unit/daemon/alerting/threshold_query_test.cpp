// The threshold form compiled to PromQL, one case per shape and type (issue 13: histograms'
// and summaries' shapes, the sum of histogram quantiles, divide_by, absent), each a valid
// PromQL expression; a value that does not apply to the type is an error naming both.
#include "daemon/alerting/threshold_query.h"

#include <gtest/gtest.h>

#include "daemon/alerting/alerting_config.h"
#include "daemon/query/promql/parser.h"

namespace metricsd::alerting {
namespace {

Rule ThresholdRule(const std::string& fields) {
  return ParseRuleFile("groups:\n  - name: g\n    rules:\n      - alert: A\n" + fields, "r.yaml",
                       std::chrono::seconds(1))
      .at(0)
      .rules.at(0);
}

constexpr MetricType kCounter = MetricType::kCounter, kGauge = MetricType::kGauge,
                     kHistogram = MetricType::kHistogram, kSummary = MetricType::kSummary;

TEST(ThresholdQueryTest, EachShapeForEachType) {
  struct Case {
    std::string fields;
    MetricType type;
    std::string query;
  };
  const std::string m = "        metric: x\n        match: {job: api}\n";
  const std::string over = "        op: '>'\n        threshold: 0.5\n";
  const Case cases[] = {
      {m + over, kGauge, "x{job=\"api\"} > 0.5"},
      {m + "        value: rate\n        window: 5m\n" + over, kCounter, "rate(x{job=\"api\"}[5m]) > 0.5"},
      {m + "        value: rate\n        window: 5m\n" + over, kHistogram, "rate(x_count{job=\"api\"}[5m]) > 0.5"},
      {m + "        value: rate\n        window: 5m\n" + over, kSummary, "rate(x_count{job=\"api\"}[5m]) > 0.5"},
      {m + "        value: increase\n        window: 1h\n" + over, kHistogram,
       "increase(x_count{job=\"api\"}[1h]) > 0.5"},
      {m + "        value: avg\n        window: 5m\n" + over, kGauge, "avg_over_time(x{job=\"api\"}[5m]) > 0.5"},
      {m + "        value: avg\n        window: 5m\n" + over, kHistogram,
       "rate(x_sum{job=\"api\"}[5m]) / rate(x_count{job=\"api\"}[5m]) > 0.5"},
      {m + "        value: min\n        window: 1m30s\n" + over, kGauge, "min_over_time(x{job=\"api\"}[1m30s]) > 0.5"},
      {m + "        value: max\n        window: 1m\n" + over, kCounter, "max_over_time(x{job=\"api\"}[1m]) > 0.5"},
      {m + "        value: quantile\n        quantile: 0.99\n        window: 5m\n" + over, kHistogram,
       "histogram_quantile(0.99, rate(x_bucket{job=\"api\"}[5m])) > 0.5"},
      {m + "        value: quantile\n        quantile: 0.99\n" + over, kHistogram,
       "histogram_quantile(0.99, x_bucket{job=\"api\"}) > 0.5"},
      {m + "        value: quantile\n        quantile: 0.99\n        window: 5m\n"
           "        aggregate: {op: sum, by: [action]}\n" + over,
       kHistogram, "histogram_quantile(0.99, sum by (le, action) (rate(x_bucket{job=\"api\"}[5m]))) > 0.5"},
      {m + "        value: quantile\n        quantile: 0.99\n        window: 5m\n"
           "        aggregate: {op: max, by: [action]}\n" + over,
       kHistogram, "max by (action) (histogram_quantile(0.99, rate(x_bucket{job=\"api\"}[5m]))) > 0.5"},
      {m + "        value: quantile\n        quantile: 0.99\n        window: 5m\n" + over, kSummary,
       "x{job=\"api\",quantile=\"0.99\"} > 0.5"},
      {m + "        value: rate\n        window: 5m\n        aggregate: {op: sum, by: [instance, job]}\n" + over,
       kCounter, "sum by (instance, job) (rate(x{job=\"api\"}[5m])) > 0.5"},
      {"        metric: x\n        match_re: {path: '/api/.*'}\n        absent: true\n", kGauge,
       "absent(x{path=~\"/api/.*\"})"},
      {"        metric: x\n        absent: true\n", kHistogram, "absent(x_count)"},
      {"        metric: x\n        op: '<'\n        threshold: -1e+09\n", kGauge, "x < -1e+09"},
  };
  for (const Case& c : cases) {
    Rule rule = ThresholdRule(c.fields);
    std::string query = ThresholdQuery(rule, c.type, c.type);
    EXPECT_EQ(query, c.query) << c.fields;
    query::promql::ParseError error;
    EXPECT_NE(query::promql::ParseExpr(query, &error), nullptr) << query << ": " << error.ToString(query);
  }
}

TEST(ThresholdQueryTest, DivideByCompilesEachSideForItsOwnType) {
  Rule rule = ThresholdRule("        metric: errors\n        value: rate\n        window: 5m\n"
                        "        divide_by: requests\n        aggregate: {op: sum, by: [job]}\n"
                        "        op: '>'\n        threshold: 0.01\n");
  EXPECT_EQ(ThresholdQuery(rule, kCounter, kHistogram),
            "sum by (job) (rate(errors[5m])) / sum by (job) (rate(requests_count[5m])) > 0.01");
  Rule mean = ThresholdRule("        metric: a\n        value: avg\n        window: 5m\n        divide_by: b\n"
                        "        op: '>'\n        threshold: 2\n");
  EXPECT_EQ(ThresholdQuery(mean, kHistogram, kHistogram),
            "(rate(a_sum[5m]) / rate(a_count[5m])) / (rate(b_sum[5m]) / rate(b_count[5m])) > 2");
}

TEST(ThresholdQueryTest, AValueThatDoesNotApplyToTheTypeIsAnError) {
  auto error = [](const std::string& fields, MetricType type) -> std::string {
    try {
      ThresholdQuery(ThresholdRule(fields + "        op: '>'\n        threshold: 1\n"), type, type);
    } catch (const RuleTypeError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error("        metric: x\n", kHistogram),
            "value: last does not apply to x, a histogram (use quantile, avg, rate or increase)");
  EXPECT_EQ(error("        metric: x\n        value: min\n        window: 1m\n", kSummary),
            "value: min does not apply to x, a summary (use quantile, avg, rate or increase)");
  EXPECT_EQ(error("        metric: x\n        value: quantile\n        quantile: 0.5\n", kCounter),
            "value: quantile does not apply to x, a counter (quantile needs a histogram or summary)");
}

TEST(ThresholdQueryTest, AssumedTypeBeforeTheFamilyIsSeen) {
  EXPECT_EQ(AssumedType(ThresholdRule("        metric: x\n        op: '>'\n        threshold: 1\n")), kGauge);
  EXPECT_EQ(AssumedType(ThresholdRule("        metric: x\n        value: quantile\n        quantile: 0.5\n"
                                  "        op: '>'\n        threshold: 1\n")),
            kHistogram);
  EXPECT_EQ(AssumedType(ThresholdRule("        metric: x\n        value: quantile\n        quantile: 0.5\n"
                                  "        type: summary\n        op: '>'\n        threshold: 1\n")),
            kSummary);
}

}  // namespace
}  // namespace metricsd::alerting
