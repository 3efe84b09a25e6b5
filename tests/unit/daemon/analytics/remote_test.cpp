// The remote QueryEngine against a small HTTP server in the test (127.0.0.1, a port the kernel
// picks): parsing of every result type, errors of the API and of the transport, credentials
// sent and never shown, range queries split into pieces.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "daemon/analytics/remote_query_engine.h"
#include "daemon/analytics/remote_response.h"
#include "daemon/analytics/remote_source.h"
#include "daemon/core/beast.h"
#include "daemon/core/config_node.h"
#include "daemon/core/mutex.h"

namespace metricsd::analytics {
namespace {

using namespace std::chrono_literals;
using promql::ErrorType;
using tcp = net::ip::tcp;

struct SeenRequest {
  std::string method, target, body, authorization, tenant;
  std::map<std::string, std::string> form;  // the decoded form fields
};

struct Reply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};  // before answering (a hanging server)
  bool chunked = false;                // Transfer-Encoding: chunked, no Content-Length
};

std::string FormDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> form;
  while (!body.empty()) {
    std::size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos)
      form[FormDecode(pair.substr(0, eq))] = FormDecode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return form;
}

// One connection at a time on its own thread (the engine asks one request at a time).
// Thread-safety: requests() may be read from the test's thread while it serves.
class TestServer {
 public:
  using Handler = std::function<Reply(const SeenRequest&)>;

  explicit TestServer(Handler handler)
      : handler_(std::move(handler)),
        acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }

  ~TestServer() {
    stop_ = true;
    // Wakes the blocking accept.
    boost::system::error_code ec;
    tcp::socket wake(ioc_);
    wake.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<SeenRequest> requests() const {
    MutexLock lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      boost::system::error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      beast::flat_buffer buffer;
      HttpRequest request;
      http::read(socket, buffer, request, ec);
      if (ec) continue;
      SeenRequest seen;
      seen.method = std::string(request.method_string());
      seen.target = std::string(request.target());
      seen.body = request.body();
      seen.authorization = std::string(request[http::field::authorization]);
      seen.tenant = std::string(request["X-Scope-OrgID"]);
      seen.form = ParseForm(seen.body);
      {
        MutexLock lock(mutex_);
        requests_.push_back(seen);
      }
      Reply reply = handler_(seen);
      for (auto waited = 0ms; waited < reply.delay && !stop_; waited += 10ms) {
        std::this_thread::sleep_for(10ms);
      }
      if (stop_) return;
      HttpResponse response(static_cast<http::status>(reply.status), 11);
      response.set(http::field::content_type, reply.content_type);
      response.body() = reply.body;
      response.prepare_payload();
      if (reply.chunked) response.chunked(true);
      http::write(socket, response, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  Handler handler_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable Mutex mutex_;
  std::vector<SeenRequest> requests_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

// The io_context the engine posts to, run by a thread of the test (as the daemon's threads do).
class RemoteEngineTest : public ::testing::Test {
 protected:
  RemoteEngineTest() : work_(net::make_work_guard(ioc_)), runner_([this] { ioc_.run(); }) {}
  ~RemoteEngineTest() override {
    work_.reset();
    ioc_.stop();
    runner_.join();
  }

  std::unique_ptr<QueryEngine> Engine(const std::string& url, RemoteSource source = {}) {
    source.url = url;
    return MakeRemoteQueryEngine(ioc_, source);
  }

  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread runner_;
};

std::string Success(const std::string& data, const std::string& warnings = "") {
  return R"({"status":"success","data":)" + data +
         (warnings.empty() ? "" : R"(,"warnings":)" + warnings) + "}";
}

TEST(RemoteResponse, MatrixWithSpecialValuesAndUnsortedLabels) {
  promql::QueryResult result = ParseQueryResponse(200, Success(
                                                           R"({"resultType":"matrix","result":[
          {"metric":{"zone":"b","__name__":"up","job":"x"},
           "values":[[1700000000,"1.5"],[1700000015.5,"NaN"],[1700000031,"+Inf"],[1700000046.001,"-Inf"],[1700000061,"1e-07"]]},
          {"metric":{}}]})",
                                                           R"(["a warning"])"));
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.warnings, std::vector<std::string>{"a warning"});
  const auto& matrix = std::get<promql::Matrix>(result.value);
  ASSERT_EQ(matrix.size(), 2u);
  const promql::Labels expected{{"__name__", "up"}, {"job", "x"}, {"zone", "b"}};
  EXPECT_EQ(matrix[0].labels, expected);
  ASSERT_EQ(matrix[0].points.size(), 5u);
  EXPECT_EQ(matrix[0].points[0].t, 1700000000000);
  EXPECT_EQ(matrix[0].points[0].v, 1.5);
  EXPECT_EQ(matrix[0].points[1].t, 1700000015500);
  EXPECT_TRUE(std::isnan(matrix[0].points[1].v));
  EXPECT_EQ(matrix[0].points[2].v, INFINITY);
  EXPECT_EQ(matrix[0].points[3].t, 1700000046001);
  EXPECT_EQ(matrix[0].points[3].v, -INFINITY);
  EXPECT_EQ(matrix[0].points[4].v, 1e-7);
  EXPECT_TRUE(matrix[1].labels.empty());
  EXPECT_TRUE(matrix[1].points.empty());
}

