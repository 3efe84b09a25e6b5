// The alert rules' enum<->string tables: the rule files' spellings and Prometheus's alert states.
#include <gtest/gtest.h>

#include "daemon/alerting/rule.h"
#include "daemon/alerting/rule_evaluator.h"
#include "tests/unit/daemon/core/enum_table_checks.h"

namespace metricsd::alerting {
namespace {

using metricsd::test_support::ExpectEnumTable;

TEST(AlertingEnumTablesTest, RuleSpellings) {
  ExpectEnumTable(kValueKindNames, {"last", "rate", "increase", "avg", "min", "max", "quantile"});
  ExpectEnumTable(kCompareOpNames, {">", ">=", "<", "<=", "==", "!="});
  ExpectEnumTable(kAggregateOpNames, {"sum", "avg", "min", "max", "count"});
  EXPECT_EQ(CompareOpName(CompareOp::kLe), "<=");
}

TEST(AlertingEnumTablesTest, AlertStates) {
  ExpectEnumTable(kAlertStateNames, {"inactive", "pending", "firing"});
  EXPECT_EQ(AlertStateName(AlertState::kFiring), "firing");
}

}  // namespace
}  // namespace metricsd::alerting
