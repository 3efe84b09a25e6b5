// The remote_write building blocks: the endpoint section (Prometheus 2.42's keys, defaults and
// error messages), relabelling (cases ported from Prometheus's model/relabel/relabel_test.go at
// v2.42.0) and the wire format (round trip, and a golden check against protobuf's own
// serialization of the same request).
#include <snappy.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/export/relabel.h"
#include "daemon/export/remote_write_config.h"
#include "daemon/export/write_request.h"
#include "daemon/export/write_request_decode.h"
#include "prompb/remote.pb.h"
#include "tests/unit/support/config_error_of.h"

namespace metricsd::remote {
namespace {

using ::testing::HasSubstr;

// --- config ---------------------------------------------------------------------------------

// The `remote_write` list as daemon/config/config.cpp declares it, with the list's check.
struct Holder {
  std::vector<RemoteWriteEndpoint> remote_write;
};

const config::Section<Holder>& HolderSection() {
  static const auto* section = &(*new config::Section<Holder>("test"))
      .List("remote_write", &Holder::remote_write, RemoteWriteEndpointSection(), "endpoints")
      .Check("", [](const ConfigNode& node, Holder& holder) {
        CheckRemoteWriteEndpoints(node["remote_write"], holder.remote_write);
      });
  return *section;
}

Holder Load(const std::string& yaml) { return HolderSection().Parse(ParseYaml(yaml, "rw.yaml")); }

std::string ErrorOf(const std::string& yaml) {
  return ConfigErrorOf([&] { Load(yaml); });
}

TEST(RemoteWriteConfigTest, DefaultsArePrometheus242s) {
  Holder holder = Load("remote_write:\n  - url: http://127.0.0.1:9090/api/v1/write\n");
  ASSERT_EQ(holder.remote_write.size(), 1u);
  const RemoteWriteEndpoint& e = holder.remote_write[0];
  EXPECT_EQ(e.url, "http://127.0.0.1:9090/api/v1/write");
  EXPECT_FALSE(e.parsed_url.https);
  EXPECT_EQ(e.parsed_url.port, 9090);
  EXPECT_EQ(e.parsed_url.target, "/api/v1/write");
  EXPECT_EQ(e.remote_timeout, std::chrono::seconds(30));
  // config.DefaultQueueConfig at v2.42.0.
  EXPECT_EQ(e.queue.capacity, 2500);
  EXPECT_EQ(e.queue.max_shards, 200);
  EXPECT_EQ(e.queue.min_shards, 1);
  EXPECT_EQ(e.queue.max_samples_per_send, 500);
  EXPECT_EQ(e.queue.batch_send_deadline, std::chrono::seconds(5));
  EXPECT_EQ(e.queue.min_backoff, std::chrono::milliseconds(30));
  EXPECT_EQ(e.queue.max_backoff, std::chrono::seconds(5));
  EXPECT_FALSE(e.queue.retry_on_http_429);
  EXPECT_TRUE(e.headers.empty());
  EXPECT_TRUE(e.write_relabel_configs.empty());
  EXPECT_TRUE(e.external_labels.empty());
  EXPECT_EQ(e.auth.AuthorizationHeader(), "");
  // sha256("http://127.0.0.1:9090/api/v1/write") = 43c68b... (python3 hashlib).
  EXPECT_EQ(e.RemoteName(), "43c68b");
}

constexpr const char* kFullBlock = R"(remote_write:
  - url: https://vm.example:8428/api/v1/write?token=abc
    name: vm
    remote_timeout: 10s
    headers:
      X-Scope-OrgID: tenant-1
    basic_auth:
      username: writer
      password: hunter2
    tls_config:
      insecure_skip_verify: true
      server_name: vm.internal
    queue_config:
      capacity: 10000
      max_shards: 50
      min_shards: 2
      max_samples_per_send: 2000
      batch_send_deadline: 10s
      min_backoff: 100ms
      max_backoff: 10s
      retry_on_http_429: true
    write_relabel_configs:
      - source_labels: [__name__]
        regex: 'go_.*|process_.*'
        action: drop
      - regex: 'instance'
        action: LabelDrop
    external_labels:
      cluster: eu-1
    send_exemplars: false
  - url: http://127.0.0.1:9090/api/v1/write
    bearer_token: s3cr3t
)";

TEST(RemoteWriteConfigTest, ParsesAPrometheusBlock) {
  Holder holder = Load(kFullBlock);
  ASSERT_EQ(holder.remote_write.size(), 2u);
  const RemoteWriteEndpoint& vm = holder.remote_write[0];
  EXPECT_TRUE(vm.parsed_url.https);
  EXPECT_EQ(vm.parsed_url.host, "vm.example");
  EXPECT_EQ(vm.RemoteName(), "vm");
  EXPECT_EQ(vm.remote_timeout, std::chrono::seconds(10));
  EXPECT_EQ(vm.headers.at("X-Scope-OrgID"), "tenant-1");
  EXPECT_EQ(vm.auth.username, "writer");
  EXPECT_EQ(vm.auth.AuthorizationHeader(), "Basic d3JpdGVyOmh1bnRlcjI=");  // base64("writer:hunter2")
  EXPECT_TRUE(vm.tls.insecure_skip_verify);
  EXPECT_EQ(vm.tls.server_name, "vm.internal");
  EXPECT_EQ(vm.queue.capacity, 10000);
  EXPECT_EQ(vm.queue.max_shards, 50);
  EXPECT_EQ(vm.queue.min_shards, 2);
  EXPECT_EQ(vm.queue.max_samples_per_send, 2000);
  EXPECT_EQ(vm.queue.batch_send_deadline, std::chrono::seconds(10));
  EXPECT_EQ(vm.queue.min_backoff, std::chrono::milliseconds(100));
  EXPECT_EQ(vm.queue.max_backoff, std::chrono::seconds(10));
  EXPECT_TRUE(vm.queue.retry_on_http_429);
  ASSERT_EQ(vm.write_relabel_configs.size(), 2u);
  EXPECT_EQ(vm.write_relabel_configs[0].action, RelabelAction::kDrop);
  EXPECT_EQ(vm.write_relabel_configs[0].source_labels, std::vector<std::string>{"__name__"});
  EXPECT_EQ(vm.write_relabel_configs[1].action, RelabelAction::kLabeldrop);  // case-insensitive
  EXPECT_EQ(vm.external_labels.at("cluster"), "eu-1");
  EXPECT_EQ(holder.remote_write[1].auth.AuthorizationHeader(), "Bearer s3cr3t");
}

TEST(RemoteWriteConfigTest, RenderMasksSecrets) {
  Holder holder = Load(kFullBlock);
  nlohmann::json out = HolderSection().Render(holder)["remote_write"];
  EXPECT_EQ(out[0]["url"], "https://vm.example:8428/api/v1/write?<secret>");
  EXPECT_EQ(out[0]["headers"]["X-Scope-OrgID"], "<secret>");
  EXPECT_EQ(out[0]["basic_auth"]["username"], "writer");
  EXPECT_EQ(out[0]["basic_auth"]["password"], "<secret>");
  EXPECT_EQ(out[0]["queue_config"]["batch_send_deadline"], "10s");
  EXPECT_EQ(out[0]["write_relabel_configs"][1]["action"], "labeldrop");
  EXPECT_EQ(out[0]["write_relabel_configs"][0]["regex"], "go_.*|process_.*");
  EXPECT_EQ(out[1]["bearer_token"], "<secret>");
  std::string text = out.dump();
  for (const char* secret : {"hunter2", "tenant-1", "s3cr3t", "token=abc"}) {
    EXPECT_THAT(text, ::testing::Not(HasSubstr(secret))) << secret;
  }
}

struct ErrorCase {
  std::string yaml;      // after "remote_write:\n  - url: http://a/\n" (line 3 on)
  std::string expected;  // the whole message
};

TEST(RemoteWriteConfigTest, ErrorsNameTheirPlace) {
  const std::string head = "remote_write:\n  - url: http://a/\n";
  const std::vector<ErrorCase> cases = {
      {"    headers: {Content-Type: text/plain}\n",
       "rw.yaml:3:29: remote_write[0].headers.Content-Type: Content-Type is a reserved header. It "
       "must not be changed"},
      {"    headers: {X-Prometheus-Remote-Write-Version: 2.0.0}\n",
       "rw.yaml:3:50: remote_write[0].headers.X-Prometheus-Remote-Write-Version: "
       "X-Prometheus-Remote-Write-Version is a reserved header. It must not be changed"},
      {"    headers: {authorization: Bearer x}\n",
       "rw.yaml:3:30: remote_write[0].headers.authorization: authorization header must be changed "
       "via the basic_auth, authorization, oauth2, or sigv4 parameter"},
      {"    headers: {User-Agent: me}\n",
       "rw.yaml:3:27: remote_write[0].headers.User-Agent: User-Agent is a reserved header. It must "
       "not be changed"},
      {"    headers: {X-Token: \"a\\r\\nEvil: 1\"}\n",
       "rw.yaml:3:24: remote_write[0].headers.X-Token: the value of header X-Token holds a line "
       "break"},
      {"    remote_timeout: 0s\n",
       "rw.yaml:3:21: remote_write[0].remote_timeout: must be greater than 0"},
      {"    queue_config: {min_shards: 5, max_shards: 4}\n",
       "rw.yaml:3:32: remote_write[0].queue_config.min_shards: min_shards (5) is more than "
       "max_shards (4)"},
      {"    queue_config: {min_backoff: 10s, max_backoff: 1s}\n",
       "rw.yaml:3:51: remote_write[0].queue_config.max_backoff: max_backoff (1s) is less than "
       "min_backoff (10s)"},
      {"    queue_config: {capacityy: 5}\n",
       "rw.yaml:3:20: remote_write[0].queue_config.capacityy: unknown key (did you mean capacity?)"},
      {"    basic_auth: {username: u, password: p}\n    bearer_token: t\n",
       "rw.yaml:2:5: remote_write[0]: basic_auth and bearer_token are exclusive"},
      {"    external_labels: {1abc: x}\n",
       "rw.yaml:3:29: remote_write[0].external_labels.1abc: \"1abc\" is not a valid label name"},
      {"    write_relabel_configs:\n      - {source_labels: [c], target_label: d, action: hashmod}\n",
       "rw.yaml:4:9: remote_write[0].write_relabel_configs[0]: relabel configuration for hashmod "
       "requires non-zero modulus"},
      {"    write_relabel_configs:\n      - {source_labels: [c], modulus: 8, target_label: 'a-b', action: hashmod}\n",
       "rw.yaml:4:56: remote_write[0].write_relabel_configs[0].target_label: \"a-b\" is invalid "
       "'target_label' for hashmod action"},
      {"    write_relabel_configs:\n      - {source_labels: [a], action: replace}\n",
       "rw.yaml:4:9: remote_write[0].write_relabel_configs[0]: relabel configuration for replace "
       "action requires 'target_label' value"},
      {"    write_relabel_configs:\n      - {source_labels: [a], target_label: '-foo'}\n",
       "rw.yaml:4:44: remote_write[0].write_relabel_configs[0].target_label: \"-foo\" is invalid "
       "'target_label' for replace action"},
      {"    write_relabel_configs:\n      - {source_labels: [a], target_label: b, replacement: x, action: lowercase}\n",
       "rw.yaml:4:60: remote_write[0].write_relabel_configs[0].replacement: 'replacement' can not "
       "be set for lowercase action"},
      {"    write_relabel_configs:\n      - {regex: 'b(.*)', replacement: '-$1', action: labelmap}\n",
       "rw.yaml:4:39: remote_write[0].write_relabel_configs[0].replacement: \"-$1\" is invalid "
       "'replacement' for labelmap action"},
      {"    write_relabel_configs:\n      - {source_labels: [a], regex: 'a.*', action: labeldrop}\n",
       "rw.yaml:4:25: remote_write[0].write_relabel_configs[0].source_labels: labeldrop action "
       "requires only 'regex', and no other fields"},
      {"    write_relabel_configs:\n      - {separator: ',', action: labelkeep}\n",
       "rw.yaml:4:21: remote_write[0].write_relabel_configs[0].separator: labelkeep action requires "
       "only 'regex', and no other fields"},
      {"    write_relabel_configs:\n      - {source_labels: [a], target_label: b, regex: '(a.*)', action: keepequal}\n",
       "rw.yaml:4:54: remote_write[0].write_relabel_configs[0].regex: keepequal action requires "
       "only 'source_labels' and `target_label`, and no other fields"},
      {"    write_relabel_configs:\n      - {source_labels: [a], action: replce}\n",
       "rw.yaml:4:38: remote_write[0].write_relabel_configs[0].action: unknown relabel action "
       "\"replce\""},
      {"    write_relabel_configs:\n      - {source_labels: ['a-b'], action: drop}\n",
       "rw.yaml:4:26: remote_write[0].write_relabel_configs[0].source_labels[0]: \"a-b\" is not a "
       "valid label name"},
      {"    write_relabel_configs:\n      - {source_labels: [a], regex: 'f(o', action: drop}\n",
       "rw.yaml:4:37: remote_write[0].write_relabel_configs[0].regex: error parsing regexp "
       "\"f(o\": missing ): f(o"},
      {"  - url: http://b/\n    name: x\n  - url: http://c/\n    name: x\n",
       "rw.yaml:6:11: remote_write[2].name: found multiple remote write configs with job name "
       "\"x\""},
      {"  - url: http://a/\n",
       "rw.yaml:3:10: remote_write[1].url: duplicate remote write configs are not allowed, found "
       "duplicate for URL: http://a/"},
  };
  for (const ErrorCase& c : cases) {
    EXPECT_EQ(ErrorOf(head + c.yaml), c.expected) << c.yaml;
  }
  EXPECT_EQ(ErrorOf("remote_write:\n  - name: a\n"),
            "rw.yaml:2:5: remote_write[0]: url for remote_write is empty");
  EXPECT_EQ(ErrorOf("remote_write:\n  - url: ftp://h/\n"),
            "rw.yaml:2:10: remote_write[0].url: invalid URL \"ftp://h/\" (expected "
            "http://HOST[:PORT]/... or https://...)");
}

TEST(RemoteWriteConfigTest, AuthorizationBlock) {
  Holder holder = Load(
      "remote_write:\n"
      "  - url: http://a/\n    authorization: {credentials: tok}\n"
      "  - url: http://b/\n    authorization: {type: Token, credentials: tok2}\n"
      "  - url: http://c/\n    basic_auth: {username: u, password: p}\n"
      "  - url: http://d/\n");
  ASSERT_EQ(holder.remote_write.size(), 4u);
  EXPECT_EQ(holder.remote_write[0].AuthorizationHeader(), "Bearer tok");
  EXPECT_EQ(holder.remote_write[1].AuthorizationHeader(), "Token tok2");
  EXPECT_EQ(holder.remote_write[2].AuthorizationHeader(), "Basic dTpw");  // base64("u:p")
  EXPECT_EQ(holder.remote_write[3].AuthorizationHeader(), "");
  nlohmann::json out = HolderSection().Render(holder)["remote_write"];
  EXPECT_EQ(out[1]["authorization"]["type"], "Token");
  EXPECT_EQ(out[1]["authorization"]["credentials"], "<secret>");
  EXPECT_FALSE(out[3].contains("authorization"));
  EXPECT_THAT(out.dump(), ::testing::Not(HasSubstr("tok2")));

  // A credentials file is read at each request (rotation needs no reload).
  std::string path = ::testing::TempDir() + "/rw_credentials";
  { std::ofstream(path) << "first\n"; }
  holder = Load("remote_write:\n  - url: http://a/\n    authorization: {credentials_file: " + path + "}\n");
  EXPECT_EQ(holder.remote_write[0].AuthorizationHeader(), "Bearer first");
  { std::ofstream(path) << "second"; }
  EXPECT_EQ(holder.remote_write[0].AuthorizationHeader(), "Bearer second");

  const std::string head = "remote_write:\n  - url: http://a/\n";
  EXPECT_EQ(ErrorOf(head + "    authorization: {type: Basic, credentials: x}\n"),
            "rw.yaml:3:27: remote_write[0].authorization.type: authorization type cannot be set "
            "to \"basic\", use \"basic_auth\" instead");
  EXPECT_EQ(ErrorOf(head + "    authorization: {credentials: x, credentials_file: /f}\n"),
            "rw.yaml:3:55: remote_write[0].authorization.credentials_file: at most one of "
            "authorization credentials & credentials_file must be configured");
  EXPECT_EQ(ErrorOf(head + "    authorization: {credentials: x}\n    bearer_token: y\n"),
            "rw.yaml:3:20: remote_write[0].authorization: authorization is not compatible with "
            "bearer_token & bearer_token_file");
  EXPECT_EQ(ErrorOf(head + "    authorization: {credentials: x}\n    basic_auth: {username: u}\n"),
            "rw.yaml:3:20: remote_write[0].authorization: at most one of basic_auth, oauth2 & "
            "authorization must be configured");
  EXPECT_EQ(ErrorOf(head + "    authorization: {type: Bearer}\n"),
            "rw.yaml:3:20: remote_write[0].authorization: needs credentials or credentials_file");
}

// What the README, the default config and the JSON Schema are generated from.
TEST(RemoteWriteConfigTest, DocsAndSchema) {
  std::vector<std::string> names;
  for (const config::KeyInfo& key : RemoteWriteEndpointSection().Keys()) names.push_back(key.name);
  EXPECT_THAT(names, ::testing::IsSupersetOf({"url", "name", "remote_timeout", "headers",
                                              "basic_auth", "bearer_token", "bearer_token_file",
                                              "authorization", "tls_config", "queue_config",
                                              "write_relabel_configs", "external_labels"}));
  for (const config::KeyInfo& key : RemoteWriteEndpointSection().Keys()) {
    EXPECT_FALSE(key.doc.empty()) << key.name;
    if (key.name == "headers" || key.name == "bearer_token") {
      EXPECT_TRUE(key.secret) << key.name;
    }
    if (key.name == "url") {
      EXPECT_TRUE(key.required);
    }
    if (key.name == "remote_timeout") {
      EXPECT_EQ(key.default_value, "30s");
    }
    if (key.name == "queue_config") {
      EXPECT_EQ(key.default_value["capacity"], 2500);
    }
  }
  nlohmann::json schema = RemoteWriteEndpointSection().Schema();
  EXPECT_TRUE(schema["properties"].contains("write_relabel_configs"));
  EXPECT_TRUE(schema["properties"]["queue_config"]["properties"].contains("retry_on_http_429"));
  std::vector<std::string> relabel_keys;
  for (const config::KeyInfo& key : RelabelConfigSection().Keys()) relabel_keys.push_back(key.name);
  EXPECT_EQ(relabel_keys, (std::vector<std::string>{"source_labels", "separator", "regex", "modulus",
                                                    "target_label", "replacement", "action"}));
}

// Prometheus's TestTargetLabelValidity (relabel_test.go): which target_label a replace accepts.
TEST(RemoteWriteConfigTest, TargetLabelValidity) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"-label", false}, {"label", true},      {"label${1}", true},  {"${1}label", true},
      {"${1}", true},    {"${", false},        {"$", false},         {"${}", false},
      {"foo${", false},  {"$1", true},         {"asd$2asd", true},   {"-foo${1}bar-", false},
      {"_${1}_", true},  {"foo${bar}foo", true}};
  for (const auto& [target, valid] : cases) {
    std::string yaml = "remote_write:\n  - url: http://a/\n    write_relabel_configs:\n"
                       "      - {source_labels: [a], target_label: '" + target + "'}\n";
    EXPECT_EQ(ErrorOf(yaml).empty(), valid) << target << ": " << ErrorOf(yaml);
  }
}

