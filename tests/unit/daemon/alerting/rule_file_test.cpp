// Rule files: the issue's example parses into what it says, the PromQL each rule means is
// shown, Prometheus's own rule files load unchanged, and every mistake is a ConfigError at the
// rule file's own line and column (Prometheus's form: rulefmt's messages, as promtool 2.42
// prints them, and the parser's error with its position in the expression).
#include <gtest/gtest.h>

#include <fstream>

#include "daemon/alerting/alerting_config.h"
#include "tests/unit/support/config_error_of.h"

namespace metricsd::alerting {
namespace {

std::vector<RuleGroup> Parse(const std::string& yaml) {
  return ParseRuleFile(yaml, "rules.yaml", std::chrono::seconds(15));
}

std::string ErrorOf(const std::string& yaml) {
  return ConfigErrorOf([&] { Parse(yaml); });
}

// A one-rule file with `fields` as the rule's keys, each line indented for the rule.
std::string OneRule(const std::string& fields) {
  return "groups:\n  - name: game\n    rules:\n      - alert: A\n" + fields;
}

TEST(RuleFileTest, TheIssueExample) {
  auto groups = Parse(R"(
groups:
  - name: game
    interval: 15s
    rules:
      - alert: SlowTransferHandler
        metric: ao_dryrun_duration_seconds
        match: {action: Transfer}
        match_re: {process: "abc.*"}
        value: quantile
        quantile: 0.95
        window: 5m
        op: ">"
        threshold: 0.5
        for: 1m
        keep_firing_for: 2m
        labels: {severity: page}
        annotations:
          summary: "{{ $labels.process }} {{ $labels.action }} p95 is {{ $value | humanizeDuration }}"
  - name: host
    rules:
      - alert: CpuSaturated
        metric: node_cpu_seconds_total
        match: {mode: idle}
        value: rate
        window: 1m
        aggregate: {op: avg, by: []}
        op: "<"
        threshold: 0.1
      - alert: DiskFull
        metric: node_filesystem_avail_bytes
        divide_by: node_filesystem_size_bytes
        op: "<"
        threshold: 0.1
      - alert: NoPlayers
        metric: players
        match: {zone: north}
        absent: true
)");
  ASSERT_EQ(groups.size(), 2u);
  const Rule& slow = groups[0].rules[0];
  EXPECT_EQ(groups[0].interval, std::chrono::seconds(15));
  EXPECT_EQ(groups[1].interval, std::chrono::seconds(15));  // the default
  EXPECT_EQ(groups[0].Key(), "rules.yaml;game");
  EXPECT_EQ(slow.hold, std::chrono::minutes(1));
  EXPECT_EQ(slow.keep_firing_for, std::chrono::minutes(2));
  EXPECT_TRUE(slow.matchers[1].Matches("abcdef"));
  EXPECT_FALSE(slow.matchers[1].Matches("xabc"));  // anchored
  EXPECT_EQ(slow.Expression(),
            "histogram_quantile(0.95, rate(ao_dryrun_duration_seconds_bucket{action=\"Transfer\","
            "process=~\"abc.*\"}[5m])) > 0.5");
  EXPECT_EQ(groups[1].rules[0].Expression(),
            "avg by () (rate(node_cpu_seconds_total{mode=\"idle\"}[1m])) < 0.1");
  EXPECT_EQ(groups[1].rules[1].Expression(),
            "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1");
  EXPECT_EQ(groups[1].rules[2].Expression(), "absent(players{zone=\"north\"})");
}

TEST(RuleFileTest, MistakesNameFileLineAndColumn) {
  struct Case {
    std::string fields;
    std::string error;
  };
  const Case cases[] = {
      {"        metric: m\n        op: '>'\n        threshold: 1\n        treshold: 2\n",
       "rules.yaml:8:9: groups[0].rules[0].treshold: unknown key (did you mean threshold?)"},
      {"        metric: m\n        op: '=>'\n        threshold: 1\n",
       "rules.yaml:6:13: groups[0].rules[0].op: unknown \"=>\" (one of >, >=, <, <=, ==, !=)"},
      {"        metric: m\n        value: p95\n        op: '>'\n        threshold: 1\n",
       "rules.yaml:6:16: groups[0].rules[0].value: unknown \"p95\" (one of last, rate, increase, avg, min, "
       "max, quantile)"},
      {"        metric: m\n        value: rate\n        op: '>'\n        threshold: 1\n",
       "rules.yaml:4:9: groups[0].rules[0]: value: rate needs a window"},
      {"        metric: m\n        match_re: {process: 'abc('}\n        op: '>'\n        threshold: 1\n",
       "rules.yaml:6:29: groups[0].rules[0].match_re.process: invalid regex: missing ): abc("},
      {"        metric: m\n        op: '>'\n        threshold: 1\n        annotations: {summary: '{{ $value | humanise }}'}\n",
       "rules.yaml:8:32: groups[0].rules[0].annotations.summary: bad template: at offset 12: unknown "
       "function \"humanise\" (known: humanize, humanizeDuration, humanizePercentage, printf)"},
      {"        metric: m\n        op: '>'\n        threshold: 1\n      - alert: A\n        metric: n\n"
       "        op: '<'\n        threshold: 1\n",
       "rules.yaml:8:16: groups[0].rules[1].alert: duplicate alert \"A\" in group \"game\""},
      {"        metric: m\n        op: '>'\n",
       "rules.yaml:4:9: groups[0].rules[0]: a rule needs a threshold"},
      {"        metric: 'bad-name'\n        op: '>'\n        threshold: 1\n",
       "rules.yaml:5:17: groups[0].rules[0].metric: invalid metric name \"bad-name\""},
      {"        metric: m\n        value: quantile\n        op: '>'\n        threshold: 1\n",
       "rules.yaml:4:9: groups[0].rules[0]: value: quantile needs a quantile"},
      {"        metric: m\n        value: quantile\n        quantile: 1.5\n        op: '>'\n        threshold: 1\n",
       "rules.yaml:7:19: groups[0].rules[0].quantile: must be between 0 and 1"},
      {"        metric: m\n        absent: true\n        threshold: 1\n",
       "rules.yaml:7:20: groups[0].rules[0].threshold: absent rules fire when nothing matches; they take no "
       "threshold"},
      {"        metric: m\n        op: '>'\n        threshold: 1\n        aggregate: {op: median}\n",
       "rules.yaml:8:25: groups[0].rules[0].aggregate.op: unknown \"median\" (one of sum, avg, min, max, count)"},
      {"        metric: m\n        op: '>'\n        threshold: 1\n        for: 5minutes\n",
       "rules.yaml:8:14: groups[0].rules[0].for: invalid duration \"5minutes\" (expected e.g. 500ms, 15s, 1m30s)"},
      {"        metric: g\n        value: quantile\n        quantile: 0.9\n        type: gauge\n        op: '>'\n"
       "        threshold: 1\n",
       "rules.yaml:8:15: groups[0].rules[0].type: value: quantile does not apply to g, a gauge (quantile "
       "needs a histogram or summary)"},
      {"        metric: g\n        expr: g > 1\n",
       "rules.yaml:6:15: groups[0].rules[0].expr: set metric (the threshold form) or expr (PromQL), not both"},
      {"        for: 1m\n",
       "rules.yaml:4:9: groups[0].rules[0]: a rule needs expr (PromQL) or metric (the threshold form)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(OneRule(c.fields)), c.error) << c.fields;
  }
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n  - name: a\n"),
            "rules.yaml:3:11: groups[1].name: duplicate group name \"a\"");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    interval: 0s\n"),
            "rules.yaml:3:15: groups[0].interval: must be more than 0");
  EXPECT_EQ(ErrorOf("groups: [\n"), "rules.yaml:2:1: invalid YAML: end of sequence flow not found");
}

TEST(RuleFileTest, PrometheusFormLoadsUnchanged) {
  auto groups = Parse(R"(
groups:
  - name: node
    interval: 30s
    limit: 10
    rules:
      - record: instance:node_cpu_utilisation:rate5m
        expr: 1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{mode=~"idle|iowait|steal"}[5m])))
        labels: {team: infra}
      - alert: HostHighCpuLoad
        expr: instance:node_cpu_utilisation:rate5m > 0.8
        for: 5m
        keep_firing_for: 1m
        labels: {severity: warning}
        annotations:
          summary: "CPU load is {{ $value | humanizePercentage }} on {{ $labels.instance }}"
      - alert: HostHighCpuLoad
        expr: instance:node_cpu_utilisation:rate5m > 0.95
        labels: {severity: critical}
)");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].interval, std::chrono::seconds(30));
  EXPECT_EQ(groups[0].limit, 10u);
  ASSERT_EQ(groups[0].rules.size(), 3u);
  const Rule& record = groups[0].rules[0];
  EXPECT_EQ(record.kind, RuleKind::kRecording);
  EXPECT_EQ(record.Name(), "instance:node_cpu_utilisation:rate5m");
  EXPECT_NE(record.parsed, nullptr);
  EXPECT_EQ(record.Expression(),
            "1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{mode=~\"idle|iowait|steal\"}[5m])))");
  const Rule& warning = groups[0].rules[1];
  EXPECT_EQ(warning.kind, RuleKind::kAlerting);
  EXPECT_FALSE(warning.IsThreshold());
  EXPECT_EQ(warning.hold, std::chrono::minutes(5));
  EXPECT_EQ(warning.keep_firing_for, std::chrono::minutes(1));
  EXPECT_EQ(warning.labels, (LabelMap{{"severity", "warning"}}));
  // One name twice (warning and critical) is fine in Prometheus's form.
  EXPECT_EQ(groups[0].rules[2].alert, "HostHighCpuLoad");
}