TEST(RemoteResponse, VectorScalarString) {
  auto vector = ParseQueryResponse(
      200,
      Success(
          R"({"resultType":"vector","result":[{"metric":{"b":"2","a":"1"},"value":[1.5,"-3"]}]})"));
  ASSERT_TRUE(vector.ok()) << vector.error;
  const auto& samples = std::get<promql::Vector>(vector.value);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels, (promql::Labels{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(samples[0].t, 1500);
  EXPECT_EQ(samples[0].v, -3);

  auto scalar = ParseQueryResponse(
      200, Success(R"({"resultType":"scalar","result":[1700000000.123,"NaN"]})"));
  ASSERT_TRUE(scalar.ok()) << scalar.error;
  EXPECT_EQ(std::get<promql::Scalar>(scalar.value).t, 1700000000123);
  EXPECT_TRUE(std::isnan(std::get<promql::Scalar>(scalar.value).v));

  auto text = ParseQueryResponse(200, Success(R"({"resultType":"string","result":[2,"a<b"]})"));
  ASSERT_TRUE(text.ok()) << text.error;
  EXPECT_EQ(std::get<promql::String>(text.value).v, "a<b");
  EXPECT_EQ(std::get<promql::String>(text.value).t, 2000);
}

TEST(RemoteResponse, ErrorsKeepPrometheusTypes) {
  struct Case {
    unsigned status;
    const char* type;
    ErrorType expected;
  };
  for (const Case& c :
       {Case{400, "bad_data", ErrorType::kBadData}, Case{422, "execution", ErrorType::kExecution},
        Case{503, "timeout", ErrorType::kTimeout},
        Case{503, "unavailable", ErrorType::kUnavailable},
        Case{499, "canceled", ErrorType::kCanceled}, Case{500, "internal", ErrorType::kInternal},
        Case{404, "not_found", ErrorType::kInternal}}) {
    auto result = ParseQueryResponse(c.status, std::string(R"({"status":"error","errorType":")") +
                                                   c.type + R"(","error":"the reason"})");
    EXPECT_EQ(result.error_type, c.expected) << c.type;
    EXPECT_EQ(result.error, "the reason");
  }
}

TEST(RemoteResponse, GarbageAndWrongShapes) {
  auto html = ParseQueryResponse(503, "<html>Service Unavailable</html>");
  EXPECT_EQ(html.error_type, ErrorType::kUnavailable);
  EXPECT_NE(html.error.find("HTTP 503"), std::string::npos) << html.error;
  EXPECT_NE(html.error.find("Service Unavailable"), std::string::npos) << html.error;
  EXPECT_EQ(ParseQueryResponse(200, "not json").error_type, ErrorType::kInternal);
  EXPECT_EQ(ParseQueryResponse(200, "").error_type, ErrorType::kInternal);
  for (
      const char* body :
      {R"({"status":"success"})",
       R"({"status":"success","data":{"resultType":"tensor","result":[]}})",
       R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}})",
       R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}})",
       R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1]]}]}})",
       R"({"status":"success","data":{"resultType":"scalar","result":["1","1"]}})",
       R"({"status":"maybe"})", "[1,2]"}) {
    auto result = ParseQueryResponse(200, body);
    EXPECT_EQ(result.error_type, ErrorType::kInternal) << body;
    EXPECT_FALSE(result.error.empty()) << body;
  }
}

