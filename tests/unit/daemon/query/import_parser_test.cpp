#include "daemon/query/import_parser.h"

#include <cmath>

#include <gtest/gtest.h>

#include "daemon/storage/series_key.h"

namespace metricsd::query {
namespace {

using storage::IsStaleMarker;

TEST(ImportParserTest, LinesBecomeSeriesMergedAndSorted) {
  ImportParseResult result = ParseImport(
      R"({"metric":{"__name__":"up","job":"node","instance":"a"},"values":[1,0],"timestamps":[2000,1000]})"
      "\n\r\n"
      R"({"metric":{"instance":"a","__name__":"up","job":"node"},"values":[1],"timestamps":[3000]})"
      "\r\n"
      R"(  {"timestamps":[5],"values":[2.5e3],"metric":{"__name__":"x","empty":""},"extra":{"a":[1,null,true]}})");
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.series.size(), 2u);
  EXPECT_EQ(result.samples, 4u);
  const storage::SeriesSamples& up = result.series[0];
  EXPECT_EQ(storage::KeyName(up.key), "up");
  EXPECT_EQ(storage::KeyLabelValue(up.key, "instance"), "a");
  ASSERT_EQ(up.samples.size(), 3u);
  EXPECT_EQ(up.samples[0].t, 1000);
  EXPECT_EQ(up.samples[0].v, 0);
  EXPECT_EQ(up.samples[2].t, 3000);
  const storage::SeriesSamples& x = result.series[1];
  EXPECT_EQ(x.key, "x");  // the empty label is no label
  EXPECT_EQ(x.samples.at(0).v, 2500);
}

TEST(ImportParserTest, SpecialValuesAsVictoriaMetricsReadsThem) {
  ImportParseResult result = ParseImport(
      R"({"metric":{"__name__":"s"},"values":[NaN,+Inf,-Inf,inf,1e400,-1e400,1e-400,-0],"timestamps":[1,2,3,4,5,6,7,8]})");
  ASSERT_EQ(result.error, "");
  const auto& samples = result.series.at(0).samples;
  ASSERT_EQ(samples.size(), 8u);
  EXPECT_TRUE(IsStaleMarker(samples[0].v));
  EXPECT_EQ(samples[1].v, INFINITY);
  EXPECT_EQ(samples[2].v, -INFINITY);
  EXPECT_EQ(samples[3].v, INFINITY);
  EXPECT_EQ(samples[4].v, INFINITY);
  EXPECT_EQ(samples[5].v, -INFINITY);
  EXPECT_EQ(samples[6].v, 0);
  EXPECT_TRUE(std::signbit(samples[7].v));
}

TEST(ImportParserTest, DuplicateTimestampsKeepTheLastWritten) {
  ImportParseResult result = ParseImport(
      R"({"metric":{"__name__":"d"},"values":[1,2],"timestamps":[10,10]})"
      "\n"
      R"({"metric":{"__name__":"d"},"values":[3],"timestamps":[10]})");
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.series.at(0).samples.size(), 1u);
  EXPECT_EQ(result.series[0].samples[0].v, 3);
}

TEST(ImportParserTest, StringsAreUnescaped) {
  ImportParseResult result = ParseImport(
      R"({"metric":{"__name__":"e","path":"a\"b\\c\u00e9\ud83d\ude00\n"},"values":[1],"timestamps":[1]})");
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(storage::KeyLabelValue(result.series.at(0).key, "path"),
            "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80\n");
}

struct BadLine {
  std::string line;
  std::string error;  // a substring of the message after "line 2: "
};

class ImportParserBadLineTest : public ::testing::TestWithParam<BadLine> {};

// Every bad line rejects the whole request and is named by its number (here the second).
TEST_P(ImportParserBadLineTest, RejectedWithItsLineNumber) {
  ImportParseResult result = ParseImport(
      R"({"metric":{"__name__":"ok"},"values":[1],"timestamps":[1]})"
      "\n" +
      GetParam().line + "\n" +
      R"({"metric":{"__name__":"ok2"},"values":[1],"timestamps":[1]})");
  EXPECT_TRUE(result.series.empty());
  EXPECT_EQ(result.samples, 0u);
  EXPECT_TRUE(result.error.starts_with("line 2: ")) << result.error;
  EXPECT_NE(result.error.find(GetParam().error), std::string::npos) << result.error;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ImportParserBadLineTest,
    ::testing::Values(
        BadLine{"not json", "expected '{'"},
        BadLine{R"({"values":[1],"timestamps":[1]})", "missing `metric` object"},
        BadLine{R"({"metric":{"job":"x"},"values":[1],"timestamps":[1]})", "no \"__name__\""},
        BadLine{R"({"metric":{"__name__":"1x"},"values":[1],"timestamps":[1]})",
                "invalid metric name"},
        BadLine{R"({"metric":{"__name__":"x","a-b":"1"},"values":[1],"timestamps":[1]})",
                "invalid label name"},
        BadLine{R"({"metric":{"__name__":"x","a":"1","a":"2"},"values":[1],"timestamps":[1]})",
                "repeats"},
        BadLine{R"({"metric":{"__name__":"x","a":1},"values":[1],"timestamps":[1]})",
                "not a string"},
        BadLine{"{\"metric\":{\"__name__\":\"x\",\"a\":\"\xff\"},\"values\":[1],\"timestamps\":[1]}",
                "not valid UTF-8"},
        BadLine{R"({"metric":{"__name__":"x"},"timestamps":[1]})", "missing `values` array"},
        BadLine{R"({"metric":{"__name__":"x"},"values":[],"timestamps":[]})",
                "missing `values` array"},
        BadLine{R"({"metric":{"__name__":"x"},"values":[1]})", "missing `timestamps` array"},
        BadLine{R"({"metric":{"__name__":"x"},"values":[1,2],"timestamps":[1]})",
                "must match `values` array size; got 1; want 2"},
        BadLine{R"({"metric":{"__name__":"x"},"values":["1"],"timestamps":[1]})",
                "expected a number"},
        BadLine{R"({"metric":{"__name__":"x"},"values":[null],"timestamps":[1]})",
                "invalid number \"n"},
        BadLine{R"({"metric":{"__name__":"x"},"values":[01],"timestamps":[1]})",
                "invalid number"},
        BadLine{R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[1.5]})",
                "invalid timestamp \"1.5\""},
        BadLine{R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[99999999999999999999]})",
                "invalid timestamp"},
        BadLine{R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[1]} x)",
                "trailing data"},
        BadLine{R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[1])", "expected '}'"},
        BadLine{R"({"metric":{"__name__":"x\u0"},"values":[1],"timestamps":[1]})",
                "escape"}));

TEST(ImportParserTest, EmptyBodyIsNothing) {
  ImportParseResult result = ParseImport("\n\n");
  EXPECT_EQ(result.error, "");
  EXPECT_TRUE(result.series.empty());
}

}  // namespace
}  // namespace metricsd::query
