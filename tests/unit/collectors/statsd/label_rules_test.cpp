// Everything a StatsD sample could carry that would make Prometheus fail the whole scrape:
// malformed UTF-8, reserved and invalid label names, and the limits on names and label values.
// (The UTF-8 and charset checks themselves are tested in tests/unit/daemon/core/metric_names_test.)
#include "collectors/statsd/label_rules.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace metricsd::statsd {
namespace {

using LabelList = std::vector<std::pair<std::string, std::string>>;

LabelError Check(std::string_view name, MetricType type, const LabelList& labels,
                 LabelLimits limits = {}) {
  return CheckSeries(name, type, labels.data(), labels.size(), limits);
}

TEST(CheckSeriesTest, ReservedNamesDependOnType) {
  EXPECT_EQ(Check("x", MetricType::kCounter, {{"zone", "eu"}}), LabelError::kNone);
  EXPECT_EQ(Check("x", MetricType::kCounter, {{"__name__", "y"}}), LabelError::kReservedLabelName);
  EXPECT_EQ(Check("x", MetricType::kGauge, {{"__anything", "y"}}), LabelError::kReservedLabelName);
  EXPECT_EQ(Check("x", MetricType::kHistogram, {{"le", "1"}}), LabelError::kReservedLabelName);
  EXPECT_EQ(Check("x", MetricType::kSummary, {{"quantile", "1"}}), LabelError::kReservedLabelName);
  // Reserved only where the type adds them, as in client_golang.
  EXPECT_EQ(Check("x", MetricType::kCounter, {{"le", "1"}}), LabelError::kNone);
  EXPECT_EQ(Check("x", MetricType::kHistogram, {{"quantile", "1"}}), LabelError::kNone);
  EXPECT_EQ(Check("x", MetricType::kSummary, {{"le", "1"}}), LabelError::kNone);
}

TEST(CheckSeriesTest, NamesValuesAndLimits) {
  EXPECT_EQ(Check("x", MetricType::kCounter, {{"a-b", "1"}}), LabelError::kInvalidLabelName);
  EXPECT_EQ(Check("x.y", MetricType::kCounter, {}), LabelError::kInvalidMetricName);
  EXPECT_EQ(Check("x", MetricType::kCounter, {{"a", "\xed\xa0\x80"}}), LabelError::kInvalidLabelValue);
  EXPECT_EQ(Check("metricsd_statsd_lines_total", MetricType::kCounter, {}), LabelError::kReservedMetricName);
  EXPECT_EQ(Check("process_cpu_seconds_total", MetricType::kCounter, {}), LabelError::kReservedMetricName);
  EXPECT_EQ(Check("ALERTS", MetricType::kGauge, {}), LabelError::kReservedMetricName);
  for (const char* other : {"node_load1", "namedprocess_namegroup_num_procs", "probe_success",
                            "ao_dryrun_duration_seconds", "ao_unit_info"}) {
    EXPECT_EQ(Check(other, MetricType::kGauge, {}), LabelError::kReservedMetricName) << other;
  }
  EXPECT_EQ(Check("ao_handler_seconds", MetricType::kHistogram, {}), LabelError::kNone);
  EXPECT_EQ(Check("game_metricsd_x", MetricType::kCounter, {}), LabelError::kNone);
  LabelLimits limits{8, 4};
  EXPECT_EQ(Check("abcdefgh", MetricType::kCounter, {{"a", "1234"}}, limits), LabelError::kNone);
  EXPECT_EQ(Check("abcdefghi", MetricType::kCounter, {}, limits), LabelError::kNameTooLong);
  EXPECT_EQ(Check("x", MetricType::kCounter, {{"a", "12345"}}, limits), LabelError::kLabelValueTooLong);
}

}  // namespace
}  // namespace metricsd::statsd
