#include "daemon/core/yaml_quotes.h"

#include <gtest/gtest.h>

#include "daemon/core/config_node.h"
#include "tests/unit/support/config_error_of.h"

namespace metricsd {
namespace {

// "line:column" (1-based) of the problem, or "none".
std::string Where(std::string_view text) {
  std::optional<YamlQuoteProblem> problem = FindUnclosedQuote(text);
  if (!problem) return "none";
  return std::to_string(problem->line + 1) + ":" + std::to_string(problem->column + 1);
}

TEST(YamlQuotesTest, UnclosedDoubleQuoteAtTheEndIsRefusedWithItsPosition) {
  // yaml-cpp 0.7 loads this as one string and drops `b` and `c`.
  EXPECT_EQ(ConfigErrorOf([] { ParseYaml("a: 1\nb: \"abc\nc: 2\n", "m.yaml"); }),
            "m.yaml:2:4: invalid YAML: quoted string is not closed before line 3, which starts a "
            "new entry but would be read as part of the string; add the closing \"");
  EXPECT_EQ(Where("a: \"abc"), "1:4");
  EXPECT_EQ(Where("a: \"abc\\\"\n"), "1:4");  // an escaped quote does not close it
}

TEST(YamlQuotesTest, UnclosedSingleQuoteIsRefused) {
  EXPECT_EQ(ConfigErrorOf([] { ParseYaml("a: 1\nb: 'abc\n  more text\n", "m.yaml"); }),
            "m.yaml:2:4: invalid YAML: quoted string is not closed before the end of the file; "
            "add the closing '");
  EXPECT_EQ(Where("a: 'it''s\n"), "1:4");  // '' is an escaped quote
}

TEST(YamlQuotesTest, AStringThatSwallowsTheNextEntryIsRefusedEvenIfAQuoteCloseItLater) {
  std::string text =
      "receivers:\n"
      "  - url: \"http://a\n"
      "  - url: \"http://b\"\n";
  EXPECT_EQ(Where(text), "2:10");
  EXPECT_EQ(Where("web:\n  a: \"x\n  b: y\"\n"), "2:6");
  EXPECT_EQ(Where("a: \"x\n---\n"), "1:4");
}

TEST(YamlQuotesTest, ValidMultiLineQuotedScalarsPass) {
  EXPECT_EQ(Where("a: \"first\n  second\"\nb: 'one\n\n  two'\n"), "none");
  EXPECT_EQ(Where("web:\n  a: \"first\n    b: looks like a key, but is indented inside\"\n"), "none");
  EXPECT_EQ(Where("a: \"x \\\" y\"\nb: 'it''s'\nc: \"\"\nd: ''\n"), "none");
  // A string alone on its line (the value of the key above) may continue at its own indent.
  EXPECT_EQ(Where("key:\n  \"first line\n  second: part\"\nnext: 1\n"), "none");
  EXPECT_EQ(Where("key:\n  \"first line\nnext: 1\n"), "2:3");
  // And yaml-cpp reads them as one value each.
  ConfigNode root = ParseYaml("a: \"first\n  second\"\nb: 2\n", "m.yaml");
  EXPECT_EQ(root["a"].AsString(), "first second");
  EXPECT_EQ(root["b"].AsString(), "2");
}

TEST(YamlQuotesTest, QuotesInCommentsPlainScalarsAndBlockScalarsAreNotQuotes) {
  EXPECT_EQ(Where("# it's \"unbalanced\n"
                  "a: 1  # don't\n"
                  "b: it's fine\n"
                  "c: say \"hi\n"
                  "d: x#'y\n"),
            "none");
  EXPECT_EQ(Where("a: |\n  it's \"open\n  - still: text\n\nb: >-\n  'x\n"
                  "list:\n  - |\n    \"quoted\n  - key: |\n      'x\n    other: 'ok'\n"),
            "none");
  // After a block scalar, scanning resumes: this quote is really open.
  EXPECT_EQ(Where("a: |\n  it's\nb: \"open\n"), "3:4");
  EXPECT_EQ(Where("list:\n  - key: |\n      text\n    other: 'open\n"), "4:12");
}

TEST(YamlQuotesTest, FlowCollectionsAnchorsAndTags) {
  EXPECT_EQ(Where("a: [\"x\", 'y', z]\nb: {\"k\":\"v\", k2: 'v2'}\nc: &anchor \"v\"\nd: !!str 'v'\n"),
            "none");
  EXPECT_EQ(Where("a: [\"x\", 'y]\n"), "1:10");
  EXPECT_EQ(Where("c: &anchor \"v\n"), "1:12");
}

}  // namespace
}  // namespace metricsd