// config/examples/remote_write.yaml loads, and its relabelling does what its comments say.
TEST(RemoteWriteConfigTest, ExampleFileLoads) {
  std::string path = std::string(METRICSD_SOURCE_DIR) + "/config/examples/remote_write.yaml";
  ConfigNode root = ParseYaml(ReadConfigFile(path), path);
  std::vector<RemoteWriteEndpoint> endpoints;
  for (const ConfigNode& item : root["remote_write"].Items()) {
    endpoints.push_back(RemoteWriteEndpointSection().Parse(item));
  }
  CheckRemoteWriteEndpoints(root["remote_write"], endpoints);
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints[0].RemoteName(), "central-prometheus");
  EXPECT_EQ(endpoints[1].RemoteName().size(), 6u);
  EXPECT_EQ(endpoints[1].queue.max_samples_per_send, 2000);
  EXPECT_EQ(endpoints[1].queue.capacity, 2500);  // the rest keep their defaults

  Labels game = {{"__name__", "game_players"}, {"pid", "7"}, {"region", "eu"}};
  AddExternalLabels(endpoints[0].external_labels, game);
  ASSERT_TRUE(Relabel(endpoints[0].write_relabel_configs, game));
  EXPECT_EQ(game, (Labels{{"__name__", "game_players"}, {"game_region", "eu"},
                          {"host", "game-server-1"}, {"site", "eu-west-1"}}));
  Labels go = {{"__name__", "go_goroutines"}, {"instance", "a:1"}};
  Labels go_copy = go;
  EXPECT_FALSE(Relabel(endpoints[0].write_relabel_configs, go));
  EXPECT_FALSE(Relabel(endpoints[1].write_relabel_configs, go_copy));
  Labels up = {{"__name__", "up"}, {"instance", "a:1"}};
  ASSERT_TRUE(Relabel(endpoints[1].write_relabel_configs, up));
  ASSERT_EQ(up.size(), 3u);
  EXPECT_EQ(up[2].first, "shard");
  EXPECT_THAT(up[2].second, ::testing::AnyOf("0", "1", "2", "3"));
}

