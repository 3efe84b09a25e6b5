// The mapping: statsd_exporter's file format and its matching rules (glob before regex, first
// match wins, glob_disable_ordering, $n expansion, drop, match_metric_type, ttl), and the
// validation that makes --check-config reject what statsd_exporter rejects.
#include "collectors/statsd/mapper.h"

#include <gtest/gtest.h>

#include "collectors/statsd/statsd_config.h"
#include "tests/unit/support/config_error_of.h"

namespace metricsd::statsd {
namespace {

Mapper MapperFrom(const std::string& yaml) {
  ConfigNode root = ParseYaml(yaml, "mapping.yaml");
  return Mapper(ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary));
}

std::string Mapped(const Mapper& mapper, std::string_view name, MetricKind kind = MetricKind::kCounter) {
  MapResult result;
  if (!mapper.Map(name, kind, result)) return "<unmapped>";
  if (result.mapping->drop) return "<drop>";
  std::string out = result.name;
  for (const auto& [label, value] : result.labels) out += " " + label + "=" + value;
  return out;
}

TEST(MapperTest, GlobCapturesComponentsAndExpandsTemplates) {
  Mapper mapper = MapperFrom(R"(
mappings:
  - match: test.dispatcher.*.*.*
    name: dispatcher_events_total
    labels: {processor: "$1", action: "${2}", outcome: "$3", job: test_dispatcher}
  - match: "*.signup.*.*"
    name: signup_events_total
    labels: {provider: "$2", outcome: "$3", job: "${1}_server"}
)");
  EXPECT_EQ(Mapped(mapper, "test.dispatcher.FooProcessor.send.success"),
            "dispatcher_events_total action=send job=test_dispatcher outcome=success processor=FooProcessor");
  EXPECT_EQ(Mapped(mapper, "foo_product.signup.facebook.failure"),
            "signup_events_total job=foo_product_server outcome=failure provider=facebook");
  EXPECT_EQ(Mapped(mapper, "test.dispatcher.too.few"), "<unmapped>");
  EXPECT_EQ(Mapped(mapper, "test.dispatcher.a.b.c.d"), "<unmapped>");
}

// statsd_exporter's mapper_test.go: "Config with bad regex reference" and its good twin, and
// what its template formatter's `\$\{?([a-zA-Z0-9_$]+)\}?` makes of other references.
TEST(MapperTest, GlobTemplatesReadReferencesAsStatsdExporterDoes) {
  Mapper mapper = MapperFrom(R"(
mappings:
  - match: test.*
    name: "name"
    labels: {label: "$1_foo"}
  - match: good.*
    name: "name"
    labels: {label: "${1}_foo"}
  - match: order.*.*
    name: "testa"
    labels: {la: "$2-$1", lb: "${1", lc: "$1}x", ld: "$3", le: "$$1", lf: "$1$2", lg: "a$", lh: "x${}y"}
)");
  EXPECT_EQ(Mapped(mapper, "test.a"), "name label=");
  EXPECT_EQ(Mapped(mapper, "good.a"), "name label=a_foo");
  EXPECT_EQ(Mapped(mapper, "order.good.bbb"),
            "testa la=bbb-good lb=good lc=goodx ld= le= lf= lg=a$ lh=x${}y");
}

TEST(MapperTest, PartialComponentWildcards) {
  Mapper mapper = MapperFrom(R"(
mappings:
  - match: ao.handler_*.ms
    name: ao_handler_seconds
    labels: {action: "$1"}
)");
  EXPECT_EQ(Mapped(mapper, "ao.handler_Transfer.ms"), "ao_handler_seconds action=Transfer");
  EXPECT_EQ(Mapped(mapper, "ao.other_Transfer.ms"), "<unmapped>");
}

TEST(MapperTest, FirstGlobWinsInFileOrder) {
  Mapper mapper = MapperFrom(R"(
mappings:
  - match: a.*.c
    name: wildcard
  - match: a.b.c
    name: literal
)");
  EXPECT_EQ(Mapped(mapper, "a.b.c"), "wildcard");
}

TEST(MapperTest, GlobDisableOrderingPrefersTheMostSpecific) {
  Mapper mapper = MapperFrom(R"(
defaults: {glob_disable_ordering: true}
mappings:
  - match: a.*.*
    name: two_wildcards
  - match: a.*.c
    name: one_wildcard
  - match: a.b.c
    name: literal
)");
  EXPECT_EQ(Mapped(mapper, "a.b.c"), "literal");
  EXPECT_EQ(Mapped(mapper, "a.x.c"), "one_wildcard");
  EXPECT_EQ(Mapped(mapper, "a.x.y"), "two_wildcards");
}

TEST(MapperTest, GlobsAreTriedBeforeRegexesWhateverTheOrder) {
  Mapper mapper = MapperFrom(R"(
mappings:
  - match: 'a\.(.*)'
    match_type: regex
    name: by_regex_$1
  - match: a.b
    name: by_glob
)");
  EXPECT_EQ(Mapped(mapper, "a.b"), "by_glob");
  EXPECT_EQ(Mapped(mapper, "a.zz"), "by_regex_zz");
}

TEST(MapperTest, RegexExpansionFollowsGo) {
  Mapper mapper = MapperFrom(R"(
defaults: {match_type: regex}
mappings:
  - match: '^db\.(?P<table>\w+)\.(\w+)$'
    name: db_query_seconds
    labels: {table: "${table}", op: "$2", whole: "$0", glued: "$2x", braced: "${2}x", dollar: "$$"}
)");
  EXPECT_EQ(Mapped(mapper, "db.users.select", MetricKind::kObserver),
            "db_query_seconds braced=selectx dollar=$ glued= op=select table=users whole=db.users.select");
}

TEST(MapperTest, MatchMetricTypeSkipsOtherTypes) {
  Mapper mapper = MapperFrom(R"(
mappings:
  - match: game.*
    match_metric_type: gauge
    name: game_gauge
  - match: game.*
    match_metric_type: observer
    name: game_seconds
  - match: game.*
    name: game_other
)");
  EXPECT_EQ(Mapped(mapper, "game.x", MetricKind::kGauge), "game_gauge");
  EXPECT_EQ(Mapped(mapper, "game.x", MetricKind::kObserver), "game_seconds");
  EXPECT_EQ(Mapped(mapper, "game.x", MetricKind::kCounter), "game_other");
}

TEST(MapperTest, DropAndDefaultsReachEveryMapping) {
  Mapper mapper = MapperFrom(R"(
defaults:
  observer_type: histogram
  ttl: 30s
  histogram_options: {buckets: [0.1, 1]}
mappings:
  - match: noisy.*
    action: drop
  - match: battle.*
    name: battle_seconds
  - match: db.*
    name: db_seconds
    ttl: 5m
    observer_type: summary
    summary_options: {quantiles: [{quantile: 0.99, error: 0.001}], max_age: 1m}
    scale: 0.001
)");
  EXPECT_EQ(Mapped(mapper, "noisy.thing"), "<drop>");
  const auto& battle = mapper.config().mappings[1];
  EXPECT_EQ(battle.observer_type, ObserverType::kHistogram);
  EXPECT_EQ(battle.buckets, (std::vector<double>{0.1, 1}));
  EXPECT_EQ(battle.ttl, std::chrono::seconds(30));
  const auto& db = mapper.config().mappings[2];
  EXPECT_EQ(db.observer_type, ObserverType::kSummary);
  EXPECT_EQ(db.ttl, std::chrono::minutes(5));
  ASSERT_EQ(db.summary.quantiles.size(), 1u);
  EXPECT_EQ(db.summary.quantiles[0].quantile, 0.99);
  EXPECT_EQ(db.summary.max_age, std::chrono::minutes(1));
  EXPECT_EQ(db.summary.age_buckets, 5);
  EXPECT_EQ(*db.scale, 0.001);
}

struct BadMapping {
  const char* yaml;
  const char* error;  // the whole "file:line:column: path: message"
};

class MappingValidationTest : public ::testing::TestWithParam<BadMapping> {};

TEST_P(MappingValidationTest, RejectedWithPosition) {
  EXPECT_EQ(ConfigErrorOf([] { MapperFrom(GetParam().yaml); }), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MappingValidationTest,
    ::testing::Values(
        BadMapping{"mappings:\n  - match: a.b\n", "mapping.yaml:2:5: mappings[0]: a mapping needs a name (or action: drop)"},
        BadMapping{"mappings:\n  - match: a..b\n    name: x\n", "mapping.yaml:2:12: mappings[0].match: invalid glob \"a..b\" (dot-separated components of [a-zA-Z0-9_:-] and '*')"},
        BadMapping{"mappings:\n  - match: 'a(('\n    match_type: regex\n    name: x\n", "mapping.yaml:2:12: mappings[0].match: invalid regex: missing ): a(("},
        BadMapping{"mappings:\n  - match: a.b\n    name: 'bad-name'\n", "mapping.yaml:3:11: mappings[0].name: invalid metric name \"bad-name\""},
        BadMapping{"mappings:\n  - match: a.b\n    name: x\n    labels: {a: v}\n", "mapping.yaml:4:17: mappings[0].labels.a: invalid label name \"a\""},
        BadMapping{"mappings:\n  - match: a.b\n    name: x\n    action: keep\n", "mapping.yaml:4:13: mappings[0].action: must be map or drop, got \"keep\""},
        BadMapping{"mappings:\n  - match: a.b\n    name: x\n    match_metric_type: set\n", "mapping.yaml:4:24: mappings[0].match_metric_type: must be counter, gauge or observer, got \"set\""},
        BadMapping{"mappings:\n  - match: a.b\n    name: x\n    observer_type: histogram\n    summary_options: {max_age: 1m}\n", "mapping.yaml:5:22: mappings[0].summary_options: cannot use histogram observer and summary options at the same time"},
        BadMapping{"mappings:\n  - match: a.b\n    name: x\n    observer_type: histogram\n    histogram_options: {buckets: [1, 0.5]}\n", "mapping.yaml:5:34: mappings[0].histogram_options.buckets: buckets must be a non-empty, strictly increasing list"},
        BadMapping{"mappings:\n  - match: a.b\n    name: x\n    quantiles: [{quantile: 1.5}]\n", "mapping.yaml:4:28: mappings[0].quantiles[0].quantile: must be between 0 and 1 (exclusive)"},
        BadMapping{"defaults:\n  observer_typ: histogram\n", "mapping.yaml:2:3: defaults.observer_typ: unknown key (did you mean observer_type?)"},
        BadMapping{"mappings:\n  - match: a.b\n    name: x\n    ttl: soon\n", "mapping.yaml:4:10: mappings[0].ttl: invalid duration \"soon\" (expected e.g. 500ms, 15s, 1m30s)"}));

TEST(StatsdConfigTest, DefaultsListenOnLoopback8125) {
  StatsdConfig config = ParseStatsdConfig(ParseYaml("{}", "m.yaml"));
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].ToString(), "udp://127.0.0.1:8125");
  EXPECT_EQ(config.listeners[1].ToString(), "tcp://127.0.0.1:8125");
  EXPECT_EQ(config.max_series, 100000u);
  EXPECT_TRUE(config.http_allowed_origins.empty());
}

TEST(StatsdConfigTest, ListenerErrorsNameTheKey) {
  EXPECT_EQ(ConfigErrorOf([] { ParseStatsdConfig(ParseYaml("listeners: [{udp: 'x:y'}]", "m.yaml")); }),
            "m.yaml:1:19: listeners[0].udp: invalid address \"x:y\" (expected HOST:PORT, e.g. 127.0.0.1:9102)");
  EXPECT_EQ(ConfigErrorOf([] { ParseStatsdConfig(ParseYaml("listeners: [{udp: ':1', tcp: ':1'}]", "m.yaml")); }),
            "m.yaml:1:13: listeners[0]: a listener is exactly one of udp: HOST:PORT, tcp: HOST:PORT, unixgram: PATH");
  EXPECT_EQ(ConfigErrorOf([] { ParseStatsdConfig(ParseYaml("mapping_file: /nonexistent/m.yaml", "m.yaml")); }),
            "/nonexistent/m.yaml: cannot read: No such file or directory");
}

}  // namespace
}  // namespace metricsd::statsd
