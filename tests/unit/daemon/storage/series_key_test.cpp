#include "daemon/storage/series_key.h"

#include <gtest/gtest.h>

#include <string>

namespace metricsd::storage {
namespace {

using namespace std::string_literals;

TEST(SeriesKeyBuilder, SortsLabelsAndWritesTheFormat) {
  SeriesKeyBuilder builder;
  builder.Reset("http_requests_total");
  builder.Add("method", "GET");
  builder.Add("code", "200");
  builder.Add("job", "api");
  auto key = builder.Finish();
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "http_requests_total\xff" "code\xfe" "200\xff" "job\xfe" "api\xff" "method\xfe" "GET"s);
}

TEST(SeriesKeyBuilder, SkipsEmptyValues) {
  SeriesKeyBuilder builder;
  builder.Reset("up");
  builder.Add("job", "");
  builder.Add("instance", "a");
  EXPECT_EQ(*builder.Finish(), "up\xffinstance\xfe" "a"s);
}

TEST(SeriesKeyBuilder, NoLabelsIsTheName) {
  SeriesKeyBuilder builder;
  builder.Reset("up");
  EXPECT_EQ(*builder.Finish(), "up");
}

TEST(SeriesKeyBuilder, RejectsSeparatorBytesDuplicatesAndName) {
  SeriesKeyBuilder builder;
  builder.Reset("up");
  builder.Add("a", "x\xfey");
  EXPECT_FALSE(builder.Finish());
  builder.Reset("up");
  builder.Add("a\xff", "x");
  EXPECT_FALSE(builder.Finish());
  builder.Reset("u\xffp");
  EXPECT_FALSE(builder.Finish());
  builder.Reset("up");
  builder.Add("a", "1");
  builder.Add("b", "2");
  builder.Add("a", "3");
  EXPECT_FALSE(builder.Finish());
  builder.Reset("up");
  builder.Add("__name__", "other");
  EXPECT_FALSE(builder.Finish());
  // The builder recovers on Reset().
  builder.Reset("up");
  builder.Add("a", "1");
  EXPECT_EQ(*builder.Finish(), "up\xff" "a\xfe" "1"s);
}

TEST(SeriesKeyBuilder, ReusesItsBuffersAcrossKeys) {
  SeriesKeyBuilder builder;
  builder.Reset("metric_with_a_long_name_total");
  for (int i = 0; i < 6; ++i) builder.Add("label_" + std::to_string(5 - i), "value number " + std::to_string(i));
  std::string first(*builder.Finish());
  const char* buffer = builder.Finish()->data();
  builder.Reset("metric_with_a_long_name_total");
  for (int i = 0; i < 6; ++i) builder.Add("label_" + std::to_string(i), "value number " + std::to_string(5 - i));
  auto second = builder.Finish();
  EXPECT_EQ(second->data(), buffer);  // same buffer: no reallocation for a key of the same size
  EXPECT_EQ(*second, first);
}

TEST(KeyOf, TakesNameFromLabels) {
  SeriesLabels labels = {{"__name__", "up"}, {"instance", "h:9100"}, {"job", "node"}};
  auto key = KeyOf(labels);
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "up\xffinstance\xfeh:9100\xffjob\xfenode"s);
  EXPECT_EQ(LabelsOfKey(*key), labels);
  EXPECT_FALSE(KeyOf({{"__name__", "a"}, {"__name__", "b"}}));
  EXPECT_FALSE(KeyOf({{"__name__", "a"}, {"x", "\xff"}}));
}

TEST(KeyParsing, NameLabelsAndValues) {
  std::string key = "up\xffinstance\xfeh:9100\xffjob\xfenode";
  EXPECT_EQ(KeyName(key), "up");
  EXPECT_EQ(KeyLabelValue(key, "__name__"), "up");
  EXPECT_EQ(KeyLabelValue(key, "job"), "node");
  EXPECT_EQ(KeyLabelValue(key, "instance"), "h:9100");
  EXPECT_EQ(KeyLabelValue(key, "missing"), "");
  std::vector<std::string> seen;
  ForEachKeyLabel(key, [&](std::string_view n, std::string_view v) { seen.push_back(std::string(n) + "=" + std::string(v)); });
  EXPECT_EQ(seen, (std::vector<std::string>{"__name__=up", "instance=h:9100", "job=node"}));
}

TEST(KeyParsing, MalformedKeysDoNotCrash) {
  EXPECT_EQ(KeyName(""), "");
  EXPECT_TRUE(LabelsOfKey("").empty());
  EXPECT_EQ(LabelsOfKey("\xff"s), (SeriesLabels{{"", ""}}));
  EXPECT_EQ(LabelsOfKey("m\xff" "a\xff" "b\xfe" "c"s), (SeriesLabels{{"__name__", "m"}, {"a", ""}, {"b", "c"}}));
  EXPECT_EQ(KeyLabelValue("m\xff" "a\xfe" "b\xfe" "c"s, "a"), "b\xfe" "c"s);
}

TEST(IsValidUtf8, Validates) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xfe"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
}

}  // namespace
}  // namespace metricsd::storage