// --- relabel --------------------------------------------------------------------------------

struct RelabelHolder {
  std::vector<RelabelConfig> configs;
};

std::vector<RelabelConfig> Configs(const std::string& items) {
  static const auto* section = &(*new config::Section<RelabelHolder>("test"))
      .List("write_relabel_configs", &RelabelHolder::configs, RelabelConfigSection(), "steps");
  return section->Parse(ParseYaml("write_relabel_configs:\n" + items, "relabel.yaml")).configs;
}

Labels Sorted(Labels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

struct RelabelCase {
  std::string name;   // TestRelabel's case (its index in v2.42.0's table) or ours
  std::string yaml;   // the relabel_config list
  Labels input;
  Labels output;      // ignored when dropped
  bool drop = false;
};

TEST(RelabelTest, PrometheusCases) {
  const std::vector<RelabelCase> cases = {
      {"TestRelabel#0 replace with ${1}",
       "- {source_labels: [a], regex: 'f(.*)', target_label: d, separator: ';', replacement: 'ch${1}-ch${1}', action: replace}\n",
       {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}},
       {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "choo-choo"}}},
      {"TestRelabel#1 two replaces, the second reading the first",
       "- {source_labels: [a, b], regex: 'f(.*);(.*)r', target_label: a, separator: ';', replacement: 'b${1}${2}m'}\n"
       "- {source_labels: [c, a], regex: '(b).*b(.*)ba(.*)', target_label: d, separator: ';', replacement: '$1$2$2$3'}\n",
       {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}},
       {{"a", "boobam"}, {"b", "bar"}, {"c", "baz"}, {"d", "boooom"}}},
      {"TestRelabel#2 drop before replace",
       "- {source_labels: [a], regex: '.*o.*', action: drop}\n"
       "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch$1-ch$1'}\n",
       {{"a", "foo"}}, {}, true},
      {"TestRelabel#3 drop", "- {source_labels: [a], regex: '.*o.*', action: drop}\n",
       {{"a", "foo"}, {"b", "bar"}}, {}, true},
      {"TestRelabel#4 replace with a group inside",
       "- {source_labels: [a], regex: '.*(b).*', target_label: d, replacement: '$1'}\n",
       {{"a", "abc"}}, {{"a", "abc"}, {"d", "b"}}},
      {"TestRelabel#5 drop without match", "- {source_labels: [a], regex: 'no-match', action: drop}\n",
       {{"a", "foo"}}, {{"a", "foo"}}},
      {"TestRelabel#6 drop: the regex is anchored", "- {source_labels: [a], regex: 'f|o', action: drop}\n",
       {{"a", "foo"}}, {{"a", "foo"}}},
      {"TestRelabel#7 keep without match", "- {source_labels: [a], regex: 'no-match', action: keep}\n",
       {{"a", "foo"}}, {}, true},
      {"TestRelabel#8 keep", "- {source_labels: [a], regex: 'f.*', action: keep}\n",
       {{"a", "foo"}}, {{"a", "foo"}}},
      {"TestRelabel#9 no replacement without a match",
       "- {source_labels: [a], regex: 'f', target_label: b, replacement: bar}\n",
       {{"a", "boo"}}, {{"a", "boo"}}},
      {"TestRelabel#10 hashmod",
       "- {source_labels: [c], target_label: d, separator: ';', action: hashmod, modulus: 1000}\n",
       {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}},
       {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "976"}}},
      {"TestRelabel#11 hashmod of a value with a newline",
       "- {source_labels: [a], target_label: b, action: hashmod, modulus: 1000}\n",
       {{"a", "foo\nbar"}}, {{"a", "foo\nbar"}, {"b", "734"}}},
      {"TestRelabel#12 labelmap", "- {regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}\n",
       {{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}},
       {{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}, {"bar_b1", "bar"}, {"bar_b2", "baz"}}},
      {"TestRelabel#13 labelmap of __meta labels",
       "- {regex: '__meta_(my.*)', replacement: '${1}', action: labelmap}\n",
       {{"a", "foo"}, {"__meta_my_bar", "aaa"}, {"__meta_my_baz", "bbb"}, {"__meta_other", "ccc"}},
       {{"a", "foo"}, {"__meta_my_bar", "aaa"}, {"__meta_my_baz", "bbb"}, {"__meta_other", "ccc"},
        {"my_bar", "aaa"}, {"my_baz", "bbb"}}},
      {"TestRelabel#14 target_label from a group",
       "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', action: replace, replacement: '${2}', target_label: '${1}'}\n",
       {{"a", "some-name-value"}}, {{"a", "some-name-value"}, {"name", "value"}}},
      {"TestRelabel#15 an empty replacement sets nothing",
       "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', action: replace, replacement: '${3}', target_label: '${1}'}\n",
       {{"a", "some-name-value"}}, {{"a", "some-name-value"}}},
      {"TestRelabel#16 a target_label expanding to nothing sets nothing",
       "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', action: replace, replacement: '${1}', target_label: '${3}'}\n",
       {{"a", "some-name-value"}}, {{"a", "some-name-value"}}},
      {"TestRelabel#17 a real-life-like case",
       "- {source_labels: [__meta_sd_tags], regex: '(?:.+,|^)path:(/[^,]+).*', action: replace, replacement: '${1}', target_label: __metrics_path__}\n"
       "- {source_labels: [__meta_sd_tags], regex: '(?:.+,|^)job:([^,]+).*', action: replace, replacement: '${1}', target_label: job}\n"
       "- {source_labels: [__meta_sd_tags], regex: '(?:.+,|^)label:([^=]+)=([^,]+).*', action: replace, replacement: '${2}', target_label: '${1}'}\n",
       {{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"}},
       {{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"}, {"__metrics_path__", "/secret"},
        {"job", "some-job"}, {"foo", "bar"}}},
      {"TestRelabel#18 labelkeep", "- {regex: '(b.*)', action: labelkeep}\n",
       {{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}}, {{"b1", "bar"}, {"b2", "baz"}}},
      {"TestRelabel#19 labeldrop", "- {regex: '(b.*)', action: labeldrop}\n",
       {{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}}, {{"a", "foo"}}},
      {"TestRelabel#20 uppercase and lowercase",
       "- {source_labels: [foo], action: uppercase, target_label: foo_uppercase}\n"
       "- {source_labels: [foo], action: lowercase, target_label: foo_lowercase}\n",
       {{"foo", "bAr123Foo"}},
       {{"foo", "bAr123Foo"}, {"foo_lowercase", "bar123foo"}, {"foo_uppercase", "BAR123FOO"}}},
      {"TestRelabel#21 keepequal, equal", "- {source_labels: [__tmp_port], action: keepequal, target_label: __port1}\n",
       {{"__tmp_port", "1234"}, {"__port1", "1234"}, {"__port2", "5678"}},
       {{"__tmp_port", "1234"}, {"__port1", "1234"}, {"__port2", "5678"}}},
      {"TestRelabel#22 dropequal, equal", "- {source_labels: [__tmp_port], action: dropequal, target_label: __port1}\n",
       {{"__tmp_port", "1234"}, {"__port1", "1234"}, {"__port2", "5678"}}, {}, true},
      {"TestRelabel#23 dropequal, different", "- {source_labels: [__tmp_port], action: dropequal, target_label: __port2}\n",
       {{"__tmp_port", "1234"}, {"__port1", "1234"}, {"__port2", "5678"}},
       {{"__tmp_port", "1234"}, {"__port1", "1234"}, {"__port2", "5678"}}},
      {"TestRelabel#24 keepequal, different", "- {source_labels: [__tmp_port], action: keepequal, target_label: __port2}\n",
       {{"__tmp_port", "1234"}, {"__port1", "1234"}, {"__port2", "5678"}}, {}, true},
      // Ours: Go's regexp.Expand rules and the remote_write uses.
      {"$1_x names the group \"1_x\", which does not exist: empty, the label is removed",
       "- {source_labels: [a], regex: '(.*)', target_label: a, replacement: '$1_x'}\n",
       {{"a", "foo"}, {"b", "bar"}}, {{"b", "bar"}}},
      {"${1}_x and $$ (a literal $), named groups",
       "- {source_labels: [a], regex: '(?P<first>f)(.*)', target_label: c, replacement: '${1}_x$$${first}${2}'}\n",
       {{"a", "foo"}}, {{"a", "foo"}, {"c", "f_x$foo"}}},
      {"a malformed ${ is literal text",
       "- {source_labels: [a], target_label: c, replacement: 'v${1'}\n",
       {{"a", "foo"}}, {{"a", "foo"}, {"c", "v${1"}}},
      {"the default regex does not match a newline (Go's . excludes it): no replacement",
       "- {source_labels: [a], target_label: c}\n",
       {{"a", "x\ny"}}, {{"a", "x\ny"}}},
      {"a missing source label is empty; the joined value keeps the separators",
       "- {source_labels: [a, missing, b], target_label: c, separator: '|'}\n",
       {{"a", "1"}, {"b", "2"}}, {{"a", "1"}, {"b", "2"}, {"c", "1||2"}}},
      {"keep by metric name", "- {source_labels: [__name__], regex: 'up|game_.*', action: keep}\n",
       {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}}, {}, true},
      {"dropping every label drops the series", "- {regex: '.*', action: labeldrop}\n",
       {{"__name__", "up"}, {"job", "x"}}, {}, true},
      {"labelmap does not map its own results again",
       "- {regex: '(b.*)', replacement: 'b$1', action: labelmap}\n",
       {{"b", "1"}}, {{"b", "1"}, {"bb", "1"}}},
  };
  for (const RelabelCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<RelabelConfig> configs = Configs(c.yaml);
    Labels labels = Sorted(c.input);
    bool kept = Relabel(configs, labels);
    EXPECT_EQ(kept, !c.drop);
    if (kept && !c.drop) {
      EXPECT_EQ(labels, Sorted(c.output));
    }
  }
}