TEST(RemoteResponse, AnyKeyOrderUnknownKeysAndNativeHistograms) {
  // "result" before "resultType", "data" before "status", keys of newer servers, a native
  // histogram series (skipped, with a warning) beside a float one.
  auto result = ParseQueryResponse(200, R"({"data":{"result":[
      {"values":[[1,"2"]],"extra":{"x":[1,[2]]},"metric":{"b":"1","a":"2"}},
      {"metric":{"h":"1"},"histograms":[[1,{"count":"2","sum":"3","buckets":[[0,"0","1","2"]]}]]}],
      "resultType":"matrix","stats":{"timings":{"evalTotalTime":0.1}}},"status":"success","infos":["i"]})");
  ASSERT_TRUE(result.ok()) << result.error;
  const auto& matrix = std::get<promql::Matrix>(result.value);
  ASSERT_EQ(matrix.size(), 2u);
  EXPECT_EQ(matrix[0].labels, (promql::Labels{{"a", "2"}, {"b", "1"}}));
  EXPECT_EQ(matrix[0].points.size(), 1u);
  EXPECT_TRUE(matrix[1].points.empty());
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("native histogram"), std::string::npos);

  auto vector =
      ParseQueryResponse(200, R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"h":"1"},"histogram":[1,{"count":"2"}]},{"metric":{"f":"1"},"value":[1,"5"]}]}})");
  ASSERT_TRUE(vector.ok()) << vector.error;
  EXPECT_EQ(std::get<promql::Vector>(vector.value).size(), 1u);

  // Cut short: not JSON.
  auto truncated = ParseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{})");
  EXPECT_EQ(truncated.error_type, ErrorType::kInternal);
  // A type that does not match its result.
  EXPECT_EQ(ParseQueryResponse(
                200, Success(R"({"resultType":"scalar","result":[{"metric":{},"value":[1,"1"]}]})"))
                .error_type,
            ErrorType::kInternal);
  EXPECT_EQ(
      ParseQueryResponse(200, Success(R"({"resultType":"vector","result":[1,"1"]})")).error_type,
      ErrorType::kInternal);
}

TEST(RemoteResponse, LargeAnswerIsReadAsAStream) {
  // 100 series x 11,000 points (about 25 MB of JSON, the largest piece one range request of
  // 100 series returns): read without building a DOM.
  std::string body = R"({"status":"success","data":{"resultType":"matrix","result":[)";
  for (int s = 0; s < 100; ++s) {
    body += (s ? "," : "") + std::string(R"({"metric":{"s":")") + std::to_string(s) +
            R"("},"values":[)";
    for (int i = 0; i < 11000; ++i) {
      body += (i ? "," : "") + std::string("[") + std::to_string(1700000000 + i * 15) + R"(,")" +
              std::to_string(i % 97) + R"("])";
    }
    body += "]}";
  }
  body += "]}}";
  auto began = std::chrono::steady_clock::now();
  auto result = ParseQueryResponse(200, body);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  ASSERT_TRUE(result.ok()) << result.error;
  const auto& matrix = std::get<promql::Matrix>(result.value);
  ASSERT_EQ(matrix.size(), 100u);
  EXPECT_EQ(matrix[99].points.size(), 11000u);
  EXPECT_EQ(matrix[99].points[10999].t, (1700000000 + 10999 * 15) * 1000LL);
  EXPECT_EQ(matrix[99].points[10999].v, 10999 % 97);
  std::cerr << "parsed " << body.size() / 1e6 << " MB, 1.1M points in " << seconds << " s\n";
}

