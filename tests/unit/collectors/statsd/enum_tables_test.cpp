// The StatsD path's enum<->string tables: the `reason` labels statsd_exporter's users know and
// the mapping file's spellings.
#include <gtest/gtest.h>

#include "collectors/statsd/label_rules.h"
#include "collectors/statsd/mapping.h"
#include "collectors/statsd/parser.h"
#include "tests/unit/daemon/core/enum_table_checks.h"

namespace metricsd::statsd {
namespace {

using metricsd::test_support::ExpectEnumTable;

TEST(StatsdEnumTablesTest, SampleErrorReasons) {
  ExpectEnumTable(kSampleErrorReasons,
                  {"malformed_line", "malformed_component", "malformed_value",
                   "invalid_sample_factor", "illegal_event", "invalid_extended_aggregate_type",
                   "mixed_tagging_styles", "not_enough_parts_after_colon",
                   "malformed_container_id"});
  EXPECT_EQ(ReasonLabel(SampleError::kIllegalEvent), "illegal_event");
}

TEST(StatsdEnumTablesTest, LabelErrorReasons) {
  ExpectEnumTable(kLabelErrorReasons,
                  {"none", "invalid_metric_name", "invalid_label_name", "reserved_label_name",
                   "invalid_utf8_label_value", "label_value_too_long", "metric_name_too_long",
                   "reserved_metric_name"});
  EXPECT_EQ(LabelErrorReason(LabelError::kInvalidLabelValue), "invalid_utf8_label_value");
}

TEST(StatsdEnumTablesTest, MappingSpellings) {
  ExpectEnumTable(kMetricKindNames, {"counter", "gauge", "observer"});
  ExpectEnumTable(kObserverTypeNames, {"histogram", "summary"});
  EXPECT_EQ(KindName(MetricKind::kObserver), "observer");
}

}  // namespace
}  // namespace metricsd::statsd
