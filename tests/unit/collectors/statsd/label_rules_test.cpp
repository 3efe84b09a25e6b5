// Everything a StatsD sample could carry that would make Prometheus fail the whole scrape:
// malformed UTF-8 (each class Go's utf8.ValidString rejects), reserved and invalid label names,
// and the limits on names and label values.
#include "collectors/statsd/label_rules.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace metricsd::statsd {
namespace {

TEST(IsValidUtf8Test, AcceptsWellFormed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc2\x80"));                  // U+0080, the first 2-byte form
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));               // é
  EXPECT_TRUE(IsValidUtf8("\xe0\xa0\x80"));              // U+0800, the first 3-byte form
  EXPECT_TRUE(IsValidUtf8("\xed\x9f\xbf"));              // U+D7FF, just below the surrogates
  EXPECT_TRUE(IsValidUtf8("\xee\x80\x80"));              // U+E000, just above them
  EXPECT_TRUE(IsValidUtf8("\xef\xbf\xbf"));              // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xf0\x90\x80\x80"));          // U+10000, the first 4-byte form
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x8e\xae"));          // 🎮
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF, the last code point
}

TEST(IsValidUtf8Test, RejectsWhatGoRejects) {
  // Overlong forms: '/' as 2, 3 and 4 bytes, and NUL as 2 bytes (C0/C1 never start one).
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xe0\x9f\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x80\x80\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));
  // Surrogates U+D800 and U+DFFF.
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));
  // Above U+10FFFF: U+110000, and the lead bytes F5..FF.
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf8\x88\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  // Truncated sequences, lone continuation bytes, a continuation replaced by ASCII.
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("ok\xe2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x9f\x8e"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("a\xbf" "b"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x28\xa1"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x9f\x8e\x41"));
}

TEST(LabelNameTest, PrometheusCharset) {
  EXPECT_TRUE(IsValidLabelName("zone"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("9x"));
  EXPECT_FALSE(IsValidLabelName("a-b"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_TRUE(IsValidMetricName("a:b"));
  EXPECT_TRUE(IsValidMetricName(":a"));
  EXPECT_FALSE(IsValidMetricName("1a"));
  EXPECT_FALSE(IsValidMetricName("a.b"));
  EXPECT_FALSE(IsValidMetricName(""));
}

using Labels = std::vector<std::pair<std::string, std::string>>;

LabelError Check(std::string_view name, MetricType type, const Labels& labels,
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