TEST(RemoteResponse, SampleValues) {
  double v = 0;
  EXPECT_TRUE(ParseSampleValue("+Inf", v));
  EXPECT_EQ(v, INFINITY);
  EXPECT_TRUE(ParseSampleValue("-Inf", v));
  EXPECT_EQ(v, -INFINITY);
  EXPECT_TRUE(ParseSampleValue("NaN", v));
  EXPECT_TRUE(std::isnan(v));
  EXPECT_TRUE(ParseSampleValue("1e+21", v));
  EXPECT_EQ(v, 1e21);
  EXPECT_TRUE(ParseSampleValue("-0.25", v));
  EXPECT_EQ(v, -0.25);
  EXPECT_FALSE(ParseSampleValue("", v));
  EXPECT_FALSE(ParseSampleValue("1.5x", v));
  EXPECT_FALSE(ParseSampleValue("abc", v));
}

TEST(RemoteResponse, SplitRangeCoversEveryStepOnce) {
  // 25 steps of 10 s by 10: 10 + 10 + 5, each piece on the whole range's grid.
  auto pieces = SplitRange(1000, 1000 + 24 * 10000, 10000, 10);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].start, 1000);
  EXPECT_EQ(pieces[0].end, 1000 + 9 * 10000);
  EXPECT_EQ(pieces[1].start, 1000 + 10 * 10000);
  EXPECT_EQ(pieces[2].end, 1000 + 24 * 10000);
  // An end between steps: the last step before it.
  auto uneven = SplitRange(0, 105, 10, 11000);
  ASSERT_EQ(uneven.size(), 1u);
  EXPECT_EQ(uneven[0].end, 100);
  // Exactly 11,000 steps: one request; 11,001: two.
  EXPECT_EQ(SplitRange(0, 10999, 1, 11000).size(), 1u);
  EXPECT_EQ(SplitRange(0, 11000, 1, 11000).size(), 2u);
  EXPECT_TRUE(SplitRange(10, 0, 1, 10).empty());
  EXPECT_TRUE(SplitRange(0, 10, 0, 10).empty());
}

// A range answer computed from the request: series "a" = t (seconds) at every step, series "b"
// only at steps from 100 s on, so it first appears in a later piece.
Reply RangeAnswer(const SeenRequest& request) {
  double start = std::stod(request.form.at("start")), end = std::stod(request.form.at("end"));
  double step = std::stod(request.form.at("step"));
  nlohmann::json a = nlohmann::json::array(), b = nlohmann::json::array();
  for (double t = start; t <= end + 1e-9; t += step) {
    a.push_back({t, std::to_string(t)});
    if (t >= 100) b.push_back({t, "1"});
  }
  nlohmann::json result = nlohmann::json::array();
  if (!b.empty()) result.push_back({{"metric", {{"s", "b"}}}, {"values", b}});
  result.push_back({{"metric", {{"s", "a"}}}, {"values", a}});
  nlohmann::json answer = {{"status", "success"},
                           {"data", {{"resultType", "matrix"}, {"result", result}}},
                           {"warnings", {"same warning"}}};
  return {200, answer.dump()};
}

