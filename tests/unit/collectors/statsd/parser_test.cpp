// Table-driven tests of the StatsD line parser, in the spirit of brubeck's must_parse /
// must_not_parse lists, with statsd_exporter's dialects and error reasons.
#include "collectors/statsd/parser.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace metricsd::statsd {
namespace {

// "c:1.5" style compact expectations keep the table readable.
std::string Describe(const ParsedLine& line) {
  std::string out(line.name);
  for (const Tag& tag : line.tags) out += "," + std::string(tag.name) + "=" + std::string(tag.value);
  for (const Sample& s : line.samples) {
    static const char* kTypes[] = {"c", "g", "ms", "h", "d"};
    char value[32];
    std::snprintf(value, sizeof value, "%g", s.value);
    out += std::string(" ") + kTypes[static_cast<int>(s.type)] + ":" + (s.relative ? "rel" : "") +
           value + (s.repeat != 1 ? "x" + std::to_string(s.repeat) : "");
  }
  for (SampleError e : line.errors) out += " !" + std::string(ReasonLabel(e));
  if (line.tag_errors > 0) out += " tag_errors=" + std::to_string(line.tag_errors);
  return out;
}

struct Case {
  const char* line;
  const char* expected;
};

class ParserTest : public ::testing::TestWithParam<Case> {};

TEST_P(ParserTest, ParsesAsStatsdExporterDoes) {
  ParsedLine out;
  ParseLine(GetParam().line, ParseOptions{}, out);
  EXPECT_EQ(Describe(out), GetParam().expected) << "line: " << GetParam().line;
}

INSTANTIATE_TEST_SUITE_P(
    MustParse, ParserTest,
    ::testing::Values(
        Case{"hits:1|c", "hits c:1"},
        Case{"hits:2|c|@0.5", "hits c:4"},
        Case{"temp:-3.5|g", "temp g:rel-3.5"},
        Case{"temp:+2|g|@0.1", "temp g:rel2"},
        Case{"temp:42|g", "temp g:42"},
        Case{"battle.duration:250|ms", "battle.duration ms:0.25"},
        Case{"battle.duration:250|ms|@0.25", "battle.duration ms:0.25x4"},
        Case{"payload:512|h", "payload h:512"},
        Case{"payload:512|d", "payload d:512"},
        Case{"multi:1|c:2|ms", "multi c:1 ms:0.002"},
        Case{"db.query:12|ms|#table:users,op:select", "db.query,table=users,op=select ms:0.012"},
        Case{"db.query:12|ms|@0.5|#table:users", "db.query,table=users ms:0.012x2"},
        Case{"ao.handler:3|ms|#action:Eval|c:abc123", "ao.handler,action=Eval,container_id=abc123 ms:0.003"},
        Case{"ao.handler:3|ms|T1700000000", "ao.handler ms:0.003"},
        Case{"lat:1:2:3|ms|#zone:eu", "lat,zone=eu ms:0.001 ms:0.002 ms:0.003"},
        Case{"req,region=eu,tier=1:1|c", "req,region=eu,tier=1 c:1"},
        Case{"req#region=eu:1|c", "req,region=eu c:1"},
        Case{"req[region=eu,tier=1]:1|c", "req,region=eu,tier=1 c:1"},
        Case{"dup:1|c|#k:a,k:b", "dup,k=b c:1"},
        Case{"weird-name/x.y:1|c", "weird-name/x.y c:1"},
        Case{"crlf:1|c\r", "crlf c:1"}));

// statsd_exporter's pkg/line/line_test.go (TestLineToEvents), the cases of its dialects.
INSTANTIATE_TEST_SUITE_P(
    StatsdExporterTable, ParserTest,
    ::testing::Values(
        Case{"foo.[tag1=bar,tag2=baz]test:100|c", "foo.test,tag1=bar,tag2=baz c:100"},
        Case{"foo.test[tag1=bar,tag2=baz]:100|c", "foo.test,tag1=bar,tag2=baz c:100"},
        Case{"[tag1=bar,tag2=baz]foo.test:100|c", "foo.test,tag1=bar,tag2=baz c:100"},
        Case{"foo.[]test:100|c", "foo.test c:100"},
        Case{"foo.[tag1,tag2]test:100|c", "foo.test c:100 tag_errors=2"},
        Case{"[tag1=bar,tag2=bazfoo.test:100|c", "[tag1=bar,tag2=bazfoo.test c:100 tag_errors=1"},
        Case{"tag1=bar,tag2=baz]foo.test:100|c", "tag1=bar,tag2=baz]foo.test c:100 tag_errors=1"},
        Case{"foo:100|c|#tag1:bar,#tag2:baz", "foo,tag1=bar,tag2=baz c:100"},
        Case{"foo:100|c|@0.1|#tag1:bar,#tag2:baz", "foo,tag1=bar,tag2=baz c:1000"},
        Case{"foo:0.01|d|@0.2|#tag1:bar,#tag2:baz", "foo,tag1=bar,tag2=baz d:0.01x5"},
        Case{"foo:0.01|h|@0.2|#tag1:bar,#tag2:baz", "foo,tag1=bar,tag2=baz h:0.01x5"},
        Case{"foo#tag1=foo,tag3=bing:100|c|#tag1:bar,#tag2:baz", "foo,tag1=foo,tag3=bing !mixed_tagging_styles"},
        Case{"foo[tag1=foo,tag3=bing]:100|c|#tag1:bar,#tag2:baz", "foo,tag1=foo,tag3=bing !mixed_tagging_styles"},
        Case{"foo,tag1=foo,tag3=bing:100|c|#tag1:bar,#tag2:baz", "foo,tag1=foo,tag3=bing !mixed_tagging_styles"},
        Case{"foo#tag1=foo,tag3=bing:100|c|@0.1|#tag1:bar,#tag2:baz", "foo,tag1=foo,tag3=bing !mixed_tagging_styles"},
        Case{"foo.timing:0.5|ms|@0.1", "foo.timing ms:0.0005x10"},
        Case{"foo:1|c|@bar", "foo c:1 !invalid_sample_factor"},
        Case{"foo:2|c|@0", "foo c:2"},
        Case{"foo:100|c|#tag1:value|c:container123", "foo,tag1=value,container_id=container123 c:100"},
        Case{"foo:100|c|#tag1:bar,tag2:baz|c:container456", "foo,tag1=bar,tag2=baz,container_id=container456 c:100"},
        Case{"foo:1000|ms|#tag1:value|c:timer_container", "foo,tag1=value,container_id=timer_container ms:1"},
        Case{"foo:100|c|#tag1:value|c", "foo,tag1=value !malformed_container_id"},
        Case{"foo:100|c|#tag1:value|c:", "foo,tag1=value !malformed_container_id"},
        Case{"foo:100|c|#tag1:value|c:sha256:abcd1234efgh5678", "foo,tag1=value,container_id=sha256:abcd1234efgh5678 c:100"},
        Case{"foo:200|h|@0.5|#env:prod|c:container_hist", "foo,env=prod,container_id=container_hist h:200x2"},
        // Six components pass statsd_exporter's count; "extra:component" is then no known field.
        Case{"foo:100|c|@0.1|#tag1:value|c:container|extra:component", "foo,tag1=value,container_id=container !invalid_sample_factor"},
        Case{"page.views:15|c|#env:dev|T1656581400", "page.views,env=dev c:15"},
        Case{"foo:42|c|T1656581400", "foo c:42"},
        Case{"foo:100|c|#tag:val|Tnot-a-ts", "foo,tag=val c:100"},
        Case{"foo:100|c|#tag:val|T", "foo,tag=val c:100"},
        Case{"requests:100|c|@0.1|#service:web|c:abc123|T1656581400", "requests,service=web,container_id=abc123 c:1000"},
        Case{"foo_counter:0.5:120:3000:10:20000:0.01|c|#tag1:bar,tag2:baz", "foo_counter !invalid_extended_aggregate_type"},
        // Rates as statsd_exporter takes them: outside (0, 1] a counter is divided anyway (a
        // negative one is refused after mapping), an observer is observed int(1/rate) <= 0 times.
        Case{"x:1|c|@2", "x c:0.5"},
        Case{"x:1|c|@-0.5", "x c:-2"},
        Case{"x:-1|c", "x c:-1"},
        Case{"x:1|ms|@2", "x"},
        Case{"x:1|ms|@-1", "x"},
        Case{"x:1|g|@bar", "x g:1 !invalid_sample_factor"},
        Case{"x:1|ms|@bar|#k:v", "x,k=v ms:0.001 !invalid_sample_factor"},
        // One '#' per tag goes, as trimLeftHash takes one.
        Case{"x:1|c|##a:1,##b:2", "x,a=1,#b=2 c:1"},
        Case{"x:1|c|#a:1,#", "x,a=1 c:1 tag_errors=1"}));

INSTANTIATE_TEST_SUITE_P(
    MustNotParse, ParserTest,
    ::testing::Values(
        Case{"nocolon", " !malformed_line"},
        Case{":1|c", " !malformed_line"},
        Case{"bad\xff:1|c", " !malformed_line"},
        // What the old validator let through: an overlong '/', a surrogate, U+110000.
        Case{"x:1|c|#k:\xc0\xaf", " !malformed_line"},
        Case{"x:1|c|#k:\xed\xa0\x80", " !malformed_line"},
        Case{"x,k=\xf4\x90\x80\x80:1|c", " !malformed_line"},
        Case{"x:1", "x !not_enough_parts_after_colon"},
        Case{"x:1|c|@0.5|#a:b|c:d|T1|x|y|z", "x !malformed_component"},
        Case{"x:abc|c", "x !malformed_value"},
        Case{"x:|c", "x !malformed_value"},
        Case{"x:1|c||", "x !malformed_component"},
        Case{"x:1|c|z", "x !invalid_sample_factor"},
        Case{"x:1|s", "x !illegal_event"},
        Case{"x:1|q", "x !illegal_event"},
        Case{"x:1:2|c", "x !invalid_extended_aggregate_type"},
        Case{"x,a=b:1|c|#c:d", "x,a=b !mixed_tagging_styles"},
        // A bad sample costs only itself.
        Case{"x:1|c:oops|c:3|g", "x c:1 g:3 !malformed_value"},
        // Bad tags are dropped and counted; the sample stays.
        Case{"x:1|c|#novalue,:v,k:,good:1", "x,good=1 c:1 tag_errors=3"},
        Case{"x,=v:1|c", "x c:1 tag_errors=1"},
        Case{"x[a=b:1|c", "x[a=b c:1 tag_errors=1"}));

TEST(ParserTest, RecognisesEventsAndServiceChecks) {
  ParsedLine out;
  ParseLine("_e{5,4}:title|text|#k:v", ParseOptions{}, out);
  EXPECT_EQ(out.kind, LineKind::kEvent);
  EXPECT_TRUE(out.errors.empty());
  ParseLine("_sc|db.up|0|#env:prod", ParseOptions{}, out);
  EXPECT_EQ(out.kind, LineKind::kServiceCheck);
  EXPECT_TRUE(out.samples.empty());
}

TEST(ParserTest, TagStylesCanBeSwitchedOff) {
  ParseOptions none{false, false, false, false};
  ParsedLine out;
  ParseLine("req,region=eu:1|c", none, out);
  EXPECT_EQ(Describe(out), "req,region=eu c:1");  // the comma stays part of the name
  EXPECT_TRUE(out.tags.empty());
  ParseLine("req:1|c|#k:v", none, out);
  EXPECT_EQ(Describe(out), "req c:1");
}

TEST(ParserTest, RefusedLinesHaveNoSamples) {
  ParsedLine out;
  for (const char* line : {"nocolon", "x:1", "x,a=b:1|c|#c:d", "x:1:2|c", "bad\xff:1|c"}) {
    ParseLine(line, ParseOptions{}, out);
    EXPECT_EQ(out.samples_seen, 0) << line;
    EXPECT_EQ(out.errors.size(), 1u) << line;
  }
}

TEST(ParserTest, JoinedSignalFxNamesSurviveTheNextLine) {
  ParsedLine out;
  ParseLine("game.[zone=eu]battle.duration:250|ms", ParseOptions{}, out);
  EXPECT_EQ(out.name, "game.battle.duration");
  ParseLine("a.[k=v]b:1|c", ParseOptions{}, out);  // reuses the buffer
  EXPECT_EQ(Describe(out), "a.b,k=v c:1");
  ParseLine("plain:1|c", ParseOptions{}, out);
  EXPECT_EQ(out.name, "plain");
}

TEST(ParserTest, CountsSamplesSeen) {
  ParsedLine out;
  ParseLine("x:1|c:bad|c:2|c", ParseOptions{}, out);
  EXPECT_EQ(out.samples_seen, 3);
  EXPECT_EQ(out.samples.size(), 2u);
  EXPECT_EQ(out.errors.size(), 1u);
}

// ParseValue reads plain decimals itself (Clinger's fast path) and hands everything else to
// from_chars: both must give the very same double, bit for bit, and agree on what is refused.
TEST(ParseValueTest, AgreesWithFromCharsBitForBit) {
  auto expect_same = [](const std::string& text) {
    double ours = 0, theirs = 0;
    bool ours_ok = ParseValue(text, ours);
    std::string_view unsigned_text = text;
    if (!unsigned_text.empty() && unsigned_text.front() == '+') unsigned_text.remove_prefix(1);
    auto [end, ec] = std::from_chars(unsigned_text.data(), unsigned_text.data() + unsigned_text.size(), theirs);
    bool theirs_ok = !unsigned_text.empty() && ec == std::errc() && end == unsigned_text.data() + unsigned_text.size();
    ASSERT_EQ(ours_ok, theirs_ok) << text;
    if (!ours_ok) return;
    std::uint64_t a, b;
    std::memcpy(&a, &ours, sizeof a);
    std::memcpy(&b, &theirs, sizeof b);
    EXPECT_EQ(a, b) << text;
  };
  for (const char* text : {"0", "-0", "+0", "1", "-1", "+1.5", "0.1", "0.3", "123.5", "999999999999999",
                           "9999999999999999", "99999999.99999999", "0.000000000000001", "1.", ".5", "-.5",
                           "1.2.3", "1e3", "1E-3", "inf", "-Inf", "NaN", "nan", "0x10", "", "-", "+", ".",
                           "--1", "+-1", "1 ", " 1", "12a", "00012.50", "9007199254740993",
                           "1234567890123456789012345"}) {
    expect_same(text);
  }
  std::mt19937_64 random(7);
  for (int i = 0; i < 200000; ++i) {
    std::string digits = std::to_string(random() % 10000000000000000ULL);
    digits = digits.substr(0, 1 + random() % digits.size());
    std::size_t point = random() % (digits.size() + 1);
    std::string text = (random() % 4 == 0 ? "-" : "") + digits.substr(0, point);
    if (point < digits.size()) text += "." + digits.substr(point);
    expect_same(text);
  }
}

}  // namespace
}  // namespace metricsd::statsd
