#include "daemon/config/config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/unit/support/config_error_of.h"

namespace metricsd {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(METRICSD_SOURCE_DIR) + "/tests/fixtures/config/" + name;
}

TEST(ConfigTest, EmbeddedDefaultIsTheShippedFileAndLoads) {
  std::ifstream shipped(std::string(METRICSD_SOURCE_DIR) + "/config/metricsd.yaml");
  std::string text((std::istreambuf_iterator<char>(shipped)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(EmbeddedConfigText(), text);

  Config config = LoadEmbeddedConfig();
  EXPECT_EQ(config.file, "<embedded default>");
  EXPECT_EQ(config.web.listen_address.ToString(), "127.0.0.1:9102");
}

TEST(ConfigTest, DefaultsApplyToAnEmptyFile) {
  Config config = LoadConfigText("", "empty.yaml");
  EXPECT_EQ(config.web.listen_address.ToString(), "127.0.0.1:9102");
  EXPECT_EQ(config.web.max_connections, 64);
  EXPECT_EQ(config.web.read_timeout, std::chrono::seconds(10));
  EXPECT_EQ(config.web.write_timeout, std::chrono::seconds(30));
}

TEST(ConfigTest, ReadsEveryWebKey) {
  Config config = LoadConfigFile(Fixture("good.yaml"));
  EXPECT_EQ(config.web.listen_address.ToString(), "[::1]:19102");
  EXPECT_EQ(config.web.max_connections, 8);
  EXPECT_EQ(config.web.read_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(config.web.write_timeout, std::chrono::seconds(90));
  EXPECT_EQ(config.ToJson()["web"]["write_timeout"], "1m30s");
}

struct BadConfigCase {
  const char* name;
  const char* yaml;
  const char* error;
};

class BadConfigTest : public ::testing::TestWithParam<BadConfigCase> {};

TEST_P(BadConfigTest, NamesFileLineColumnAndKeyPath) {
  EXPECT_EQ(ConfigErrorOf([] { LoadConfigText(GetParam().yaml, "metricsd.yaml"); }), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    EveryErrorKind, BadConfigTest,
    ::testing::Values(
        BadConfigCase{"UnknownTopLevelKey", "wbe:\n  listen_address: x\n",
                      "metricsd.yaml:1:1: wbe: unknown key (did you mean web?)"},
        BadConfigCase{"UnknownWebKey", "web:\n  listen_address: 127.0.0.1:1\n  listen_adress: x\n",
                      "metricsd.yaml:3:3: web.listen_adress: unknown key (did you mean "
                      "listen_address?)"},
        BadConfigCase{"HistoryIntervalTooShort", "history:\n  interval: 500ms\n",
                      "metricsd.yaml:2:13: history.interval: must be at least 1s"},
        BadConfigCase{"HistoryFlushIntervalTooLong", "history:\n  flush_interval: 2h\n",
                      "metricsd.yaml:2:19: history.flush_interval: must be at most 1h"},
        BadConfigCase{"HistoryRetentionTooShort", "history:\n  retention:\n    raw: 30m\n",
                      "metricsd.yaml:3:10: history.retention.raw: must be at least 1h"},
        BadConfigCase{"HistoryRetentionSizeNotASize", "history:\n  retention:\n    size: lots\n",
                      "metricsd.yaml:3:11: history.retention.size: expected a size in bytes, or a number "
                      "with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got \"lots\""},
        BadConfigCase{"HistoryMaxSeriesZero", "history:\n  max_series: 0\n",
                      "metricsd.yaml:2:15: history.max_series: must be between 1 and 2147483648, got 0"},
        BadConfigCase{"AlertingOutageToleranceNotADuration", "alerting:\n  outage_tolerance: soon\n",
                      "metricsd.yaml:2:21: alerting.outage_tolerance: invalid duration \"soon\" (expected "
                      "e.g. 500ms, 15s, 1m30s)"},
        BadConfigCase{"SectionNotAMapping", "web: [1, 2]\n",
                      "metricsd.yaml:1:6: web: expected a mapping, got a sequence"},
        BadConfigCase{"RootNotAMapping", "- web\n",
                      "metricsd.yaml:1:1: expected a mapping, got a sequence"},
        BadConfigCase{"BadAddress", "web:\n  listen_address: 127.0.0.1\n",
                      "metricsd.yaml:2:19: web.listen_address: invalid address \"127.0.0.1\" "
                      "(expected HOST:PORT, e.g. 127.0.0.1:9102)"},
        BadConfigCase{"AddressNotAString", "web:\n  listen_address: {host: x}\n",
                      "metricsd.yaml:2:19: web.listen_address: expected a string, got a mapping"},
        BadConfigCase{"BadDuration", "web:\n  read_timeout: 10 seconds\n",
                      "metricsd.yaml:2:17: web.read_timeout: invalid duration \"10 seconds\" "
                      "(expected e.g. 500ms, 15s, 1m30s)"},
        BadConfigCase{"ZeroDuration", "web:\n  write_timeout: 0s\n",
                      "metricsd.yaml:2:18: web.write_timeout: must be greater than 0"},
        BadConfigCase{"WrongIntegerType", "web:\n  max_connections: many\n",
                      "metricsd.yaml:2:20: web.max_connections: expected an integer, got \"many\""},
        BadConfigCase{"IntegerOutOfRange", "web:\n  max_connections: 0\n",
                      "metricsd.yaml:2:20: web.max_connections: must be between 1 and 100000, "
                      "got 0"},
        BadConfigCase{"DuplicateKey", "web:\n  max_connections: 1\n  max_connections: 2\n",
                      "metricsd.yaml:3:3: web.max_connections: duplicate key"},
        BadConfigCase{"YamlSyntax", "web:\n  listen_address: [a, b\n",
                      "metricsd.yaml:3:1: invalid YAML: end of sequence flow not found"},
        BadConfigCase{"YamlBadIndent", "web:\n  a: 1\n b: 2\n",
                      "metricsd.yaml:3:2: invalid YAML: end of map not found"},
        // Keys added for issue 11: each of its mistakes names its position too.
        BadConfigCase{"MaxRequestsOutOfRange", "web:\n  max_requests: -1\n",
                      "metricsd.yaml:2:17: web.max_requests: must be between 0 and 100000, got -1"},
        BadConfigCase{"WebConfigFileNotAString", "web:\n  config_file: [a]\n",
                      "metricsd.yaml:2:16: web.config_file: expected a string, got a sequence"},
        BadConfigCase{"MaxNameLengthOutOfRange", "statsd:\n  max_name_length: 0\n",
                      "metricsd.yaml:2:20: statsd.max_name_length: must be between 1 and 1048576, "
                      "got 0"},
        BadConfigCase{"MaxSeriesBytesTooSmall", "statsd:\n  max_series_bytes: 10\n",
                      "metricsd.yaml:2:21: statsd.max_series_bytes: must be between 65536 and "
                      "1099511627776, got 10"},
        BadConfigCase{"UnknownStatsdTcpKey", "statsd:\n  tcp: {max_conections: 5}\n",
                      "metricsd.yaml:2:9: statsd.tcp.max_conections: unknown key (did you mean "
                      "max_connections?)"},
        BadConfigCase{"BadStatsdTcpIdleTimeout", "statsd:\n  tcp:\n    idle_timeout: soon\n",
                      "metricsd.yaml:3:19: statsd.tcp.idle_timeout: invalid duration \"soon\" "
                      "(expected e.g. 500ms, 15s, 1m30s)"},
        BadConfigCase{"AllowInsecureRedirectNotABool",
                      "probes:\n  targets:\n    - {type: http, url: \"https://a\", "
                      "allow_insecure_redirect: maybe}\n",
                      "metricsd.yaml:3:63: probes.targets[0].allow_insecure_redirect: expected "
                      "true or false, got \"maybe\""}),
    [](const ::testing::TestParamInfo<BadConfigCase>& param_info) { return param_info.param.name; });

TEST(ConfigTest, UnreadableFileIsAConfigError) {
  EXPECT_EQ(ConfigErrorOf([] { LoadConfigFile("/nonexistent/metricsd.yaml"); }),
            "/nonexistent/metricsd.yaml: cannot read: No such file or directory");
}

TEST(ConfigTest, FixtureErrorsNameTheFilePath) {
  std::string path = Fixture("bad_unknown_key.yaml");
  EXPECT_EQ(ConfigErrorOf([&] { LoadConfigFile(path); }),
            path + ":4:3: web.listen_adress: unknown key (did you mean listen_address?)");
}

}  // namespace
}  // namespace metricsd

namespace metricsd {
namespace {

// Every kind of secret the config holds, each value a distinct marker.
constexpr const char* kSecretsConfig = R"(probes:
  targets:
    - name: api
      type: http
      url: http://127.0.0.1:9/health
      method: POST
      headers:
        Authorization: Bearer MARK-AUTH
        X-Api-Key: MARK-APIKEY
        Cookie: session=MARK-COOKIE
      body: '{"token":"MARK-BODY"}'
    - name: dry
      type: ao_dryrun
      url: http://127.0.0.1:9/
      process_id: pid
      action: Info
      data: MARK-DATA
alerting:
  alertmanagers:
    - url: http://127.0.0.1:9/
      basic_auth: {username: ops, password: MARK-AMPASS}
    - url: http://127.0.0.1:9/
      bearer_token: MARK-AMTOKEN
  webhooks:
    - url: http://127.0.0.1:9/hook
      basic_auth: {username: hook, password_file: /run/secrets/hook_password}
)";

TEST(EffectiveConfigTest, EverySecretIsMaskedInJsonAndYaml) {
  Config config = LoadConfigText(kSecretsConfig, "metricsd.yaml");
  std::string json = config.ToJson().dump();
  std::string yaml = config.ToYaml();
  for (const std::string& shown : {json, yaml}) {
    EXPECT_EQ(shown.find("MARK-"), std::string::npos) << shown;
  }
  nlohmann::json probe = config.ToJson()["probes"]["targets"][0];
  EXPECT_EQ(probe["headers"]["Authorization"], "<secret>");
  EXPECT_EQ(probe["headers"]["X-Api-Key"], "<secret>");
  EXPECT_EQ(probe["headers"]["Cookie"], "<secret>");
  EXPECT_EQ(probe["body"], "<secret>");
  EXPECT_EQ(probe["method"], "POST");
  EXPECT_EQ(config.ToJson()["probes"]["targets"][1]["data"], "<secret>");
  nlohmann::json alertmanagers = config.ToJson()["alerting"]["alertmanagers"];
  EXPECT_EQ(alertmanagers[0]["basic_auth"]["password"], "<secret>");
  EXPECT_EQ(alertmanagers[1]["bearer_token"], "<secret>");
  // A secret file's path is fine to show; there is no inline password to mask.
  nlohmann::json webhooks = config.ToJson()["alerting"]["webhooks"];
  EXPECT_EQ(webhooks[0]["basic_auth"]["password_file"], "/run/secrets/hook_password");
  EXPECT_FALSE(webhooks[0]["basic_auth"].contains("password"));
  EXPECT_NE(yaml.find("Authorization: <secret>\n"), std::string::npos) << yaml;
}

TEST(EffectiveConfigTest, YamlIsTheEffectiveConfigWithDefaultsAndReadsBack) {
  Config config = LoadConfigText("web:\n  max_connections: 16\n", "metricsd.yaml");
  std::string yaml = config.ToYaml();
  EXPECT_NE(yaml.find("max_connections: 16\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("read_timeout: 10s\n"), std::string::npos) << yaml;  // a default
  // Strings that look like other types stay strings; it is valid YAML meaning the JSON.
  YAML::Node back = YAML::Load(yaml);
  EXPECT_EQ(back["web"]["max_connections"].as<int>(), 16);
  EXPECT_EQ(back["web"]["listen_address"].as<std::string>(), "127.0.0.1:9102");
  EXPECT_EQ(back["alerting"]["external_url"].as<std::string>(), "");
  EXPECT_TRUE(back["alerting"]["external_url"].IsScalar());
}

TEST(EffectiveConfigTest, UnclosedQuoteRefusesTheFileInsteadOfDroppingTheRest) {
  // yaml-cpp alone loads this with the alerting section swallowed into the string.
  EXPECT_EQ(ConfigErrorOf([] {
              LoadConfigText("web:\n  listen_address: \"127.0.0.1:9102\nalerting:\n  webhooks:\n"
                             "    - url: http://127.0.0.1:9/\n",
                             "metricsd.yaml");
            }),
            "metricsd.yaml:2:19: invalid YAML: quoted string is not closed before line 3, which "
            "starts a new entry but would be read as part of the string; add the closing \"");
}

}  // namespace
}  // namespace metricsd