TEST_F(RemoteEngineTest, RangeQueryIsSplitIntoPiecesAndConcatenated) {
  TestServer server(RangeAnswer);
  RemoteSource source;
  source.max_steps = 10;
  auto engine = Engine(server.url() + "/prefix/", source);
  // 0 s .. 240 s by 10 s: 25 steps, 3 requests.
  promql::QueryResult result =
      engine->Range("sum(rate(x[5m])) > 1 & y{a=\"b c\"}", 0, 240000, 10000);
  ASSERT_TRUE(result.ok()) << result.error;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const SeenRequest& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/prefix/api/v1/query_range");
    EXPECT_EQ(request.form.at("query"), "sum(rate(x[5m])) > 1 & y{a=\"b c\"}");
    EXPECT_EQ(request.form.at("step"), "10");
  }
  EXPECT_EQ(requests[1].form.at("start"), "100");
  EXPECT_EQ(requests[1].form.at("end"), "190");
  EXPECT_EQ(result.warnings, std::vector<std::string>{"same warning"});  // once, not per piece
  const auto& matrix = std::get<promql::Matrix>(result.value);
  ASSERT_EQ(matrix.size(), 2u);
  EXPECT_EQ(matrix[0].labels, (promql::Labels{{"s", "a"}}));  // sorted by labels
  ASSERT_EQ(matrix[0].points.size(), 25u);
  for (std::size_t i = 0; i < 25; ++i) {
    EXPECT_EQ(matrix[0].points[i].t, static_cast<promql::Timestamp>(i) * 10000);
    EXPECT_DOUBLE_EQ(matrix[0].points[i].v, static_cast<double>(i) * 10);
  }
  EXPECT_EQ(matrix[1].points.size(), 15u);  // 100 s .. 240 s
  EXPECT_EQ(matrix[1].points.front().t, 100000);
}

TEST_F(RemoteEngineTest, PieceOverTheBodyLimitIsSplitAgain) {
  TestServer server(RangeAnswer);
  RemoteSource source;
  source.body_limit = 1500;  // about 25 steps of both series: 100 steps need several halvings
  auto engine = Engine(server.url(), source);
  auto result = engine->Range("x", 0, 990000, 10000);  // 100 steps, one piece at first
  ASSERT_TRUE(result.ok()) << result.error;
  const auto& matrix = std::get<promql::Matrix>(result.value);
  ASSERT_EQ(matrix.size(), 2u);
  ASSERT_EQ(matrix[0].points.size(), 100u);
  for (std::size_t i = 0; i < 100; ++i)
    EXPECT_EQ(matrix[0].points[i].t, static_cast<promql::Timestamp>(i) * 10000);
  EXPECT_EQ(matrix[1].points.size(), 90u);  // 100 s .. 990 s
  EXPECT_GT(server.requests().size(), 4u);
  // One step alone over the limit: the error, not endless halving.
  source.body_limit = 1024;
  TestServer huge([](const SeenRequest&) { return Reply{200, std::string(5000, ' ') + "{}"}; });
  auto failed = Engine(huge.url(), source)->Range("x", 0, 90000, 10000);
  EXPECT_EQ(failed.error_type, ErrorType::kUnavailable);
  EXPECT_NE(failed.error.find("body_limit"), std::string::npos) << failed.error;
  EXPECT_LE(huge.requests().size(), 19u);  // 10 steps: at most 2 * 10 - 1 requests
}

TEST_F(RemoteEngineTest, InstantQuerySendsTimeAndParsesVector) {
  TestServer server([](const SeenRequest&) {
    return Reply{
        200,
        Success(
            R"({"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1700000000.123,"+Inf"]}]})")};
  });
  auto engine = Engine(server.url());
  auto result = engine->Instant("up", 1700000000123);
  ASSERT_TRUE(result.ok()) << result.error;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/api/v1/query");
  EXPECT_EQ(requests[0].form.at("time"), "1700000000.123");
  EXPECT_EQ(requests[0].form.at("query"), "up");
  const auto& vector = std::get<promql::Vector>(result.value);
  ASSERT_EQ(vector.size(), 1u);
  EXPECT_EQ(vector[0].v, INFINITY);
  EXPECT_EQ(vector[0].t, 1700000000123);
}

