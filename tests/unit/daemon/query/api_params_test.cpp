#include "daemon/query/api_params.h"

#include <gtest/gtest.h>

namespace metricsd::query {
namespace {

// Prometheus's TestParseTime cases (web/api/v1/api_test.go), in milliseconds.
TEST(ParseApiTimeTest, PrometheusCases) {
  EXPECT_FALSE(ParseApiTime(""));
  EXPECT_FALSE(ParseApiTime("abc"));
  EXPECT_FALSE(ParseApiTime("30s"));
  EXPECT_EQ(ParseApiTime("123"), 123000);
  EXPECT_EQ(ParseApiTime("123.123"), 123123);
  EXPECT_EQ(ParseApiTime("2015-06-03T13:21:58.555Z"), 1433337718555);
  EXPECT_EQ(ParseApiTime("2015-06-03T14:21:58.555+01:00"), 1433337718555);
  // Float rounding: 1543578564.705 is 1543578564.7049999 as a double.
  EXPECT_EQ(ParseApiTime("1543578564.705"), 1543578564705);
  EXPECT_EQ(ParseApiTime("-292273086-05-16T16:47:06Z"), kMinApiTime);
  EXPECT_EQ(ParseApiTime("292277025-08-18T07:12:54.999999999Z"), kMaxApiTime);
}

TEST(ParseApiTimeTest, FloatsAndRfc3339Details) {
  EXPECT_EQ(ParseApiTime("1.7e9"), 1700000000000);
  EXPECT_EQ(ParseApiTime("-1.5"), -1500);
  EXPECT_EQ(ParseApiTime("0"), 0);
  EXPECT_EQ(ParseApiTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseApiTime("2000-02-29T00:00:00Z"), 951782400000);
  EXPECT_EQ(ParseApiTime("2023-11-14T22:13:20.1239Z"), 1700000000123);  // truncated
  EXPECT_EQ(ParseApiTime("2023-11-14T17:13:20-05:00"), 1700000000000);
  EXPECT_FALSE(ParseApiTime("2023-02-29T00:00:00Z"));  // not a leap year
  EXPECT_FALSE(ParseApiTime("2023-11-14 22:13:20Z"));
  EXPECT_FALSE(ParseApiTime("2023-11-14T22:13:20"));   // a zone is required
  EXPECT_FALSE(ParseApiTime("2023-11-14T22:13:20.Z"));
  EXPECT_FALSE(ParseApiTime("NaN"));
  EXPECT_FALSE(ParseApiTime("Inf"));
  EXPECT_FALSE(ParseApiTime("1e300"));
  EXPECT_FALSE(ParseApiTime("12 "));
}

TEST(PercentDecodeTest, AsGoQueryUnescape) {
  EXPECT_EQ(PercentDecode("a%20b+c"), "a b c");
  EXPECT_EQ(PercentDecode("%7B__name__%3D~%22up%22%7D"), "{__name__=~\"up\"}");
  EXPECT_FALSE(PercentDecode("%zz"));
  EXPECT_FALSE(PercentDecode("abc%2"));
  EXPECT_FALSE(PercentDecode("%"));
}

TEST(FormValuesTest, RepeatedNamesInOrder) {
  FormValues form;
  std::string error;
  ASSERT_TRUE(form.AddEncoded("match%5B%5D=up&start=1&match[]=node_load1&&flag", &error));
  EXPECT_EQ(form.All("match[]"), (std::vector<std::string>{"up", "node_load1"}));
  EXPECT_EQ(form.First("start"), "1");
  EXPECT_EQ(form.First("flag"), "");
  EXPECT_FALSE(form.First("end"));
  EXPECT_FALSE(form.AddEncoded("a=1;b=2", &error));
  EXPECT_FALSE(form.AddEncoded("a=%g1", &error));
  EXPECT_NE(error.find("invalid URL escape"), std::string::npos);
}

HttpRequest Post(std::string target, std::string body, std::string type) {
  HttpRequest request{http::verb::post, target, 11};
  request.set(http::field::content_type, type);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

TEST(ParseRequestFormTest, QueryStringAndFormBody) {
  FormValues form;
  std::string error;
  ASSERT_TRUE(ParseRequestForm(Post("/api/v1/series?match[]=a&start=5", "match%5B%5D=b&end=9",
                                    "application/x-www-form-urlencoded; charset=utf-8"),
                               &form, &error))
      << error;
  // Go's r.Form order: the body's values, then the query string's.
  EXPECT_EQ(form.All("match[]"), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(form.First("start"), "5");
  EXPECT_EQ(form.First("end"), "9");
}

TEST(ParseRequestFormTest, OtherBodiesAreNotForms) {
  FormValues form;
  std::string error;
  ASSERT_TRUE(ParseRequestForm(Post("/x?a=1", "match[]=b", "application/json"), &form, &error));
  EXPECT_TRUE(form.All("match[]").empty());
  HttpRequest get{http::verb::get, "/x?match[]=a", 11};
  get.set(http::field::content_type, "application/x-www-form-urlencoded");
  get.body() = "match[]=b";
  FormValues get_form;
  ASSERT_TRUE(ParseRequestForm(get, &get_form, &error));
  EXPECT_EQ(get_form.All("match[]"), std::vector<std::string>{"a"});
}

TEST(ParseTimeRangeTest, DefaultsAndErrors) {
  FormValues form;
  std::string error;
  TimeRange range;
  ASSERT_TRUE(ParseTimeRange(form, &range, &error));
  EXPECT_EQ(range.start, kMinApiTime);
  EXPECT_EQ(range.end, kMaxApiTime);
  ASSERT_TRUE(form.AddEncoded("start=10&end=", &error));
  ASSERT_TRUE(ParseTimeRange(form, &range, &error));
  EXPECT_EQ(range.start, 10000);
  EXPECT_EQ(range.end, kMaxApiTime);
  FormValues bad;
  ASSERT_TRUE(bad.AddEncoded("end=yesterday", &error));
  EXPECT_FALSE(ParseTimeRange(bad, &range, &error));
  // Prometheus 2.42's parseTimeParam wrapped by invalidParamError.
  EXPECT_EQ(error, "invalid parameter \"end\": Invalid time value for 'end': cannot parse "
                   "\"yesterday\" to a valid timestamp");
}

TEST(FormValuesTest, GoodPairsSurviveABadOneAsInGoParseQuery) {
  FormValues form;
  std::string error;
  EXPECT_FALSE(form.AddEncoded("time=1;a=b&query=up&x=%zz&step=5", &error));
  EXPECT_EQ(error, "invalid semicolon separator in query");  // the first error
  EXPECT_FALSE(form.First("time"));
  EXPECT_EQ(form.First("query"), "up");
  EXPECT_EQ(form.First("step"), "5");
}

TEST(ParseApiDurationTest, FloatSecondsOrDurationsAsPrometheusParseDuration) {
  std::string error;
  EXPECT_EQ(ParseApiDuration("15", &error), 15'000'000'000);
  EXPECT_EQ(ParseApiDuration("0.5", &error), 500'000'000);
  EXPECT_EQ(ParseApiDuration("-1", &error), -1'000'000'000);
  EXPECT_EQ(ParseApiDuration("1m30s", &error), 90'000'000'000);
  EXPECT_EQ(ParseApiDuration("100ms", &error), 100'000'000);
  EXPECT_FALSE(ParseApiDuration("", &error));
  EXPECT_EQ(error, "cannot parse \"\" to a valid duration");
  EXPECT_FALSE(ParseApiDuration("-5s", &error));
  EXPECT_EQ(error, "cannot parse \"-5s\" to a valid duration");
  EXPECT_FALSE(ParseApiDuration("1e10", &error));
  EXPECT_EQ(error, "cannot parse \"1e10\" to a valid duration. It overflows int64");
}

}  // namespace
}  // namespace metricsd::query
