#include "daemon/core/config_node.h"

#include <gtest/gtest.h>

#include "tests/unit/support/config_error_of.h"

namespace metricsd {
namespace {

TEST(ConfigNodeTest, UnknownKeyNamesPositionPathAndSuggestion) {
  ConfigNode root = ParseYaml("web:\n  listen_adress: x\n", "m.yaml");
  EXPECT_EQ(ConfigErrorOf([&] { root["web"].ExpectKeys({"listen_address", "max_connections"}); }),
            "m.yaml:2:3: web.listen_adress: unknown key (did you mean listen_address?)");
}

TEST(ConfigNodeTest, UnknownKeyWithoutAnyCloseNameHasNoSuggestion) {
  ConfigNode root = ParseYaml("zzz: 1\n", "m.yaml");
  EXPECT_EQ(ConfigErrorOf([&] { root.ExpectKeys({"web"}); }), "m.yaml:1:1: zzz: unknown key");
}

TEST(ConfigNodeTest, DuplicateKeyIsAnError) {
  ConfigNode root = ParseYaml("a: 1\nb: 2\na: 3\n", "m.yaml");
  EXPECT_EQ(ConfigErrorOf([&] { root.ExpectKeys({"a", "b"}); }), "m.yaml:3:1: a: duplicate key");
}

TEST(ConfigNodeTest, WrongKindNamesWhatWasExpected) {
  ConfigNode root = ParseYaml("web: 5\nlist: {a: 1}\nn: [1]\n", "m.yaml");
  EXPECT_EQ(ConfigErrorOf([&] { root["web"].ExpectKeys({}); }),
            "m.yaml:1:6: web: expected a mapping, got a scalar");
  EXPECT_EQ(ConfigErrorOf([&] { root["list"].Items(); }),
            "m.yaml:2:7: list: expected a sequence, got a mapping");
  EXPECT_EQ(ConfigErrorOf([&] { root["n"].AsString(); }),
            "m.yaml:3:4: n: expected a string, got a sequence");
}

TEST(ConfigNodeTest, ScalarConversionsCheckTypeAndRange) {
  ConfigNode root = ParseYaml("i: 12x\nr: 70000\nb: yes\nd: 10 seconds\nok: 42\n", "m.yaml");
  EXPECT_EQ(ConfigErrorOf([&] { root["i"].AsInt(0, 100); }),
            "m.yaml:1:4: i: expected an integer, got \"12x\"");
  EXPECT_EQ(ConfigErrorOf([&] { root["r"].AsInt(1, 65535); }),
            "m.yaml:2:4: r: must be between 1 and 65535, got 70000");
  EXPECT_EQ(ConfigErrorOf([&] { root["b"].AsBool(); }),
            "m.yaml:3:4: b: expected true or false, got \"yes\"");
  EXPECT_EQ(ConfigErrorOf([&] { root["d"].AsDuration(); }),
            "m.yaml:4:4: d: invalid duration \"10 seconds\" (expected e.g. 500ms, 15s, 1m30s)");
  EXPECT_EQ(root["ok"].AsInt(0, 100), 42);
}

TEST(ConfigNodeTest, AbsentAndNullKeysTakeDefaults) {
  ConfigNode root = ParseYaml("web:\nn: ~\n", "m.yaml");
  EXPECT_FALSE(root["web"].IsSet());
  EXPECT_FALSE(root["missing"].IsSet());
  EXPECT_EQ(root["web"].GetString("listen_address", "x:1"), "x:1");
  EXPECT_EQ(root.GetDuration("n", std::chrono::seconds(3)), std::chrono::seconds(3));
  EXPECT_EQ(root.GetBool("missing", true), true);
}

TEST(ConfigNodeTest, SequenceElementsCarryTheirIndexInThePath) {
  ConfigNode root = ParseYaml("targets:\n  - 1\n  - [x]\n", "m.yaml");
  auto items = root["targets"].Items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(ConfigErrorOf([&] { items[1].AsString(); }),
            "m.yaml:3:5: targets[1]: expected a string, got a sequence");
}

TEST(ConfigNodeTest, YamlSyntaxErrorGivesYamlCppsPosition) {
  std::string error = ConfigErrorOf([] { ParseYaml("web:\n  listen_address: [unclosed\n", "m.yaml"); });
  EXPECT_EQ(error.rfind("m.yaml:", 0), 0u) << error;
  EXPECT_NE(error.find("invalid YAML"), std::string::npos) << error;
  EXPECT_EQ(ConfigErrorOf([] { ParseYaml("a: b: c\n", "m.yaml"); }),
            "m.yaml:1:5: invalid YAML: illegal map value");
}

TEST(ConfigNodeTest, SuggestsOnlyCloseKeys) {
  EXPECT_EQ(SuggestKey("listen_adress", {"listen_address", "read_timeout"}), "listen_address");
  EXPECT_EQ(SuggestKey("read_timout", {"listen_address", "read_timeout"}), "read_timeout");
  EXPECT_EQ(SuggestKey("qqqq", {"listen_address", "read_timeout"}), "");
}

}  // namespace
}  // namespace metricsd