TEST_F(RemoteEngineTest, ApiErrorAndHttpErrors) {
  TestServer server([](const SeenRequest& request) {
    if (request.form.at("query") == "bad(") {
      return Reply{
          400,
          R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"})"};
    }
    return Reply{503, "upstream connect error or disconnect/reset before headers", "text/plain"};
  });
  auto engine = Engine(server.url());
  auto bad = engine->Instant("bad(", 0);
  EXPECT_EQ(bad.error_type, ErrorType::kBadData);
  EXPECT_NE(bad.error.find("1:5: parse error: unexpected end of input"), std::string::npos)
      << bad.error;
  auto down = engine->Range("up", 0, 60000, 15000);
  EXPECT_EQ(down.error_type, ErrorType::kUnavailable);
  EXPECT_NE(down.error.find("HTTP 503"), std::string::npos) << down.error;
  EXPECT_NE(down.error.find(server.url()), std::string::npos) << down.error;  // names the source
}

TEST_F(RemoteEngineTest, HangingServerTimesOutWithinBound) {
  TestServer server([](const SeenRequest&) {
    return Reply{200, Success(R"({"resultType":"scalar","result":[1,"1"]})"), "application/json",
                 10s};
  });
  RemoteSource source;
  source.timeout = 300ms;
  auto engine = Engine(server.url(), source);
  auto began = std::chrono::steady_clock::now();
  auto result = engine->Instant("1", 1000);
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(result.error_type, ErrorType::kTimeout);
  EXPECT_NE(result.error.find("timed out"), std::string::npos) << result.error;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
}

TEST_F(RemoteEngineTest, OversizedBodyIsAnError) {
  std::string big =
      Success(R"({"resultType":"string","result":[1,")" + std::string(100000, 'x') + R"("]})");
  TestServer server([&big](const SeenRequest&) { return Reply{200, big}; });
  RemoteSource source;
  source.body_limit = 4096;
  auto engine = Engine(server.url(), source);
  auto result = engine->Instant("x", 0);
  EXPECT_EQ(result.error_type, ErrorType::kUnavailable);
  EXPECT_NE(result.error.find("body larger than the limit of 4096 bytes"), std::string::npos)
      << result.error;
  EXPECT_NE(result.error.find("body_limit"), std::string::npos) << result.error;
  // Without a Content-Length (chunked), the body is cut while it is read: the same error.
  TestServer chunked([&big](const SeenRequest&) {
    Reply reply{200, big};
    reply.chunked = true;
    return reply;
  });
  auto cut = Engine(chunked.url(), source)->Instant("x", 0);
  EXPECT_EQ(cut.error_type, ErrorType::kUnavailable);
  EXPECT_NE(cut.error.find("body larger than the limit of 4096 bytes"), std::string::npos)
      << cut.error;
}

TEST_F(RemoteEngineTest, ConnectionRefused) {
  std::uint16_t port;
  {
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }  // closed: nothing listens there now
  auto engine = Engine("http://127.0.0.1:" + std::to_string(port));
  auto result = engine->Instant("up", 0);
  EXPECT_EQ(result.error_type, ErrorType::kUnavailable);
  EXPECT_NE(result.error.find("connect"), std::string::npos) << result.error;
}

// A hostile server that echoes every credential it gets into its errors: the engine's
// messages must still hold none of them.
Reply EchoCredentials(const SeenRequest& request, const std::string& wanted) {
  if (request.authorization == wanted) {
    return {200, Success(R"({"resultType":"scalar","result":[1,"42"]})")};
  }
  nlohmann::json error = {
      {"status", "error"},
      {"errorType", "bad_data"},
      {"error", "wrong credentials " + request.authorization + " tenant " + request.tenant}};
  return {401, error.dump()};
}

void ExpectNoSecret(const promql::QueryResult& result, const std::vector<std::string>& secrets) {
  EXPECT_FALSE(result.ok());
  for (const std::string& secret : secrets) {
    EXPECT_EQ(result.error.find(secret), std::string::npos) << secret << " in: " << result.error;
  }
}