// TestRelabel#16's other two steps: target labels the config check refuses ("0${3}",
// "-${3}") can still reach Relabel from code; an invalid expanded target removes the label
// named as written (here absent), nothing else.
TEST(RelabelTest, InvalidExpandedTargetSetsNothing) {
  for (const char* target : {"${3}", "0${3}", "-${3}"}) {
    RelabelConfig c;
    c.source_labels = {"a"};
    c.regex = RelabelRegex::Compile("some-([^-]+)-([^,]+)");
    c.replacement = "${1}";
    c.target_label = target;
    Labels labels = {{"a", "some-name-value"}};
    EXPECT_TRUE(Relabel({c}, labels)) << target;
    EXPECT_EQ(labels, (Labels{{"a", "some-name-value"}})) << target;
  }
}

TEST(RelabelTest, ExternalLabelsLoseToTheSeriesOwn) {
  Labels labels = {{"__name__", "up"}, {"job", "node"}};
  AddExternalLabels({{"cluster", "eu"}, {"job", "ignored"}, {"zone", "a"}}, labels);
  EXPECT_EQ(labels, (Labels{{"__name__", "up"}, {"cluster", "eu"}, {"job", "node"}, {"zone", "a"}}));
}

TEST(RelabelTest, NoConfigsKeepsTheSeries) {
  Labels labels = {{"__name__", "up"}};
  EXPECT_TRUE(Relabel({}, labels));
  Labels empty;
  EXPECT_FALSE(Relabel({}, empty));
}

