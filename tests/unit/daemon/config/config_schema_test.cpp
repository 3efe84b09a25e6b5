// The config declarations (daemon/core/config_schema.h) and everything generated from them:
// the loader's verdicts, defaults, the effective config, docs and the JSON Schema.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/config/config.h"
#include "daemon/config/config_docs.h"
#include "daemon/core/config_schema.h"

namespace metricsd {
namespace {

using config::Section;
using ::testing::HasSubstr;

template <typename F>
std::string ConfigErrorOf(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

struct Inner {
  std::string name;
  int level = 3;
};

struct Outer {
  bool on = true;
  std::int64_t bytes = 1024;
  Duration every = std::chrono::seconds(5);
  std::string token;
  std::vector<Inner> items;
  Inner single;
  std::vector<std::pair<std::string, std::string>> labels;
};

const Section<Inner>& InnerSection() {
  static const auto* section = &(*new Section<Inner>("an inner block"))
      .String("name", &Inner::name, "its name").Required("needs a name")
      .Int("level", &Inner::level, 1, 5, "a level");
  return *section;
}

const Section<Outer>& OuterSection() {
  static const auto* section = &(*new Section<Outer>("the outer block"))
      .Bool("on", &Outer::on, "switch")
      .Size("bytes", &Outer::bytes, 1, std::int64_t{1} << 40, "a size")
      .Dur("every", &Outer::every, "a period", config::kPositive)
      .String("token", &Outer::token, "a secret", /*secret=*/true)
      .List("items", &Outer::items, InnerSection(), "a list")
      .Block("single", &Outer::single, InnerSection(), "a block")
      .StringMap("labels", &Outer::labels, "labels")
      .Check("items have distinct names", [](const ConfigNode& node, Outer& out) {
        for (std::size_t i = 1; i < out.items.size(); ++i) {
          if (out.items[i].name == out.items[0].name) node["items"].Fail("duplicate name");
        }
      });
  return *section;
}

Outer ParseOuter(const std::string& yaml) { return OuterSection().Parse(ParseYaml(yaml, "t.yaml")); }

TEST(ConfigSchemaTest, DefaultsComeFromTheStructAndKeysFillIt) {
  Outer empty = ParseOuter("");
  EXPECT_TRUE(empty.on);
  EXPECT_EQ(empty.bytes, 1024);
  Outer set = ParseOuter(
      "on: false\nbytes: 64MiB\nevery: 1m30s\ntoken: s3cret\nitems: [{name: a}, {name: b, level: 5}]\n"
      "single: {name: x}\nlabels: {z: '1', a: '2'}\n");
  EXPECT_FALSE(set.on);
  EXPECT_EQ(set.bytes, 64 << 20);
  EXPECT_EQ(set.every, std::chrono::seconds(90));
  ASSERT_EQ(set.items.size(), 2u);
  EXPECT_EQ(set.items[1].level, 5);
  EXPECT_EQ(set.items[0].level, 3);  // the item struct's default
  EXPECT_EQ(set.single.name, "x");
  ASSERT_EQ(set.labels.size(), 2u);
  EXPECT_EQ(set.labels[0].first, "z");  // file order
}

TEST(ConfigSchemaTest, EveryMistakeNamesItsPosition) {
  struct Case {
    std::string yaml, error;
  };
  for (const Case& c : std::vector<Case>{
           {"onn: true\n", "t.yaml:1:1: onn: unknown key (did you mean on?)"},
           {"on: yes\n", "t.yaml:1:5: on: expected true or false, got \"yes\""},
           {"bytes: 2XB\n", "t.yaml:1:8: bytes: expected a size in bytes, or a number with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got \"2XB\""},
           {"bytes: 0\n", "t.yaml:1:8: bytes: must be between 1 and 1099511627776, got 0"},
           {"every: 0s\n", "t.yaml:1:8: every: must be greater than 0"},
           {"every: 5 min\n", "t.yaml:1:8: every: invalid duration \"5 min\" (expected e.g. 500ms, 15s, 1m30s)"},
           {"items: [{level: 2}]\n", "t.yaml:1:9: items[0]: needs a name"},
           {"items: [{name: a, level: 9}]\n", "t.yaml:1:26: items[0].level: must be between 1 and 5, got 9"},
           {"items: [~]\n", "t.yaml:1:9: items[0]: expected a mapping, got nothing"},
           {"items: [{name: a}, {name: a}]\n", "t.yaml:1:8: items: duplicate name"},
           {"single: []\n", "t.yaml:1:9: single: expected a mapping, got a sequence"},
           {"labels: [a]\n", "t.yaml:1:9: labels: expected a mapping, got a sequence"},
       }) {
    EXPECT_EQ(ConfigErrorOf([&] { ParseOuter(c.yaml); }), c.error) << c.yaml;
  }
}

TEST(ConfigSchemaTest, RenderMasksSecretsAndReadsBack) {
  Outer value = ParseOuter("token: s3cret\nitems: [{name: a}]\nevery: 90s\n");
  nlohmann::json json = OuterSection().Render(value);
  EXPECT_EQ(json["token"], "<secret>");
  EXPECT_EQ(json["every"], "1m30s");
  EXPECT_EQ(json["items"][0]["level"], 3);
  EXPECT_EQ(OuterSection().Render(ParseOuter(""))["token"], "");  // unset: shown as unset
}

TEST(ConfigSchemaTest, KeysCarryTypesDefaultsAndSchema) {
  std::vector<config::KeyInfo> keys = OuterSection().Keys();
  ASSERT_EQ(keys.size(), 7u);
  EXPECT_EQ(keys[1].type, "size 1..1099511627776");
  EXPECT_EQ(keys[1].default_value, 1024);
  EXPECT_EQ(keys[2].type, "duration > 0");
  EXPECT_TRUE(keys[3].secret);
  EXPECT_TRUE(keys[4].list);
  EXPECT_EQ(keys[4].block, &InnerSection());
  nlohmann::json schema = OuterSection().Schema();
  EXPECT_EQ(schema["additionalProperties"], false);
  EXPECT_EQ(schema["properties"]["items"]["items"]["required"], nlohmann::json({"name"}));
  EXPECT_EQ(schema["properties"]["on"]["description"], "switch");
  EXPECT_THAT(KeyTableMarkdown(OuterSection()), HasSubstr("| `items[].level` | int 1..5 | `3` | a level |"));
  EXPECT_THAT(KeyTableMarkdown(OuterSection()), HasSubstr("- items have distinct names"));
}

// Every shipped config, loaded, rendered as the effective YAML and loaded again, is the same
// config: /api/v1/status/config's YAML is a config file (secrets aside).
TEST(ConfigSchemaTest, EffectiveConfigOfEveryExampleLoadsBackTheSame) {
  std::filesystem::path root = std::filesystem::absolute(METRICSD_SOURCE_DIR);
  std::vector<std::filesystem::path> files = {root / "config/metricsd.yaml"};
  for (const auto& entry : std::filesystem::directory_iterator(root / "config/examples")) {
    std::string text = ReadConfigFile(entry.path().string());
    // Only metricsd config files (rule, mapping and web-config files have their own schemas).
    if (text.find("schema/metricsd.schema.json") != std::string::npos) files.push_back(entry.path());
  }
  ASSERT_GT(files.size(), 4u);
  for (const auto& path : files) {
    Config first = LoadConfigFile(path.string());
    std::string yaml = first.ToYaml();
    Config second = LoadConfigText(yaml, path.string());
    EXPECT_EQ(first.ToJson(), second.ToJson()) << path << "\n" << yaml;
  }
}

TEST(ConfigSchemaTest, DefaultConfigIsTheDeclaredDefaultsAndEveryKeyIsInTheSchema) {
  Config from_file = LoadConfigText(DefaultConfigYaml(), "metricsd.yaml");
  Config declared = ConfigSection().Parse(ParseYaml("", "empty.yaml"));
  EXPECT_EQ(from_file.ToJson(), declared.ToJson());
  nlohmann::json schema = ConfigJsonSchema();
  EXPECT_EQ(schema["$schema"], "http://json-schema.org/draft-07/schema#");
  for (const config::KeyInfo& section : ConfigSection().Keys()) {
    // A list section (remote_write) declares the keys of each item.
    const nlohmann::json& keys = section.list ? schema["properties"][section.name]["items"]["properties"]
                                              : schema["properties"][section.name]["properties"];
    for (const config::KeyInfo& key : section.block->Keys()) {
      EXPECT_TRUE(keys.contains(key.name))
          << section.name << "." << key.name;
      EXPECT_FALSE(key.doc.empty()) << section.name << "." << key.name << " has no doc";
    }
  }
  // The inline mapping's $refs resolve inside the document.
  EXPECT_TRUE(schema["definitions"].contains("mapping_defaults"));
  EXPECT_TRUE(schema["definitions"].contains("mappings"));
}

}  // namespace
}  // namespace metricsd