TEST_F(RemoteEngineTest, BasicAuthIsSentAndNeverShown) {
  // base64("analyst:s3cret-pass")
  const std::string wanted = "Basic YW5hbHlzdDpzM2NyZXQtcGFzcw==";
  TestServer server(
      [&wanted](const SeenRequest& request) { return EchoCredentials(request, wanted); });
  RemoteSource source;
  source.auth.username = "analyst";
  source.auth.password = "s3cret-pass";
  source.headers["X-Scope-OrgID"] = "tenant-secret-42";
  auto engine = Engine(server.url(), source);
  auto ok = engine->Instant("1", 0);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(std::get<promql::Scalar>(ok.value).v, 42);
  EXPECT_EQ(server.requests().at(0).tenant, "tenant-secret-42");

  source.auth.password = "wrong-password";
  auto engine2 = Engine(server.url(), source);
  auto denied = engine2->Instant("1", 0);
  EXPECT_EQ(denied.error_type, ErrorType::kBadData);
  EXPECT_NE(denied.error.find("wrong credentials"), std::string::npos) << denied.error;
  ExpectNoSecret(denied,
                 {"wrong-password", "YW5hbHlzdDp3cm9uZy1wYXNzd29yZA==", "tenant-secret-42"});
}

TEST_F(RemoteEngineTest, BearerTokenIsSentAndNeverShown) {
  TestServer server(
      [](const SeenRequest& request) { return EchoCredentials(request, "Bearer good-token-123"); });
  RemoteSource source;
  source.auth.bearer_token = "good-token-123";
  ASSERT_TRUE(Engine(server.url(), source)->Instant("1", 0).ok());
  source.auth.bearer_token = "bad-token-456";
  ExpectNoSecret(Engine(server.url(), source)->Instant("1", 0), {"bad-token-456"});
  // Transport errors name the source without its query string (where tokens often hide).
  source.timeout = 200ms;
  auto refused = Engine("http://127.0.0.1:1/?token=query-secret", source)->Instant("1", 0);
  ExpectNoSecret(refused, {"query-secret", "bad-token-456"});
}

TEST_F(RemoteEngineTest, DescribeAndInvalidUrlShowNoCredentials) {
  EXPECT_EQ(Engine("https://prom.example:9090/prometheus?tenant=x")->Describe(),
            "https://prom.example:9090/prometheus?<secret>");
  EXPECT_EQ(Engine("http://prom.example:9090/")->Describe(), "http://prom.example:9090");
  RemoteSource unreadable_ca;
  unreadable_ca.tls.ca_file = "/nonexistent/ca.pem";
  auto no_ca = Engine("https://prom.example/", unreadable_ca)->Instant("up", 0);
  EXPECT_EQ(no_ca.error_type, ErrorType::kUnavailable);
  EXPECT_NE(no_ca.error.find("/nonexistent/ca.pem"), std::string::npos) << no_ca.error;
  auto bad = Engine("http://user:hunter22@prom.example/");
  EXPECT_EQ(bad->Describe().find("hunter22"), std::string::npos) << bad->Describe();
  EXPECT_EQ(bad->Describe().find("user"), std::string::npos) << bad->Describe();
  auto result = bad->Instant("up", 0);
  EXPECT_EQ(result.error_type, ErrorType::kUnavailable);
  ExpectNoSecret(result, {"hunter22", "user:"});
}

TEST_F(RemoteEngineTest, CalledOnItsOwnIoThreadFailsInsteadOfDeadlocking) {
  TestServer server([](const SeenRequest&) {
    return Reply{200, Success(R"({"resultType":"scalar","result":[1,"1"]})")};
  });
  auto engine = Engine(server.url());
  std::promise<promql::QueryResult> done;
  net::post(ioc_, [&] { done.set_value(engine->Instant("1", 0)); });
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(future.get().error_type, ErrorType::kInternal);
}