TEST(RuleFileTest, PrometheusFormMistakesAsRulefmtSaysThem) {
  struct Case {
    std::string rule;
    std::string error;
  };
  // The messages after the key path are promtool check rules' (Prometheus 2.42) for the same
  // rules; the positions are the file's own.
  const Case cases[] = {
      {"alert: X\n        expr: sum(rate(x[5m])) by\n",
       "rules.yaml:5:15: groups[0].rules[0].expr: 1:20: parse error: unexpected end of input in grouping "
       "opts, expected \"(\""},
      {"alert: X\n        expr: 'rate(up[5m]'\n",
       "rules.yaml:5:15: groups[0].rules[0].expr: 1:12: parse error: unclosed left parenthesis"},
      {"alert: X\n        expr: foo(up)\n",
       "rules.yaml:5:15: groups[0].rules[0].expr: 1:1: parse error: unknown function with name \"foo\""},
      {"record: bad-name\n        expr: up\n",
       "rules.yaml:4:17: groups[0].rules[0].record: invalid recording rule name: bad-name"},
      {"record: ok\n        expr: up\n        for: 1m\n",
       "rules.yaml:6:14: groups[0].rules[0].for: invalid field 'for' in recording rule"},
      {"record: ok\n        expr: up\n        annotations: {a: b}\n",
       "rules.yaml:6:22: groups[0].rules[0].annotations: invalid field 'annotations' in recording rule"},
      {"alert: Y\n        expr: up\n        labels: {__name__: x}\n",
       "rules.yaml:6:28: groups[0].rules[0].labels.__name__: invalid label name: __name__"},
      {"alert: Y\n        record: y\n        expr: up\n",
       "rules.yaml:5:17: groups[0].rules[0].record: only one of 'record' and 'alert' must be set"},
      {"alert: Y\n        expr: ''\n",
       "rules.yaml:5:15: groups[0].rules[0].expr: field 'expr' must be set in rule"},
      {"alert: Y\n        expr: up\n        offset: 1m\n",
       "rules.yaml:6:9: groups[0].rules[0].offset: unknown key"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf("groups:\n  - name: game\n    rules:\n      - " + c.rule), c.error) << c.rule;
  }
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    limit: -1\n"),
            "rules.yaml:3:12: groups[0].limit: must be between 0 and 2147483648, got -1");
}

