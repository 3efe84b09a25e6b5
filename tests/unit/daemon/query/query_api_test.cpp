// The query API's handlers over a QueryService reading series held in memory. Expected bodies
// are Prometheus 2.42's: its api.go and api_test.go, and the real binary's answers to the same
// requests (Debian's prometheus 2.42.0, asked with curl).
#include "daemon/query/query_api.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include <gtest/gtest.h>

#include "daemon/query/metadata.h"
#include "daemon/query/series_api.h"
#include "daemon/query/promql/memory_queryable.h"
#include "daemon/query/query_json.h"

namespace metricsd::query {
namespace {

using promql::Point;

HttpRequest Get(std::string target) { return HttpRequest{http::verb::get, target, 11}; }

HttpRequest PostForm(std::string target, std::string body) {
  HttpRequest request{http::verb::post, target, 11};
  request.set(http::field::content_type, "application/x-www-form-urlencoded");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

class QueryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto memory = std::make_shared<promql::MemoryQueryable>();
    // Samples every 15 s over [0, 300 s]; `tiny` and `special` exercise value formatting.
    std::vector<Point> counter;
    for (int i = 0; i <= 20; ++i) counter.push_back({i * 15'000, i * 1.5});
    memory->Add({{"__name__", "requests_total"}, {"job", "api"}}, counter);
    memory->Add({{"__name__", "requests_total"}, {"job", "db"}}, counter);
    memory->Add({{"__name__", "value"}, {"kind", "tiny"}}, {{0, 1e-7}});
    memory->Add({{"__name__", "value"}, {"kind", "huge"}}, {{0, 1e21}});
    memory->Add({{"__name__", "value"}, {"kind", "nan"}}, {{0, std::nan("")}});
    memory->Add({{"__name__", "value"}, {"kind", "neg_inf"}},
                {{0, -std::numeric_limits<double>::infinity()}});
    memory->Add({{"__name__", "value"}, {"kind", "tag<&>"}}, {{0, 0.1}});
    queryable_ = memory;
    options_.service = std::make_shared<QueryService>(
        [this]() -> std::shared_ptr<promql::Queryable> { return queryable_; },
        promql::EngineOptions{});
    options_.now = [] { return promql::Timestamp{300'000}; };
  }

  HttpResponse Query(const std::string& params) {
    return HandleQuery(Get("/api/v1/query?" + params), options_);
  }
  HttpResponse Range(const std::string& params) {
    return HandleQueryRange(Get("/api/v1/query_range?" + params), options_);
  }

  std::shared_ptr<promql::Queryable> queryable_;
  QueryApiOptions options_;
};

void ExpectBody(const HttpResponse& response, http::status status, const std::string& body) {
  EXPECT_EQ(response.result(), status) << response.body();
  EXPECT_EQ(response.body(), body);
  EXPECT_EQ(response[http::field::content_type], "application/json");
}

void ExpectError(const HttpResponse& response, http::status status, const std::string& type,
                 const std::string& message) {
  ExpectBody(response, status,
             R"({"status":"error","errorType":")" + type + R"(","error":")" + message + R"("})");
}

TEST(QueryJsonTest, TimestampsAsMarshalTimestamp) {
  auto text = [](promql::Timestamp t) {
    std::string out;
    AppendJsonTimestamp(out, t);
    return out;
  };
  EXPECT_EQ(text(1700000000123), "1700000000.123");
  EXPECT_EQ(text(1700000000000), "1700000000");
  // Always three decimals when there is a fraction (Prometheus answers "value":[1.500,"1"]).
  EXPECT_EQ(text(1500), "1.500");
  EXPECT_EQ(text(1005), "1.005");
  EXPECT_EQ(text(1050), "1.050");
  EXPECT_EQ(text(-1), "-0.001");
  EXPECT_EQ(text(0), "0");
}

TEST(QueryJsonTest, SampleValuesAsMarshalValue) {
  auto text = [](double v) {
    std::string out;
    AppendJsonSampleValue(out, v);
    return out;
  };
  // util/jsonutil: 'e' below 1e-6 and from 1e21, shortest digits, Go's exponent spelling.
  EXPECT_EQ(text(1.5), R"("1.5")");
  EXPECT_EQ(text(0), R"("0")");
  EXPECT_EQ(text(-0.25), R"("-0.25")");
  EXPECT_EQ(text(1e-7), R"("1e-07")");
  EXPECT_EQ(text(1e-6), R"("0.000001")");
  EXPECT_EQ(text(1e21), R"("1e+21")");
  EXPECT_EQ(text(1.5e300), R"("1.5e+300")");
  EXPECT_EQ(text(123456789012345680000.0), R"("123456789012345680000")");
  EXPECT_EQ(text(0.1 + 0.2), R"("0.30000000000000004")");
  EXPECT_EQ(text(std::nan("")), R"("NaN")");
  EXPECT_EQ(text(std::numeric_limits<double>::infinity()), R"("+Inf")");
  EXPECT_EQ(text(-std::numeric_limits<double>::infinity()), R"("-Inf")");
  // A scalar's value is strconv.FormatFloat(v, 'f', -1, 64): never an exponent.
  EXPECT_EQ(FormatGoFloat(1e21), "1000000000000000000000");
  EXPECT_EQ(FormatGoFloat(1e-7), "0.0000001");
  EXPECT_EQ(FormatGoFloat(-1.5), "-1.5");
  EXPECT_EQ(FormatGoFloat(0), "0");
  EXPECT_EQ(FormatGoFloat(-0.0), "-0");
  EXPECT_EQ(FormatGoFloat(123.456), "123.456");
  EXPECT_EQ(FormatGoFloat(1.7976931348623157e308).size(), 309u);
}

TEST_F(QueryApiTest, ScalarResult) {
  ExpectBody(Query("query=1.5&time=1700000000.123"), http::status::ok,
             R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.123,"1.5"]}})");
  ExpectBody(Query("query=1e21&time=-1.5"), http::status::ok,
             R"({"status":"success","data":{"resultType":"scalar","result":[-1.5,"1000000000000000000000"]}})");
}

TEST_F(QueryApiTest, StringResultIsHtmlEscaped) {
  ExpectBody(Query("query=%22a%3Cb%22&time=1.5"), http::status::ok,
             R"({"status":"success","data":{"resultType":"string","result":[1.5,"a\u003cb"]}})");
}

TEST_F(QueryApiTest, VectorResultFormatsEveryValue) {
  // At 60 s the lookback (5m) finds each `value` series' sample at 0; sorted by labels.
  ExpectBody(Query("query=value&time=60"), http::status::ok,
             R"({"status":"success","data":{"resultType":"vector","result":[)"
             R"({"metric":{"__name__":"value","kind":"huge"},"value":[60,"1e+21"]},)"
             R"({"metric":{"__name__":"value","kind":"nan"},"value":[60,"NaN"]},)"
             R"({"metric":{"__name__":"value","kind":"neg_inf"},"value":[60,"-Inf"]},)"
             R"({"metric":{"__name__":"value","kind":"tag\u003c\u0026\u003e"},"value":[60,"0.1"]},)"
             R"({"metric":{"__name__":"value","kind":"tiny"},"value":[60,"1e-07"]}]}})");
}

TEST_F(QueryApiTest, EmptyVectorIsAnEmptyList) {
  ExpectBody(Query("query=requests_total%7Bjob%3D%22none%22%7D&time=1"), http::status::ok,
             R"({"status":"success","data":{"resultType":"vector","result":[]}})");
}

TEST_F(QueryApiTest, TimeDefaultsToNow) {
  // now is 300 s: the counter's last sample (20 * 1.5).
  ExpectBody(Query("query=requests_total%7Bjob%3D%22api%22%7D"), http::status::ok,
             R"({"status":"success","data":{"resultType":"vector","result":[)"
             R"({"metric":{"__name__":"requests_total","job":"api"},"value":[300,"30"]}]}})");
}

TEST_F(QueryApiTest, RangeResultIsAMatrix) {
  ExpectBody(Range("query=time()&start=1&end=3&step=1"), http::status::ok,
             R"({"status":"success","data":{"resultType":"matrix","result":[)"
             R"({"metric":{},"values":[[1,"1"],[2,"2"],[3,"3"]]}]}})");
  // Step as a duration; the counter's value at each step (samples every 15 s, 1.5 apart).
  ExpectBody(Range("query=requests_total%7Bjob%3D%22db%22%7D&start=0&end=60&step=30s"),
             http::status::ok,
             R"({"status":"success","data":{"resultType":"matrix","result":[)"
             R"({"metric":{"__name__":"requests_total","job":"db"},)"
             R"("values":[[0,"0"],[30,"3"],[60,"6"]]}]}})");
  ExpectBody(Range("query=requests_total%7Bjob%3D%22none%22%7D&start=1&end=3&step=1"),
             http::status::ok,
             R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
}

TEST_F(QueryApiTest, PostedFormBodyWinsOverTheQueryString) {
  // Go's r.FormValue reads the body's values first.
  ExpectBody(HandleQuery(PostForm("/api/v1/query?query=1&time=1", "time=5"), options_),
             http::status::ok,
             R"({"status":"success","data":{"resultType":"scalar","result":[5,"1"]}})");
  ExpectBody(HandleQueryRange(PostForm("/api/v1/query_range",
                                       "query=time%28%29&start=1&end=2&step=1"),
                              options_),
             http::status::ok,
             R"({"status":"success","data":{"resultType":"matrix","result":[)"
             R"({"metric":{},"values":[[1,"1"],[2,"2"]]}]}})");
}

TEST_F(QueryApiTest, MalformedPairsAreSkippedAsFormValueDoes) {
  // "time=1;a=b" and "time=%zz" are dropped by Go's ParseQuery: time is now (300 s).
  ExpectBody(Query("query=1&time=1;a=b"), http::status::ok,
             R"({"status":"success","data":{"resultType":"scalar","result":[300,"1"]}})");
  ExpectBody(Query("query=1&time=%zz"), http::status::ok,
             R"({"status":"success","data":{"resultType":"scalar","result":[300,"1"]}})");
  // parseTime rounds to the millisecond.
  ExpectBody(Query("query=1&time=0.0005"), http::status::ok,
             R"({"status":"success","data":{"resultType":"scalar","result":[0.001,"1"]}})");
}

TEST_F(QueryApiTest, InstantQueryErrors) {
  ExpectError(Query("query=1&time=abc"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp)");
  ExpectError(Query("query=1&timeout=x"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"timeout\": cannot parse \"x\" to a valid duration)");
  ExpectError(Query("query=sum%28"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis)");
  ExpectError(Query(""), http::status::bad_request, "bad_data",
              R"(invalid parameter \"query\": 1:1: parse error: no expression found in input)");
  ExpectError(Query("query=1&timeout=0s"), http::status::service_unavailable, "timeout",
              "query timed out in query execution");
}

TEST_F(QueryApiTest, TimeoutParameterBoundsTheQuery) {
  // 3.6 million subquery steps take far longer than 1 ms; Prometheus 2.42 answers this request
  // (timeout=1ms on a heavy query) so.
  ExpectError(Query("query=sum_over_time%28vector%281%29%5B1h%3A1ms%5D%29&time=10000&timeout=1ms"),
              http::status::service_unavailable, "timeout",
              "query timed out in expression evaluation");
  ExpectError(Range("query=1&start=1&end=2&step=1&timeout=-1"),
              http::status::service_unavailable, "timeout", "query timed out in query execution");
  // A query that does not parse fails as such, whatever the timeout.
  ExpectError(Query("query=sum%28&timeout=0"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis)");
  EXPECT_EQ(Query("query=1&timeout=1m").result(), http::status::ok);
}

TEST_F(QueryApiTest, RangeQueryErrors) {
  ExpectError(Range("query=sum%28&start=1&end=2&step=1"), http::status::bad_request, "bad_data",
              "1:5: parse error: unclosed left parenthesis");
  ExpectError(Range("query=1&start=1&end=2&step=0"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer)");
  ExpectError(Range("query=1&start=1&end=2&step=-5s"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"step\": cannot parse \"-5s\" to a valid duration)");
  ExpectError(Range("query=1&start=1&end=20000&step=1"), http::status::bad_request, "bad_data",
              "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
              "query resolution (?step=XX)");
  ExpectError(Range("query=1&start=3&end=2&step=1"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"end\": end timestamp must not be before start time)");
  ExpectError(Range("query=1&start=1&end=2"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"step\": cannot parse \"\" to a valid duration)");
  ExpectError(Range("query=1&end=2&step=1"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"start\": cannot parse \"\" to a valid timestamp)");
  ExpectError(Range("query=1&start=1&end=2&step=1e400"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"step\": cannot parse \"1e400\" to a valid duration)");
  ExpectError(Range("query=1&start=1&end=2&step=1e10"), http::status::bad_request, "bad_data",
              R"(invalid parameter \"step\": cannot parse \"1e10\" to a valid duration. It overflows int64)");
  ExpectError(Range("query=requests_total%5B5m%5D&start=1&end=2&step=1"),
              http::status::bad_request, "bad_data",
              R"(invalid expression type \"range vector\" for range query, must be Scalar or instant Vector)");
  // 11,000 steps exactly are allowed (the check is "more than").
  EXPECT_EQ(Range("query=1&start=0&end=11000&step=1").result(), http::status::ok);
}

TEST_F(QueryApiTest, ExecutionErrorIs422) {
  // label_replace gives both requests_total series job="x": one label set twice, which
  // Prometheus refuses as an execution error (checked against the real binary likewise).
  HttpResponse response = Query(
      "query=label_replace%28requests_total%2C%22job%22%2C%22x%22%2C%22%22%2C%22%22%29");
  EXPECT_EQ(response.result(), http::status::unprocessable_entity) << response.body();
  EXPECT_EQ(response.body(),
            R"({"status":"error","errorType":"execution","error":"vector cannot contain metrics with the same labelset"})");
}

TEST_F(QueryApiTest, UnavailableWithoutHistory) {
  options_.service = std::make_shared<QueryService>(
      []() -> std::shared_ptr<promql::Queryable> { return nullptr; }, promql::EngineOptions{});
  HttpResponse response = Query("query=1");
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_NE(response.body().find(R"("errorType":"unavailable")"), std::string::npos);
  EXPECT_EQ(Range("query=1&start=1&end=2&step=1").result(), http::status::service_unavailable);
}

TEST(FormatQueryTest, PrettifiesOrNamesTheParameter) {
  ExpectBody(HandleFormatQuery(PostForm("/api/v1/format_query",
                                        "query=sum%28rate%28x%5B5m%5D%29%29by%28a%29")),
             http::status::ok, R"j({"status":"success","data":"sum by (a) (rate(x[5m]))"})j");
  ExpectError(HandleFormatQuery(Get("/api/v1/format_query?query=sum%28")),
              http::status::bad_request, "bad_data",
              R"(invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis)");
}

TEST(QueryExemplarsTest, NoneStoredNoContentWithoutSelectors) {
  ExpectBody(HandleQueryExemplars(Get("/api/v1/query_exemplars?query=up&start=1&end=2")),
             http::status::ok, R"({"status":"success","data":[]})");
  HttpResponse none = HandleQueryExemplars(Get("/api/v1/query_exemplars?query=1"));
  EXPECT_EQ(none.result(), http::status::no_content);
  EXPECT_EQ(none.body(), "");
  ExpectError(HandleQueryExemplars(Get("/api/v1/query_exemplars?query=up&start=2&end=1")),
              http::status::bad_request, "bad_data",
              "end timestamp must not be before start timestamp");
  ExpectError(HandleQueryExemplars(Get("/api/v1/query_exemplars?query=sum%28")),
              http::status::bad_request, "bad_data", "1:5: parse error: unclosed left parenthesis");
}

TEST(BuildInfoTest, PrometheusFieldsWithoutFeatures) {
  // Grafana takes a build info with "features" for Mimir; Prometheus has none.
  BuildInfo info{.version = "0.1.0",
                 .revision = "abc",
                 .branch = "",
                 .build_user = "",
                 .build_date = "",
                 .go_version = "GNU 12.2.0"};
  ExpectBody(HandleBuildInfo(Get("/api/v1/status/buildinfo"), info), http::status::ok,
             R"({"status":"success","data":{"version":"0.1.0","revision":"abc","branch":"",)"
             R"("buildUser":"","buildDate":"","goVersion":"GNU 12.2.0"}})");
}

// Two Sources announcing families, one announced twice with the same help.
class FakeSource : public Source {
 public:
  std::string_view Name() const override { return "fake"; }
  void Visit(FamilyVisitor& visitor) const override {
    visitor.Family("b_total", "B things.", MetricType::kCounter);
    Label label{"x", "1"};
    visitor.Sample(metricsd::Labels(&label, 1), 1);
    visitor.Family("a_seconds", "A latency.", MetricType::kHistogram);
    visitor.Family("c", "C \"quoted\".", MetricType::kUntyped);
  }
};

TEST(MetadataTest, FamiliesByNameSortedWithLimitAndMetric) {
  auto sources = std::make_shared<const SourceSet>(std::vector<std::shared_ptr<const Source>>{
      std::make_shared<FakeSource>(), std::make_shared<FakeSource>()});
  std::string all = MetadataJson(*sources, nullptr, -1);
  // SourceSet adds the collectors' health families; ours come in name order among them.
  EXPECT_NE(all.find(R"("a_seconds":[{"type":"histogram","help":"A latency.","unit":""}],)"
                     R"("b_total":[{"type":"counter","help":"B things.","unit":""}],)"
                     R"("c":[{"type":"unknown","help":"C \"quoted\".","unit":""}])"),
            std::string::npos)
      << all;
  ExpectBody(HandleMetadata(Get("/api/v1/metadata?limit=1"), sources), http::status::ok,
             R"({"status":"success","data":{"a_seconds":[{"type":"histogram","help":"A latency.","unit":""}]}})");
  ExpectBody(HandleMetadata(Get("/api/v1/metadata?metric=b_total"), sources), http::status::ok,
             R"({"status":"success","data":{"b_total":[{"type":"counter","help":"B things.","unit":""}]}})");
  ExpectBody(HandleMetadata(Get("/api/v1/metadata?metric=up"), sources), http::status::ok,
             R"({"status":"success","data":{}})");
  ExpectBody(HandleMetadata(Get("/api/v1/metadata?limit=0"), sources), http::status::ok,
             R"({"status":"success","data":{}})");
  ExpectError(HandleMetadata(Get("/api/v1/metadata?limit=x"), sources), http::status::bad_request,
              "bad_data", "limit must be a number");
}

TEST(QueryApiRoutesTest, EveryPrometheusPathWithItsMethods) {
  Routes routes = QueryApiRoutes({});
  std::vector<std::string> paths;
  for (const Route& route : routes) paths.push_back(route.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"/api/v1/query", "/api/v1/query_range",
                                             "/api/v1/format_query", "/api/v1/query_exemplars",
                                             "/api/v1/metadata", "/api/v1/status/buildinfo"}));
  EXPECT_EQ(MethodsText(routes[0]), "GET, HEAD, POST");
  EXPECT_EQ(MethodsText(routes[4]), "GET, HEAD");
}

// match[] of the series, labels and label values APIs goes through the PromQL parser, with
// the messages Prometheus 2.42 gives (asked of the real binary): /series names the parameter.
TEST(SeriesMatchTest, SelectorErrorsAsPrometheus) {
  auto directory = std::filesystem::temp_directory_path() /
                   ("metricsd_query_api_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  {
    storage::StoreOptions store_options;
    store_options.directory = directory.string();
    std::string error, warning;
    std::shared_ptr<storage::Store> store = storage::Store::Open(store_options, &error, &warning);
    ASSERT_NE(store, nullptr) << error;
    StoreGetter getter = [store] { return store; };
    ExpectError(HandleSeries(Get("/api/v1/series?match[]=up%7B"), getter),
                http::status::bad_request, "bad_data",
                R"(invalid parameter \"match[]\": 1:4: parse error: unexpected end of input inside braces)");
    ExpectError(HandleSeries(Get("/api/v1/series?match[]=sum%28up%29"), getter),
                http::status::bad_request, "bad_data",
                R"(invalid parameter \"match[]\": 1:4: parse error: unexpected \"(\")");
    ExpectError(HandleSeries(Get("/api/v1/series?match[]=%7Bfoo%3D%22%22%7D"), getter),
                http::status::bad_request, "bad_data",
                R"(invalid parameter \"match[]\": match[] must contain at least one non-empty matcher)");
    ExpectError(HandleSeries(Get("/api/v1/series"), getter), http::status::bad_request,
                "bad_data", "no match[] parameter provided");
    ExpectError(HandleLabels(Get("/api/v1/labels?match[]=%7Bfoo%3D%22%22%7D"), getter),
                http::status::bad_request, "bad_data",
                "match[] must contain at least one non-empty matcher");
    ExpectError(HandleLabelValues(Get("/api/v1/label/job/values?match[]=up%7B"), getter),
                http::status::bad_request, "bad_data",
                "1:4: parse error: unexpected end of input inside braces");
    ExpectBody(HandleSeries(Get("/api/v1/series?match[]=up%7Bjob%3D~%22a%7Cb%22%7D"), getter),
               http::status::ok, R"({"status":"success","data":[]})");
  }
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace metricsd::query