TEST_F(RemoteEngineTest, BadRangeArgumentsAskNothing) {
  TestServer server(RangeAnswer);
  auto engine = Engine(server.url());
  EXPECT_EQ(engine->Range("x", 10, 0, 1000).error_type, ErrorType::kBadData);
  EXPECT_EQ(engine->Range("x", 0, 10, 0).error_type, ErrorType::kBadData);
  // A billion steps would be 90,910 requests: refused up front.
  EXPECT_EQ(engine->Range("x", 0, 1000000000, 1).error_type, ErrorType::kBadData);
  EXPECT_TRUE(server.requests().empty());
}

RemoteSource ParseSource(const std::string& yaml) {
  return RemoteSourceSection().Parse(ParseYaml(yaml, "m.yaml"));
}

std::string ConfigErrorOf(const std::string& yaml) {
  try {
    ParseSource(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(RemoteSourceConfig, KeysDefaultsAndChecks) {
  RemoteSource defaults = ParseSource("{}");
  EXPECT_FALSE(defaults.remote());
  EXPECT_EQ(defaults.timeout, std::chrono::minutes(2));
  EXPECT_EQ(defaults.max_steps, 11000);
  EXPECT_EQ(defaults.body_limit, 256 << 20);

  RemoteSource source = ParseSource(
      "url: https://mimir.example/prometheus\nbearer_token: tok-secret\ntimeout: 30s\n"
      "headers: {X-Scope-OrgID: team-a}\nmax_steps: 5000\nbody_limit: 64MiB\ntls: "
      "{insecure_skip_verify: true}\n");
  EXPECT_TRUE(source.remote());
  EXPECT_EQ(source.auth.bearer_token, "tok-secret");
  EXPECT_EQ(source.timeout, std::chrono::seconds(30));
  EXPECT_EQ(source.headers.at("X-Scope-OrgID"), "team-a");
  EXPECT_EQ(source.max_steps, 5000);
  EXPECT_EQ(source.body_limit, 64 << 20);
  EXPECT_TRUE(source.tls.insecure_skip_verify);
  EXPECT_EQ(
      source,
      ParseSource("url: https://mimir.example/prometheus\nbearer_token: tok-secret\ntimeout: 30s\n"
                  "headers: {X-Scope-OrgID: team-a}\nmax_steps: 5000\nbody_limit: 64MiB\n"
                  "tls: {insecure_skip_verify: true}\n"));
  EXPECT_FALSE(source == defaults);
  std::string rendered = RemoteSourceSection().Render(source).dump();
  EXPECT_EQ(rendered.find("tok-secret"), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("team-a"), std::string::npos) << rendered;

  std::string userinfo = ConfigErrorOf("url: http://bob:pw-in-url@prom:9090\n");
  EXPECT_NE(userinfo.find("basic_auth"), std::string::npos) << userinfo;
  EXPECT_EQ(userinfo.find("pw-in-url"), std::string::npos) << userinfo;
  EXPECT_NE(ConfigErrorOf("url: ftp://prom\n"), "");
  EXPECT_NE(ConfigErrorOf("url: http://prom\nheaders: {Authorization: x}\n"), "");
  EXPECT_NE(
      ConfigErrorOf("url: http://prom\nbasic_auth: {username: a, password: b}\nbearer_token: c\n"),
      "");
  EXPECT_NE(ConfigErrorOf("max_steps: 0\n"), "");
  EXPECT_FALSE(ParseSource("url:\n").remote());  // null: the local history
  // The JSON Schema agrees with the loader on the scheme (editors flag ftp:// too).
  nlohmann::json schema = RemoteSourceSection().Schema();
  EXPECT_EQ(schema["properties"]["url"]["pattern"], "^$|^[hH][tT][tT][pP][sS]?://")
      << schema.dump();
}

}  // namespace
}  // namespace metricsd::analytics
