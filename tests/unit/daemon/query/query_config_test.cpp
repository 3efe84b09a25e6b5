#include "daemon/query/query_config.h"

#include <gtest/gtest.h>

#include "daemon/config/config.h"
#include "tests/unit/support/config_error_of.h"

namespace metricsd::query {
namespace {

TEST(QueryConfigTest, DefaultsArePrometheusFlagDefaults) {
  // Prometheus 2.42: --query.lookback-delta=5m, --query.timeout=2m,
  // --query.max-samples=50000000, --query.max-concurrency=20.
  Config config = LoadConfigText("", "empty.yaml");
  promql::EngineOptions options = EngineOptionsFrom(config.query);
  EXPECT_EQ(options.lookback_delta_ms, 300'000);
  EXPECT_EQ(options.timeout, std::chrono::minutes(2));
  EXPECT_EQ(options.max_samples, 50'000'000);
  EXPECT_EQ(options.max_concurrency, 20);
}

TEST(QueryConfigTest, ReadsEveryKey) {
  Config config = LoadConfigText(
      "query:\n  lookback_delta: 1m\n  timeout: 250ms\n  max_samples: 1000\n"
      "  max_concurrency: 3\n",
      "metricsd.yaml");
  promql::EngineOptions options = EngineOptionsFrom(config.query);
  EXPECT_EQ(options.lookback_delta_ms, 60'000);
  EXPECT_EQ(options.timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(options.max_samples, 1000);
  EXPECT_EQ(options.max_concurrency, 3);
  EXPECT_EQ(config.ToJson()["query"]["timeout"], "250ms");
}

struct BadQueryConfigCase {
  const char* name;
  const char* yaml;
  const char* error;
};

class BadQueryConfigTest : public ::testing::TestWithParam<BadQueryConfigCase> {};

TEST_P(BadQueryConfigTest, NamesFileLineColumnAndKeyPath) {
  EXPECT_EQ(ConfigErrorOf([] { LoadConfigText(GetParam().yaml, "metricsd.yaml"); }),
            GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    EveryKey, BadQueryConfigTest,
    ::testing::Values(
        BadQueryConfigCase{"LookbackDeltaTooShort", "query:\n  lookback_delta: 500ms\n",
                           "metricsd.yaml:2:19: query.lookback_delta: must be at least 1s"},
        BadQueryConfigCase{"TimeoutNotADuration", "query:\n  timeout: forever\n",
                           "metricsd.yaml:2:12: query.timeout: invalid duration \"forever\" "
                           "(expected e.g. 500ms, 15s, 1m30s)"},
        BadQueryConfigCase{"TimeoutTooLong", "query:\n  timeout: 2d\n",
                           "metricsd.yaml:2:12: query.timeout: must be at most 1d"},
        BadQueryConfigCase{"MaxSamplesZero", "query:\n  max_samples: 0\n",
                           "metricsd.yaml:2:16: query.max_samples: must be between 1 and "
                           "1099511627776, got 0"},
        BadQueryConfigCase{"MaxConcurrencyNotAnInteger", "query:\n  max_concurrency: lots\n",
                           "metricsd.yaml:2:20: query.max_concurrency: expected an integer, got "
                           "\"lots\""},
        BadQueryConfigCase{"UnknownKey", "query:\n  max_sample: 5\n",
                           "metricsd.yaml:2:3: query.max_sample: unknown key (did you mean "
                           "max_samples?)"}),
    [](const ::testing::TestParamInfo<BadQueryConfigCase>& param_info) {
      return param_info.param.name;
    });

}  // namespace
}  // namespace metricsd::query