// --- wire format ----------------------------------------------------------------------------

std::vector<OutgoingSeries> SomeSeries() {
  std::vector<OutgoingSeries> series(3);
  series[0].labels = {{"__name__", "up"}, {"instance", "127.0.0.1:9100"}, {"job", "node"}};
  series[0].samples = {{1'700'000'000'000, 1}, {1'700'000'015'000, 0}, {1'700'000'030'000, storage::StaleMarker()}};
  series[1].labels = {{"__name__", "game_players"}, {"région", "é"}};
  series[1].samples = {{0, -0.0}, {-5, 1e300}, {42, std::nan("")}};
  series[2].labels = {{"__name__", "empty_samples"}};
  return series;
}

// Adds `series` to `request` with protobuf's generated API, independently of our encoder.
void AddWithProtobuf(const std::vector<OutgoingSeries>& series, prompb::WriteRequest& request) {
  for (const OutgoingSeries& s : series) {
    prompb::TimeSeries* ts = request.add_timeseries();
    for (const auto& [name, value] : s.labels) {
      prompb::Label* label = ts->add_labels();
      label->set_name(name);
      label->set_value(value);
    }
    for (const storage::Sample& sample : s.samples) {
      prompb::Sample* out = ts->add_samples();
      out->set_value(sample.v);
      out->set_timestamp(sample.t);
    }
  }
}

