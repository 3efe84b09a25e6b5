#include "daemon/storage/label_matcher.h"

#include <gtest/gtest.h>

#include <string>

namespace metricsd::storage {
namespace {

using namespace std::string_literals;

LabelMatcher Make(MatchType type, std::string value) {
  std::string error;
  auto matcher = LabelMatcher::Make(type, "l", std::move(value), &error);
  EXPECT_TRUE(matcher) << error;
  return *matcher;
}

TEST(LabelMatcher, EqualityAndInequality) {
  auto eq = Make(MatchType::kEqual, "a");
  EXPECT_TRUE(eq.Matches("a"));
  EXPECT_FALSE(eq.Matches("ab"));
  EXPECT_FALSE(eq.MatchesEmpty());
  auto ne = Make(MatchType::kNotEqual, "a");
  EXPECT_FALSE(ne.Matches("a"));
  EXPECT_TRUE(ne.Matches(""));
  EXPECT_TRUE(ne.MatchesEmpty());
  EXPECT_TRUE(Make(MatchType::kEqual, "").MatchesEmpty());
}

TEST(LabelMatcher, RegexesAreFullyAnchored) {
  auto re = Make(MatchType::kRegexMatch, "a.*");
  EXPECT_TRUE(re.Matches("abc"));
  EXPECT_FALSE(re.Matches("xabc"));
  EXPECT_FALSE(re.MatchesEmpty());
  auto alternation = Make(MatchType::kRegexMatch, "a|b");
  EXPECT_TRUE(alternation.Matches("b"));
  EXPECT_FALSE(alternation.Matches("ab"));  // ^(?:a|b)$, not ^a|b$
  auto nre = Make(MatchType::kRegexNoMatch, "a.*");
  EXPECT_FALSE(nre.Matches("abc"));
  EXPECT_TRUE(nre.Matches("xabc"));
  EXPECT_TRUE(nre.MatchesEmpty());
  EXPECT_TRUE(Make(MatchType::kRegexMatch, ".*").MatchesEmpty());
  EXPECT_FALSE(Make(MatchType::kRegexMatch, ".+").MatchesEmpty());
  // Prometheus 2.x: '.' does not match a newline.
  EXPECT_FALSE(Make(MatchType::kRegexMatch, ".*").Matches("a\nb"));
}

TEST(LabelMatcher, BadRegexNamesIt) {
  std::string error;
  EXPECT_FALSE(LabelMatcher::Make(MatchType::kRegexMatch, "l", "a(b", &error));
  EXPECT_NE(error.find("error parsing regexp \"a(b\""), std::string::npos) << error;
  EXPECT_FALSE(LabelMatcher::Make(MatchType::kRegexNoMatch, "l", "*", &error));
}

TEST(LabelMatcher, ToStringQuotesAsGo) {
  EXPECT_EQ(Make(MatchType::kEqual, "v").ToString(), R"(l="v")");
  EXPECT_EQ(Make(MatchType::kNotEqual, "v").ToString(), R"(l!="v")");
  EXPECT_EQ(Make(MatchType::kRegexMatch, "a\\.b").ToString(), R"(l=~"a\\.b")");
  EXPECT_EQ(Make(MatchType::kRegexNoMatch, "x").ToString(), R"(l!~"x")");
  EXPECT_EQ(Make(MatchType::kEqual, "q\"\n\t\x01\x7f").ToString(), R"(l="q\"\n\t\x01\x7f")");
}

TEST(GoQuote, MatchesStrconvQuote) {
  EXPECT_EQ(GoQuote(""), R"("")");
  EXPECT_EQ(GoQuote("\a\b\f\n\r\t\v\\"), R"("\a\b\f\n\r\t\v\\")");
  EXPECT_EQ(GoQuote("h\xc3\xa9 \xe2\x82\xac"), "\"h\xc3\xa9 \xe2\x82\xac\"");  // printable UTF-8 kept
  EXPECT_EQ(GoQuote("\xff" "a"), R"("\xffa")");                               // invalid byte
  EXPECT_EQ(GoQuote("\xc2\x85"), R"("\u0085")");                               // C1 control
  EXPECT_EQ(GoQuote("\xe2\x82"), R"("\xe2\x82")");                             // truncated sequence
}

}  // namespace
}  // namespace metricsd::storage
