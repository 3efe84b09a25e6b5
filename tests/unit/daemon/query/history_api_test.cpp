// The history API's handlers called directly over a Store opened in a temporary directory.
#include "daemon/query/history_api.h"

#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "daemon/query/export_api.h"
#include "daemon/query/import_api.h"
#include "daemon/query/series_api.h"

namespace metricsd::query {
namespace {

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class HistoryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("metricsd_history_api_test_" + std::to_string(::getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    storage::StoreOptions options;
    options.directory = directory_.string();
    std::string error, warning;
    store_ = storage::Store::Open(options, &error, &warning);
    ASSERT_NE(store_, nullptr) << error;
    getter_ = [this] { return store_; };
    base_ = NowMillis() / 1000 * 1000 - 3600 * 1000;
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(directory_);
  }

  static HttpRequest Get(std::string target) { return HttpRequest{http::verb::get, target, 11}; }

  HttpResponse Import(std::string body, std::string encoding = "") {
    HttpRequest request{http::verb::post, "/api/v1/import", 11};
    if (!encoding.empty()) request.set(http::field::content_encoding, encoding);
    request.body() = std::move(body);
    request.prepare_payload();
    return HandleImport(request, getter_);
  }

  std::string Export(std::string query) {
    StreamedResponse response = HandleExport(Get("/api/v1/export?" + query), getter_);
    EXPECT_EQ(response.head.result(), http::status::ok) << response.head.body();
    std::string body;
    if (!response.next) return body;
    std::string chunk;
    bool more = true;
    while (more) {
      more = response.next(chunk);
      body += chunk;
      chunk.clear();
    }
    return body;
  }

  std::string Line(std::string metric, std::vector<std::string> values,
                   std::vector<std::int64_t> offsets) {
    std::string line = R"({"metric":)" + metric + R"(,"values":[)";
    for (std::size_t i = 0; i < values.size(); ++i) line += (i ? "," : "") + values[i];
    line += R"(],"timestamps":[)";
    for (std::size_t i = 0; i < offsets.size(); ++i) {
      line += (i ? "," : "") + std::to_string(base_ + offsets[i]);
    }
    return line + "]}\n";
  }

  std::string T(std::int64_t offset) const { return std::to_string(base_ + offset); }

  std::filesystem::path directory_;
  std::shared_ptr<storage::Store> store_;
  StoreGetter getter_;
  std::int64_t base_ = 0;
};

TEST_F(HistoryApiTest, ImportThenSeriesLabelsValuesAndExportRoundTrip) {
  std::string body =
      Line(R"({"__name__":"node_load1","instance":"a"})", {"0.5", "1.25", "+Inf"}, {0, 10000, 20000}) +
      Line(R"({"__name__":"node_load1","instance":"b"})", {"2", "NaN"}, {0, 10000}) +
      Line(R"({"__name__":"up","job":"node"})", {"1"}, {5000});
  HttpResponse imported = Import(body);
  ASSERT_EQ(imported.result(), http::status::no_content) << imported.body();

  HttpResponse series = HandleSeries(Get("/api/v1/series?match[]=node_load1"), getter_);
  EXPECT_EQ(series.body(),
            R"({"status":"success","data":[{"__name__":"node_load1","instance":"a"},)"
            R"({"__name__":"node_load1","instance":"b"}]})");
  EXPECT_EQ(HandleLabels(Get("/api/v1/labels"), getter_).body(),
            R"({"status":"success","data":["__name__","instance","job"]})");
  EXPECT_EQ(HandleLabels(Get("/api/v1/labels?match[]=up"), getter_).body(),
            R"({"status":"success","data":["__name__","job"]})");
  EXPECT_EQ(HandleLabelValues(Get("/api/v1/label/__name__/values"), getter_).body(),
            R"({"status":"success","data":["node_load1","up"]})");
  EXPECT_EQ(HandleLabelValues(Get("/api/v1/label/instance/values"), getter_).body(),
            R"({"status":"success","data":["a","b"]})");

  std::string exported = Export("match[]=%7B__name__%3D~%22node_load1%7Cup%22%7D");
  EXPECT_EQ(exported,
            R"({"metric":{"__name__":"node_load1","instance":"a"},"values":[0.5,1.25,+Inf],"timestamps":[)" +
                T(0) + "," + T(10000) + "," + T(20000) + "]}\n" +
                R"({"metric":{"__name__":"node_load1","instance":"b"},"values":[2,NaN],"timestamps":[)" +
                T(0) + "," + T(10000) + "]}\n" +
                R"({"metric":{"__name__":"up","job":"node"},"values":[1],"timestamps":[)" + T(5000) +
                "]}\n");
  // The staleness marker came back as one (export writes it as NaN).
  std::vector<storage::SeriesRef> refs = store_->Select(
      {{*storage::LabelMatcher::Make(storage::MatchType::kEqual, "instance", "b", nullptr)}},
      base_, base_ + 10000);
  ASSERT_EQ(refs.size(), 1u);
  std::vector<storage::Sample> samples;
  store_->RawSamples(refs[0], base_, base_ + 10000, samples);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_TRUE(storage::IsStaleMarker(samples[1].v));

  // The export imports back unchanged, and start/end narrow it.
  ASSERT_EQ(Import(exported).result(), http::status::no_content);
  EXPECT_EQ(Export("match[]=%7B__name__%3D~%22node_load1%7Cup%22%7D"), exported);
  EXPECT_EQ(Export("match[]=node_load1&start=" + std::to_string((base_ + 10000) / 1000) +
                   "&end=" + std::to_string((base_ + 10000) / 1000)),
            R"({"metric":{"__name__":"node_load1","instance":"a"},"values":[1.25],"timestamps":[)" +
                T(10000) + "]}\n" +
                R"({"metric":{"__name__":"node_load1","instance":"b"},"values":[NaN],"timestamps":[)" +
                T(10000) + "]}\n");
}

TEST_F(HistoryApiTest, DuplicatesAreIdempotent) {
  std::string body = Line(R"({"__name__":"d"})", {"1", "2", "3"}, {0, 10000, 20000});
  ASSERT_EQ(Import(body).result(), http::status::no_content);
  std::string once = Export("match[]=d");
  ASSERT_EQ(Import(body).result(), http::status::no_content);
  ASSERT_EQ(Import(Line(R"({"__name__":"d"})", {"2"}, {10000})).result(), http::status::no_content);
  EXPECT_EQ(Export("match[]=d"), once);
  EXPECT_NE(once.find(R"("values":[1,2,3])"), std::string::npos) << once;
}

TEST_F(HistoryApiTest, ABadLineStoresNothing) {
  std::string body = Line(R"({"__name__":"good"})", {"1"}, {0}) +
                     Line(R"({"__name__":"good2"})", {"1"}, {0}) +
                     R"({"metric":{"__name__":"bad"},"values":[1,2],"timestamps":[1]})" "\n";
  HttpResponse response = Import(body);
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_NE(response.body().find(R"("errorType":"bad_data")"), std::string::npos);
  EXPECT_NE(response.body().find("line 3: "), std::string::npos) << response.body();
  EXPECT_EQ(HandleLabelValues(Get("/api/v1/label/__name__/values"), getter_).body(),
            R"({"status":"success","data":[]})");
}

std::string Gzip(std::string_view data) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST_F(HistoryApiTest, GzipImportAndItsLimits) {
  ASSERT_EQ(Import(Gzip(Line(R"({"__name__":"z"})", {"4"}, {0})), "gzip").result(),
            http::status::no_content);
  EXPECT_NE(Export("match[]=z").find(R"("values":[4])"), std::string::npos);
  // Concatenated gzip members (one compressed once): past the decompressed cap.
  std::string member = Gzip(std::string(16 << 20, ' '));
  std::string bomb;
  for (std::uint64_t decoded = 0; decoded <= kMaxImportDecodedBytes; decoded += 16 << 20) {
    bomb += member;
  }
  ASSERT_LT(bomb.size(), kMaxImportBodyBytes);
  EXPECT_EQ(Import(bomb, "gzip").result(), http::status::payload_too_large);
  EXPECT_EQ(Import("x", "zstd").result(), http::status::unsupported_media_type);
  EXPECT_EQ(Import("garbage", "gzip").result(), http::status::bad_request);
}

TEST_F(HistoryApiTest, BadRequests) {
  HttpResponse no_match = HandleSeries(Get("/api/v1/series"), getter_);
  EXPECT_EQ(no_match.result(), http::status::bad_request);
  EXPECT_EQ(no_match.body(),
            R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  EXPECT_EQ(HandleExport(Get("/api/v1/export"), getter_).head.result(), http::status::bad_request);
  EXPECT_EQ(HandleSeries(Get("/api/v1/series?match[]=up{"), getter_).result(),
            http::status::bad_request);
  EXPECT_EQ(HandleSeries(Get("/api/v1/series?match[]=up&start=x"), getter_).result(),
            http::status::bad_request);
  EXPECT_EQ(HandleLabels(Get("/api/v1/labels?a=%zz"), getter_).result(), http::status::bad_request);
  HttpResponse bad_name = HandleLabelValues(Get("/api/v1/label/a-b/values"), getter_);
  EXPECT_EQ(bad_name.result(), http::status::bad_request);
  EXPECT_NE(bad_name.body().find(R"(invalid label name: \"a-b\")"), std::string::npos);
  EXPECT_EQ(HandleLabelValues(Get("/api/v1/label/a/b/values"), getter_).result(),
            http::status::not_found);
  EXPECT_EQ(HandleLabelValues(Get("/api/v1/label/job/valuez"), getter_).result(),
            http::status::not_found);
}

TEST_F(HistoryApiTest, EveryRouteIs503WithoutAStore) {
  StoreGetter none = [] { return std::shared_ptr<storage::Store>(); };
  Routes routes = HistoryApiRoutes(none);
  ASSERT_EQ(routes.size(), 5u);
  for (const Route& route : routes) {
    EXPECT_FALSE(route.doc.empty()) << route.path;
    EXPECT_TRUE(route.heavy) << route.path;
    std::string target = route.prefix ? route.path + "job/values" : route.path;
    HttpRequest request{route.methods.front(), target, 11};
    http::status status = route.stream ? route.stream(request).head.result()
                                       : route.handler(request).result();
    EXPECT_EQ(status, http::status::service_unavailable) << route.path;
  }
}

}  // namespace
}  // namespace metricsd::query