TEST(AlertingConfigTest, SectionMistakesNameLineAndColumn) {
  auto error = [](const std::string& body) {
    ConfigNode root = ParseYaml("alerting:\n" + body, "metricsd.yaml");
    return ConfigErrorOf([&] { ParseAlertingConfig(root["alerting"]); });
  };
  EXPECT_EQ(error("  evaluation_intervall: 1s\n"),
            "metricsd.yaml:2:3: alerting.evaluation_intervall: unknown key (did you mean evaluation_interval?)");
  EXPECT_EQ(error("  evaluation_interval: 0s\n"),
            "metricsd.yaml:2:24: alerting.evaluation_interval: must be greater than 0");
  EXPECT_EQ(error("  queue_capacity: 0\n"),
            "metricsd.yaml:2:19: alerting.queue_capacity: must be between 1 and 16777216, got 0");
  EXPECT_EQ(error("  external_url: localhost:9102\n"),
            "metricsd.yaml:2:17: alerting.external_url: must be an absolute http:// or https:// URL");
  EXPECT_EQ(error("  external_labels: {0site: x}\n"),
            "metricsd.yaml:2:28: alerting.external_labels.0site: invalid label name \"0site\"");
  EXPECT_EQ(error("  alertmanagers:\n    - url: 127.0.0.1:9093\n"),
            "metricsd.yaml:3:12: alerting.alertmanagers[0].url: must be an absolute http:// or https:// URL");
  EXPECT_EQ(error("  alertmanagers:\n    - timeout: 1s\n"),
            "metricsd.yaml:3:7: alerting.alertmanagers[0]: needs a url");
  EXPECT_EQ(error("  webhooks:\n    - {url: 'http://h/', basic_auth: {password: x}}\n"),
            "metricsd.yaml:3:38: alerting.webhooks[0].basic_auth: needs a username");
  EXPECT_EQ(error("  webhooks:\n    - {url: 'http://h/', basic_auth: {username: u, password: x, password_file: f}}\n"),
            "metricsd.yaml:3:80: alerting.webhooks[0].basic_auth.password_file: set password or password_file, not both");
  EXPECT_EQ(error("  webhooks:\n    - {url: 'http://h/', basic_auth: {username: u}, bearer_token: t}\n"),
            "metricsd.yaml:3:7: alerting.webhooks[0]: basic_auth and bearer_token are exclusive");
  EXPECT_EQ(error("  webhooks:\n    - {url: 'http://h/', timeout: 0s}\n"),
            "metricsd.yaml:3:35: alerting.webhooks[0].timeout: must be greater than 0");
  EXPECT_EQ(error("  webhooks:\n    - {url: 'https://h/', tls: {ca_file: /nonexistent/ca.pem}}\n"),
            "metricsd.yaml:3:42: alerting.webhooks[0].tls.ca_file: cannot read /nonexistent/ca.pem: No such file or directory");
  EXPECT_EQ(error("  rule_files: [missing.yaml]\n"),
            "metricsd.yaml:2:16: alerting.rule_files[0]: missing.yaml: cannot read: No such file or "
            "directory");
}