// The same request built with protobuf's generated API.
prompb::WriteRequest ProtobufRequest(const std::vector<OutgoingSeries>& series) {
  prompb::WriteRequest request;
  AddWithProtobuf(series, request);
  return request;
}

TEST(WriteRequestTest, EncodesWhatProtobufSerializes) {
  std::vector<OutgoingSeries> series = SomeSeries();
  WriteRequestEncoder encoder;
  std::string body = encoder.Encode(series);
  EXPECT_TRUE(snappy::IsValidCompressedBuffer(body.data(), body.size()));
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  EXPECT_EQ(raw, encoder.LastUncompressed());
  // Byte for byte the canonical serialization.
  EXPECT_EQ(raw, ProtobufRequest(series).SerializeAsString());
  // And protobuf reads it back as the same series.
  prompb::WriteRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(raw));
  ASSERT_EQ(parsed.timeseries_size(), 3);
  EXPECT_EQ(parsed.timeseries(0).labels(1).name(), "instance");
  EXPECT_EQ(parsed.timeseries(0).labels(1).value(), "127.0.0.1:9100");
  EXPECT_EQ(parsed.timeseries(0).samples(1).timestamp(), 1'700'000'015'000);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(parsed.timeseries(0).samples(2).value()),
            0x7ff0000000000002ULL);  // Prometheus's StaleNaN
  EXPECT_EQ(parsed.timeseries(1).samples(1).timestamp(), -5);
  EXPECT_EQ(parsed.timeseries(2).samples_size(), 0);
}

