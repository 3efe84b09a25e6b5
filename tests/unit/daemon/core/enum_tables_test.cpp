// The enum<->string tables of core (and of the header-only outcome of an exchange): each
// spelling pinned, each one parsing back.
#include <gtest/gtest.h>

#include "daemon/client/outcome.h"
#include "daemon/core/logging.h"
#include "daemon/core/source.h"
#include "tests/unit/daemon/core/enum_table_checks.h"

namespace metricsd {
namespace {

using test_support::ExpectEnumTable;

TEST(EnumTablesTest, MetricType) {
  ExpectEnumTable(kMetricTypeNames, {"counter", "gauge", "histogram", "summary", "untyped"});
  EXPECT_EQ(MetricTypeName(MetricType::kHistogram), "histogram");
}

TEST(EnumTablesTest, LogLevelAndFormat) {
  ExpectEnumTable(kLogLevelNames, {"debug", "info", "warn", "error"});
  ExpectEnumTable(kLogFormatNames, {"logfmt", "json"});
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("WARN"), std::nullopt);  // flags are case-sensitive, as Prometheus's
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
}

TEST(EnumTablesTest, Outcome) {
  ExpectEnumTable(kOutcomeNames, {"ok", "error", "expectation_failed", "busy", "rate_limited",
                                  "denied", "http_error", "bad_response", "timeout",
                                  "connect_error", "dns_error", "tls_error"});
  EXPECT_EQ(OutcomeName(Outcome::kTimeout), "timeout");
}

}  // namespace
}  // namespace metricsd