TEST(AlertingConfigTest, RuleFilesByGlobRelativeToTheConfig) {
  std::string dir = ::testing::TempDir() + "alerting_config_test";
  std::filesystem::create_directories(dir + "/rules.d");
  std::ofstream(dir + "/rules.d/a.yaml") << "groups:\n  - name: a\n    rules: []\n";
  std::ofstream(dir + "/rules.d/b.yaml") << "groups:\n  - name: b\n    interval: 1s\n    rules: []\n";
  std::ofstream(dir + "/rules.d/broken.yml") << "groups:\n  - name: c\n    rulez: []\n";
  ConfigNode root = ParseYaml(R"(
alerting:
  evaluation_interval: 30s
  rule_files: ["rules.d/*.yaml"]
  external_labels: {site: eu1}
  alertmanagers:
    - url: http://127.0.0.1:9093
      basic_auth: {username: ops, password: s3cret}
  webhooks:
    - url: https://127.0.0.1:8443/hook
      bearer_token: t0ken
      tls: {insecure_skip_verify: true}
      timeout: 2s
)", dir + "/metricsd.yaml");
  AlertingConfig config = ParseAlertingConfig(root["alerting"]);
  ASSERT_EQ(config.groups.size(), 2u);
  EXPECT_EQ(config.groups[0].file, dir + "/rules.d/a.yaml");
  EXPECT_EQ(config.groups[0].interval, std::chrono::seconds(30));
  EXPECT_EQ(config.groups[1].interval, std::chrono::seconds(1));
  ASSERT_EQ(config.destinations.size(), 2u);
  EXPECT_EQ(config.destinations[0].AuthorizationHeader(), "Basic b3BzOnMzY3JldA==");
  EXPECT_EQ(config.destinations[1].AuthorizationHeader(), "Bearer t0ken");
  EXPECT_NE(config.destinations[1].tls, nullptr);
  EXPECT_EQ(config.ToJson()["alertmanagers"][0]["basic_auth"]["password"], "<secret>");

  // A broken file that a pattern matches is reported at its own position.
  ConfigNode broken = ParseYaml("alerting:\n  rule_files: ['rules.d/*.yml']\n", dir + "/metricsd.yaml");
  EXPECT_EQ(ConfigErrorOf([&] { ParseAlertingConfig(broken["alerting"]); }),
            dir + "/rules.d/broken.yml:3:5: groups[0].rulez: unknown key (did you mean rules?)");
  // A plain path must exist; a pattern may match nothing.
  ConfigNode missing = ParseYaml("alerting:\n  rule_files: [nope.yaml, 'none/*.yaml']\n", dir + "/metricsd.yaml");
  EXPECT_NE(ConfigErrorOf([&] { ParseAlertingConfig(missing["alerting"]); }).find("nope.yaml"),
            std::string::npos);
}

}  // namespace
}  // namespace metricsd::alerting