TEST(WriteRequestTest, RoundTrips) {
  std::vector<OutgoingSeries> series = SomeSeries();
  WriteRequestEncoder encoder;
  // Twice through one encoder: the reused buffers hold nothing of the first request.
  std::string big = encoder.Encode(series);
  std::vector<OutgoingSeries> one(series.begin(), series.begin() + 1);
  std::string body = encoder.Encode(one);
  EXPECT_LT(body.size(), big.size());
  std::vector<OutgoingSeries> decoded;
  std::string error;
  ASSERT_TRUE(DecodeWriteRequest(body, decoded, &error)) << error;
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_EQ(decoded[0].labels, series[0].labels);
  ASSERT_EQ(decoded[0].samples.size(), 3u);
  EXPECT_EQ(decoded[0].samples[0].t, 1'700'000'000'000);
  EXPECT_EQ(decoded[0].samples[0].v, 1);
  EXPECT_TRUE(storage::IsStaleMarker(decoded[0].samples[2].v));

  ASSERT_TRUE(DecodeWriteRequest(big, decoded, &error)) << error;
  ASSERT_EQ(decoded.size(), 3u);
  for (std::size_t i = 0; i < series.size(); ++i) {
    EXPECT_EQ(decoded[i].labels, series[i].labels);
    ASSERT_EQ(decoded[i].samples.size(), series[i].samples.size());
    for (std::size_t k = 0; k < series[i].samples.size(); ++k) {
      EXPECT_EQ(decoded[i].samples[k].t, series[i].samples[k].t);
      EXPECT_EQ(std::bit_cast<std::uint64_t>(decoded[i].samples[k].v),
                std::bit_cast<std::uint64_t>(series[i].samples[k].v));
    }
  }
  // An empty request is an empty body that decodes to nothing.
  std::string empty = encoder.Encode({});
  ASSERT_TRUE(DecodeWriteRequest(empty, decoded, &error)) << error;
  EXPECT_TRUE(decoded.empty());
}

