#include "daemon/storage/series_selector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace metricsd::storage {
namespace {

using namespace std::string_literals;

// The matchers as text, in order, or the error.
std::string Parse(std::string_view text) {
  SelectorParseResult result = ParseSeriesSelector(text);
  if (!result.error.empty()) {
    EXPECT_TRUE(result.matchers.empty());
    return "error: " + result.error;
  }
  std::string out;
  for (const LabelMatcher& m : result.matchers) out += (out.empty() ? "" : ", ") + m.ToString();
  return out;
}

struct Case {
  std::string input;
  std::string expected;
};

class SelectorCases : public testing::TestWithParam<Case> {};

TEST_P(SelectorCases, ParsesLikePrometheus) { EXPECT_EQ(Parse(GetParam().input), GetParam().expected) << GetParam().input; }

// Prometheus's promql/parser/parse_test.go, vector selector cases (the selector subset; the
// name matcher comes first here), plus the quoting and whitespace rules.
INSTANTIATE_TEST_SUITE_P(
    Prometheus, SelectorCases,
    testing::Values(
        Case{"foo", R"(__name__="foo")"},
        Case{R"(foo:bar{a="bc"})", R"(__name__="foo:bar", a="bc")"},
        Case{R"(foo{NaN='bc'})", R"(__name__="foo", NaN="bc")"},
        Case{R"(foo{bar='}'})", R"(__name__="foo", bar="}")"},
        Case{R"(foo{a="b", foo!="bar", test=~"test", bar!~"baz"})",
             R"(__name__="foo", a="b", foo!="bar", test=~"test", bar!~"baz")"},
        Case{R"(foo{a="b", foo!="bar", test=~"test", bar!~"baz",})",
             R"(__name__="foo", a="b", foo!="bar", test=~"test", bar!~"baz")"},
        Case{R"({__name__=~"bar", __name__!~"baz"})", R"(__name__=~"bar", __name__!~"baz")"},
        Case{R"({__name__="bar", __name__="baz"})", R"(__name__="bar", __name__="baz")"},
        Case{"{", "error: 1:2: parse error: unexpected end of input inside braces"},
        Case{"}", "error: 1:1: parse error: unexpected character: '}'"},
        Case{"some{", "error: 1:6: parse error: unexpected end of input inside braces"},
        Case{"some}", "error: 1:5: parse error: unexpected character: '}'"},
        Case{"some_metric{a=b}", R"(error: 1:15: parse error: unexpected identifier "b" in label matching, expected string)"},
        Case{R"(some_metric{a:b="b"})", "error: 1:14: parse error: unexpected character inside braces: ':'"},
        Case{R"(foo{a*"b"})", "error: 1:6: parse error: unexpected character inside braces: '*'"},
        Case{R"(foo{a>="b"})", "error: 1:6: parse error: unexpected character inside braces: '>'"},
        Case{"some_metric{a=\"\xff\"}", "error: 1:15: parse error: invalid UTF-8 rune"},
        Case{"foo{gibberish}", R"(error: 1:14: parse error: unexpected "}" in label matching, expected label matching operator)"},
        Case{"foo{1}", "error: 1:5: parse error: unexpected character inside braces: '1'"},
        Case{"{}", "error: 1:1: parse error: vector selector must contain at least one non-empty matcher"},
        Case{R"({x=""})", "error: 1:1: parse error: vector selector must contain at least one non-empty matcher"},
        Case{R"({x=~".*"})", "error: 1:1: parse error: vector selector must contain at least one non-empty matcher"},
        Case{R"({x!~".+"})", "error: 1:1: parse error: vector selector must contain at least one non-empty matcher"},
        Case{R"({x!="a"})", "error: 1:1: parse error: vector selector must contain at least one non-empty matcher"},
        Case{R"(foo{__name__="bar"})", R"(error: 1:1: parse error: metric name must not be set twice: "foo" or "bar")"},
        Case{"foo{__name__= =}", R"(error: 1:15: parse error: unexpected "=" in label matching, expected string)"},
        Case{"foo{,}", R"(error: 1:5: parse error: unexpected "," in label matching, expected identifier or "}")"},
        Case{R"(foo{__name__ == "bar"})", R"(error: 1:15: parse error: unexpected "=" in label matching, expected string)"},
        Case{R"(foo{__name__="bar" lol})", R"(error: 1:20: parse error: unexpected identifier "lol" in label matching, expected "," or "}")"},
        // Beyond parse_test.go: quoting, escapes, whitespace, what follows a selector.
        Case{R"(  foo {  a = "b" , c=~'d.*' , }  )", R"(__name__="foo", a="b", c=~"d.*")"},
        Case{R"({job="api"})", R"(job="api")"},
        Case{R"(x{a="\a\b\f\n\r\t\v\\\"", b='\'', c=`raw\n`})", R"(__name__="x", a="\a\b\f\n\r\t\v\\\"", b="'", c="raw\\n")"},
        Case{R"(x{a="\x41\101\u00e9\U0001F600"})", "__name__=\"x\", a=\"AA\xc3\xa9\xf0\x9f\x98\x80\""},
        Case{R"(x{a="\q"})", "error: 1:5: parse error: unknown escape sequence U+0071 'q'"},
        Case{R"(x{a="\'"})", "error: 1:5: parse error: unknown escape sequence U+0027 '''"},
        Case{R"(x{a="\x4"})", "error: 1:5: parse error: illegal character '\"' in escape sequence"},
        Case{R"(x{a="\uD800"})", "error: 1:5: parse error: escape sequence is an invalid Unicode code point"},
        Case{R"(x{a="b)", "error: 1:5: parse error: unterminated quoted string"},
        Case{"x{a=`b", "error: 1:5: parse error: unterminated raw string"},
        Case{"x{a=\"b\nc\"}", "error: 1:5: parse error: unterminated quoted string"},
        Case{"x{a=`b\nc`}", "__name__=\"x\", a=\"b\\nc\""},
        Case{"x{\n  a=b}", "error: 2:5: parse error: unexpected identifier \"b\" in label matching, expected string"},
        Case{R"(x{a="b"} y)", R"(error: 1:10: parse error: unexpected identifier "y")"},
        Case{"x[5m]", R"(error: 1:2: parse error: unexpected "[")"},
        Case{"", "error: 1:1: parse error: unexpected end of input"},
        Case{"   ", "error: 1:4: parse error: unexpected end of input"},
        Case{R"("foo")", R"(error: 1:1: parse error: unexpected string "\"foo\"")"},
        Case{"1", R"(error: 1:1: parse error: unexpected number "1")"},
        Case{"NaN", R"(error: 1:1: parse error: unexpected number "NaN")"},
        Case{"sum", R"(__name__="sum")"},
        Case{"x{a!b}", "error: 1:4: parse error: unexpected character after '!' inside braces: 'b'"},
        Case{R"(x{a=~"(("})", "error: 1:3: parse error: error parsing regexp \"((\": missing ): ^(?:(()$"},
        Case{R"(x{a="b"}{c="d"})", R"(error: 1:9: parse error: unexpected "{")"}));

TEST(ParseSeriesSelector, NameComesFirstAndCounts) {
  SelectorParseResult result = ParseSeriesSelector(R"(up{job=""})");
  ASSERT_TRUE(result.error.empty()) << result.error;
  ASSERT_EQ(result.matchers.size(), 2u);
  EXPECT_EQ(result.matchers[0].name(), "__name__");
  EXPECT_EQ(result.matchers[0].type(), MatchType::kEqual);
  EXPECT_TRUE(result.matchers[1].MatchesEmpty());
}

}  // namespace
}  // namespace metricsd::storage