TEST(WriteRequestTest, DecodeRefusesBadBodies) {
  std::vector<OutgoingSeries> out;
  std::string error;
  EXPECT_FALSE(DecodeWriteRequest("\xff\xff\xff\xff\xff\xff", out, &error));
  EXPECT_EQ(error, "not a snappy block");
  // Valid snappy holding bytes that are no WriteRequest (a field with wire type 7).
  std::string junk;
  snappy::Compress("\x0f\x01\x02", 3, &junk);
  EXPECT_FALSE(DecodeWriteRequest(junk, out, &error));
  EXPECT_EQ(error, "not a WriteRequest protobuf");
  // The declared size is checked before anything is uncompressed.
  WriteRequestEncoder encoder;
  std::string body = encoder.Encode(SomeSeries());
  EXPECT_FALSE(DecodeWriteRequest(body, out, &error, 10));
  EXPECT_THAT(error, HasSubstr("is over the limit of 10"));
  // A truncated block.
  EXPECT_FALSE(DecodeWriteRequest(std::string_view(body).substr(0, body.size() / 2), out, &error));
}

// Figures, not assertions: the encoder's and relabelling's cost per sample on this machine.
TEST(WriteRequestTest, Figures) {
  std::vector<OutgoingSeries> batch(100);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].labels = {{"__name__", "game_battle_phase_duration_seconds_bucket"},
                       {"instance", "game-01:9102"}, {"job", "game"}, {"le", std::to_string(i)},
                       {"phase", "resolve"}};
    for (int k = 0; k < 5; ++k) batch[i].samples.push_back({1'700'000'000'000 + k * 15'000, k * 1.5});
  }
  WriteRequestEncoder encoder;
  std::string body;
  constexpr int kRounds = 200;  // 200 requests of 500 samples: 100k samples
  auto start = std::chrono::steady_clock::now();
  std::size_t bytes = 0;
  for (int r = 0; r < kRounds; ++r) {
    encoder.EncodeTo(batch, body);
    bytes += body.size();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("FIGURE remote_write_encode_ms_per_100k_samples %.3f\n", seconds * 1e3);
  std::printf("FIGURE remote_write_compressed_bytes_per_sample %.3f\n",
              static_cast<double>(bytes) / (kRounds * 500.0));
  // The alternative the encoder replaces: protobuf's generated message, kept and cleared,
  // filled, serialized, then compressed (the same bytes, more copies).
  prompb::WriteRequest message;
  std::string serialized, compressed;
  start = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r) {
    message.Clear();
    AddWithProtobuf(batch, message);
    message.SerializeToString(&serialized);
    snappy::Compress(serialized.data(), serialized.size(), &compressed);
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("FIGURE remote_write_protobuf_message_ms_per_100k_samples %.3f\n", seconds * 1e3);

  std::vector<RelabelConfig> configs =
      Configs("- {source_labels: [__name__], regex: 'go_.*|process_.*', action: drop}\n"
              "- {regex: 'instance', action: labeldrop}\n");
  start = std::chrono::steady_clock::now();
  std::size_t kept = 0;
  for (int r = 0; r < 1000; ++r) {
    for (const OutgoingSeries& s : batch) {
      Labels labels = s.labels;
      kept += Relabel(configs, labels);
    }
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(kept, 100'000u);
  std::printf("FIGURE remote_write_relabel_ns_per_series %.1f\n", seconds * 1e9 / 100'000);
}

}  // namespace
}  // namespace metricsd::remote
