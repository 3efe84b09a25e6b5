// The analytics database and the annotations API over it, in temporary directories: round
// trips, filters, versioning, a corrupt file moved aside, reopening, a file-size limit standing
// for a full disk, and the API's answers (200, 400 with a message, 404, 503).
#include "daemon/analytics/analytics_db.h"

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon/analytics/annotation_api.h"
#include "tests/unit/support/temp_dir.h"

namespace metricsd::analytics {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

Annotation Make(Timestamp time, std::vector<std::string> tags, std::string text, Timestamp end = -1) {
  Annotation a;
  a.time = time;
  a.time_end = end < 0 ? time : end;
  a.tags = std::move(tags);
  a.text = std::move(text);
  return a;
}

std::vector<std::int64_t> Ids(const std::vector<Annotation>& annotations) {
  std::vector<std::int64_t> ids;
  for (const Annotation& a : annotations) ids.push_back(a.id);
  return ids;
}

TEST(AnalyticsDbTest, AnnotationsRoundTripAndFilterByTimeTagsAndLimit) {
  TempDir dir;
  auto db = AnalyticsDb::Open(dir.path());
  const std::int64_t a = db->AddAnnotation(Make(1000, {"deploy", "v1"}, "first"));
  const std::int64_t b = db->AddAnnotation(Make(2000, {"deploy", "optimization"}, "second", 2500));
  const std::int64_t c = db->AddAnnotation(Make(3000, {}, "third"));
  Annotation dog = Make(4000, {"event"}, "from statsd");
  dog.source = "dogstatsd";
  dog.dashboard_uid = "abc";
  dog.panel_id = 7;
  const std::int64_t d = db->AddAnnotation(dog);
  EXPECT_LT(a, b);

  std::optional<Annotation> got = db->GetAnnotation(d);
  ASSERT_TRUE(got.has_value());
  dog.id = d;
  EXPECT_EQ(*got, dog);

  EXPECT_EQ(Ids(db->Annotations(0, 10000, {}, 100)), (std::vector<std::int64_t>{d, c, b, a})) << "newest first";
  EXPECT_EQ(Ids(db->Annotations(2400, 3000, {}, 100)), (std::vector<std::int64_t>{c, b}))
      << "an interval annotation [2000, 2500] overlaps [2400, 3000]";
  EXPECT_EQ(Ids(db->Annotations(2600, 2900, {}, 100)), std::vector<std::int64_t>{});
  EXPECT_EQ(Ids(db->Annotations(0, 10000, {"deploy"}, 100)), (std::vector<std::int64_t>{b, a}));
  EXPECT_EQ(Ids(db->Annotations(0, 10000, {"deploy", "optimization"}, 100)), std::vector<std::int64_t>{b})
      << "every tag given must be on it";
  EXPECT_EQ(Ids(db->Annotations(0, 10000, {"nothing"}, 100)), std::vector<std::int64_t>{});
  EXPECT_EQ(Ids(db->Annotations(0, 10000, {"v1", "event"}, 100, /*match_any=*/true)), (std::vector<std::int64_t>{d, a}));
  EXPECT_EQ(Ids(db->Annotations(0, 10000, {}, 2)), (std::vector<std::int64_t>{d, c}));
  EXPECT_EQ(Ids(db->Annotations(0, 10000, {"deploy"}, 1)), std::vector<std::int64_t>{b});

  EXPECT_TRUE(db->DeleteAnnotation(c));
  EXPECT_FALSE(db->DeleteAnnotation(c)) << "already gone";
  EXPECT_FALSE(db->GetAnnotation(c).has_value());
  EXPECT_EQ(Ids(db->Annotations(0, 10000, {}, 100)), (std::vector<std::int64_t>{d, b, a}));
}

TEST(AnalyticsDbTest, RefusesInvalidAnnotations) {
  TempDir dir;
  auto db = AnalyticsDb::Open(dir.path());
  EXPECT_THROW(db->AddAnnotation(Make(1, {}, "")), std::invalid_argument);
  EXPECT_THROW(db->AddAnnotation(Make(1, {}, std::string(kMaxAnnotationText + 1, 'x'))), std::invalid_argument);
  EXPECT_THROW(db->AddAnnotation(Make(1, {std::string(kMaxAnnotationTagBytes + 1, 't')}, "x")), std::invalid_argument);
  EXPECT_THROW(db->AddAnnotation(Make(10, {}, "x", 5)), std::invalid_argument) << "ends before it starts";
  EXPECT_EQ(db->AddAnnotation(Make(1, {}, std::string(kMaxAnnotationText, 'x'))), 1) << "at the limit is fine";
}

TEST(AnalyticsDbTest, BaselinesAreVersionedAndCapped) {
  TempDir dir;
  auto db = AnalyticsDb::Open(dir.path());
  EXPECT_FALSE(db->LatestBaselines("w").has_value());
  for (int i = 1; i <= 15; ++i) {
    EXPECT_EQ(db->PutBaselines("w", 1000 * i, "{\"n\":" + std::to_string(i) + "}"), i);
  }
  EXPECT_EQ(db->PutBaselines("other", 5, "{}"), 1) << "versions count per watch";
  std::optional<StoredBaselines> latest = db->LatestBaselines("w");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->version, 15);
  EXPECT_EQ(latest->computed_at, 15000);
  EXPECT_EQ(latest->json, "{\"n\":15}");
  const std::vector<StoredBaselines> versions = db->BaselineVersions("w");
  ASSERT_EQ(versions.size(), static_cast<std::size_t>(kBaselineVersionsKept));
  EXPECT_EQ(versions.front().version, 15);
  EXPECT_EQ(versions.back().version, 6);
}

TEST(AnalyticsDbTest, ImpactsKeepTheLatestAndGoWithTheirAnnotation) {
  TempDir dir;
  auto db = AnalyticsDb::Open(dir.path());
  const std::int64_t id = db->AddAnnotation(Make(1, {"x"}, ""));
  EXPECT_FALSE(db->LatestImpact(id).has_value());
  for (int i = 1; i <= 8; ++i) db->PutImpact(id, i, "{\"run\":" + std::to_string(i) + "}");
  EXPECT_EQ(db->LatestImpact(id).value_or(""), "{\"run\":8}");
  db->RecordReportRun("daily", 5, "md", "ok");
  EXPECT_TRUE(db->DeleteAnnotation(id));
  EXPECT_FALSE(db->LatestImpact(id).has_value());
}

TEST(AnalyticsDbTest, ReopeningKeepsEverything) {
  TempDir dir;
  std::int64_t id = 0;
  {
    auto db = AnalyticsDb::Open(dir.path());
    id = db->AddAnnotation(Make(42, {"a"}, "kept"));
    db->PutBaselines("w", 7, "{}");
    db->PutImpact(id, 9, "{\"x\":1}");
  }
  auto db = AnalyticsDb::Open(dir.path());
  EXPECT_TRUE(db->moved_aside().empty());
  ASSERT_TRUE(db->GetAnnotation(id).has_value());
  EXPECT_EQ(db->GetAnnotation(id)->text, "kept");
  EXPECT_EQ(db->LatestBaselines("w").value_or(StoredBaselines{}).version, 1);
  EXPECT_EQ(db->LatestImpact(id).value_or(""), "{\"x\":1}");
  EXPECT_GT(db->AddAnnotation(Make(43, {"b"}, "")), id) << "ids are never reused";
}

TEST(AnalyticsDbTest, ACorruptFileIsMovedAsideAndAFreshOneCreated) {
  TempDir dir;
  {
    std::ofstream garbage(dir / "analytics.db", std::ios::binary);
    for (int i = 0; i < 1000; ++i) garbage << "this is not a SQLite database ";
  }
  std::unique_ptr<AnalyticsDb> db;
  ASSERT_NO_THROW(db = AnalyticsDb::Open(dir.path()));
  EXPECT_THAT(db->moved_aside(), HasSubstr("analytics.db.corrupt-"));
  EXPECT_TRUE(fs::exists(db->moved_aside()));
  EXPECT_EQ(fs::file_size(db->moved_aside()), 30000u) << "the old bytes are kept for a post-mortem";
  EXPECT_EQ(db->AddAnnotation(Make(1, {"fresh"}, "")), 1);
  EXPECT_EQ(db->Annotations(0, 10, {}, 10).size(), 1u);
}

TEST(AnalyticsDbTest, AnotherProgramsDatabaseIsRefusedAndLeftAlone) {
  TempDir dir;
  {
    auto db = AnalyticsDb::Open(dir.path());
    db->AddAnnotation(Make(1, {"a"}, ""));
  }
  // Its application id changed: now it reads as a foreign SQLite file.
  {
    auto path = dir / "analytics.db";
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(68);  // the header's application_id
    const char foreign[4] = {'X', 'X', 'X', 'X'};
    file.write(foreign, 4);
  }
  try {
    AnalyticsDb::Open(dir.path());
    ADD_FAILURE() << "opened another program's database";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("another program"));
    EXPECT_THAT(e.what(), HasSubstr(dir.path()));
  }
  EXPECT_TRUE(fs::exists(dir / "analytics.db"));
}

TEST(AnalyticsDbTest, AnUncreatableDirectoryThrowsNamingThePath) {
  TempDir dir;
  { std::ofstream file(dir / "a_file"); }
  try {
    AnalyticsDb::Open(dir / "a_file");
    ADD_FAILURE() << "opened under a file";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir / "a_file"));
  }
}

// RLIMIT_FSIZE stands for a disk that refuses to grow a file: the write throws a message,
// nothing crashes, and the next write works once the limit is lifted.
TEST(AnalyticsDbTest, AFullDiskThrowsAClearErrorAndRecovers) {
  TempDir dir;
  auto db = AnalyticsDb::Open(dir.path());
  db->AddAnnotation(Make(1, {"a"}, "before the limit"));
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = 256 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::string message;
  for (int i = 0; i < 20 && message.empty(); ++i) {
    try {
      db->AddAnnotation(Make(2 + i, {"big"}, std::string(kMaxAnnotationText, 'x')));
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
  }
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_THAT(message, HasSubstr("analytics.db"));
  EXPECT_THAT(message, HasSubstr("cannot add an annotation"));
  EXPECT_GT(db->AddAnnotation(Make(100, {"after"}, "room again")), 0);
  EXPECT_EQ(db->Annotations(100, 100, {}, 10).size(), 1u);
}

// The API.

HttpRequest Request(http::verb verb, std::string target, std::string body = "") {
  HttpRequest request{verb, target, 11};
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
  }
  return request;
}

nlohmann::json Body(const HttpResponse& response) { return nlohmann::json::parse(response.body()); }

class AnnotationApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = AnalyticsDb::Open(dir_.path());
    getter_ = [this] { return db_.get(); };
  }
  HttpResponse Call(http::verb verb, const std::string& target, std::string body = "") {
    HttpRequest request = Request(verb, target, std::move(body));
    return target.starts_with("/api/v1/annotations/") ? HandleAnnotationById(request, getter_)
                                                      : HandleAnnotations(request, getter_);
  }
  void ExpectBadRequest(const std::string& body, const std::string& message) {
    const HttpResponse response = Call(http::verb::post, "/api/v1/annotations", body);
    EXPECT_EQ(response.result(), http::status::bad_request) << body;
    EXPECT_THAT(Body(response).value("message", ""), HasSubstr(message)) << body;
  }

  TempDir dir_;
  std::unique_ptr<AnalyticsDb> db_;
  AnalyticsDbGetter getter_;
};

TEST_F(AnnotationApiTest, PostGetDeleteInGrafanasShape) {
  HttpResponse added = Call(http::verb::post, "/api/v1/annotations",
                            R"({"time": 1700000000000, "timeEnd": 1700000600000, "tags": ["deploy", "v2"],
                                "text": "Deployed v2", "dashboardUID": "jcIIG-07z", "panelId": 2})");
  ASSERT_EQ(added.result(), http::status::ok) << added.body();
  EXPECT_EQ(added[http::field::content_type], "application/json");
  const nlohmann::json added_json = Body(added);
  EXPECT_EQ(added_json["message"], "Annotation added");
  const std::int64_t id = added_json["id"];
  Call(http::verb::post, "/api/v1/annotations", R"({"time": 1600000000000, "tags": ["old"], "text": "older"})");

  HttpResponse listed = Call(http::verb::get, "/api/v1/annotations?from=1699999999000&to=1800000000000&tags=deploy&limit=10");
  ASSERT_EQ(listed.result(), http::status::ok) << listed.body();
  const nlohmann::json list = Body(listed);
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_EQ(list[0]["time"], 1700000000000);
  EXPECT_EQ(list[0]["timeEnd"], 1700000600000);
  EXPECT_EQ(list[0]["tags"], nlohmann::json({"deploy", "v2"}));
  EXPECT_EQ(list[0]["text"], "Deployed v2");
  EXPECT_EQ(list[0]["dashboardUID"], "jcIIG-07z");
  EXPECT_EQ(list[0]["panelId"], 2);
  EXPECT_EQ(Body(Call(http::verb::get, "/api/v1/annotations")).size(), 2u) << "no range: everything";
  EXPECT_EQ(Body(Call(http::verb::get, "/api/v1/annotations?tags=deploy&tags=v3")).size(), 0u);
  EXPECT_EQ(Body(Call(http::verb::get, "/api/v1/annotations?tags=old&tags=v2&matchAny=true")).size(), 2u);

  HttpResponse one = Call(http::verb::get, "/api/v1/annotations/" + std::to_string(id));
  EXPECT_EQ(one.result(), http::status::ok);
  EXPECT_EQ(Body(one)["text"], "Deployed v2");

  HttpResponse deleted = Call(http::verb::delete_, "/api/v1/annotations/" + std::to_string(id));
  EXPECT_EQ(deleted.result(), http::status::ok);
  EXPECT_EQ(Body(deleted)["message"], "Annotation deleted");
  EXPECT_EQ(Call(http::verb::delete_, "/api/v1/annotations/" + std::to_string(id)).result(), http::status::not_found);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/annotations/" + std::to_string(id)).result(), http::status::not_found);
}

TEST_F(AnnotationApiTest, AMissingTimeIsNowAndTimeEndZeroIsAPoint) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  HttpResponse added = Call(http::verb::post, "/api/v1/annotations", R"({"text": "now", "timeEnd": 0})");
  ASSERT_EQ(added.result(), http::status::ok) << added.body();
  std::optional<Annotation> a = db_->GetAnnotation(Body(added)["id"]);
  ASSERT_TRUE(a.has_value());
  EXPECT_GE(a->time, before);
  EXPECT_EQ(a->time_end, a->time);
  EXPECT_EQ(a->source, "api");
}

TEST_F(AnnotationApiTest, BadInputIs400WithAMessage) {
  const std::uint64_t refused_before = AnnotationsRefused();
  ExpectBadRequest("{not json", "not valid JSON");
  ExpectBadRequest("[1, 2]", "JSON object");
  ExpectBadRequest(R"({"time": 1})", "needs \"text\" or \"tags\"");
  ExpectBadRequest(R"({"time": "yesterday", "text": "x"})", "\"time\" must be a number");
  ExpectBadRequest(R"({"time": 10, "timeEnd": 5, "text": "x"})", "before");
  ExpectBadRequest(R"({"tags": "deploy"})", "array of strings");
  ExpectBadRequest(R"({"tags": [1]})", "array of strings");
  ExpectBadRequest(R"({"text": 5})", "\"text\" must be a string");
  ExpectBadRequest(nlohmann::json({{"text", std::string(kMaxAnnotationText + 1, 'x')}}).dump(), "over the limit");
  ExpectBadRequest(nlohmann::json({{"text", std::string(kMaxAnnotationBodyBytes, 'x')}}).dump(), "body is over");
  ExpectBadRequest(nlohmann::json({{"tags", std::vector<std::string>(kMaxAnnotationTags + 1, "t")}}).dump(), "tags");
  EXPECT_EQ(AnnotationsRefused() - refused_before, 11u) << "each refusal is counted";

  for (const char* target : {"/api/v1/annotations?from=abc", "/api/v1/annotations?limit=0",
                             "/api/v1/annotations?limit=-3", "/api/v1/annotations/xyz"}) {
    HttpResponse response = Call(http::verb::get, target);
    EXPECT_EQ(response.result(), http::status::bad_request) << target;
    EXPECT_FALSE(Body(response).value("message", "").empty()) << target;
  }
  EXPECT_TRUE(db_->Annotations(std::numeric_limits<Timestamp>::min(), std::numeric_limits<Timestamp>::max(), {}, 10)
                  .empty());
}

TEST(AnnotationApiUnavailableTest, WithoutADatabaseEveryRouteIs503) {
  const Routes routes = AnnotationRoutes([] { return nullptr; });
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].path, "/api/v1/annotations");
  EXPECT_EQ(routes[1].path, "/api/v1/annotations/");
  EXPECT_TRUE(routes[1].prefix);
  const std::pair<const Route*, HttpRequest> calls[] = {
      {&routes[0], Request(http::verb::post, "/api/v1/annotations", R"({"text": "x"})")},
      {&routes[0], Request(http::verb::get, "/api/v1/annotations")},
      {&routes[1], Request(http::verb::delete_, "/api/v1/annotations/1")},
  };
  for (const auto& [route, request] : calls) {
    HttpResponse response = route->handler(request);
    EXPECT_EQ(response.result(), http::status::service_unavailable) << request.target();
    EXPECT_THAT(Body(response).value("message", ""), HasSubstr("not open"));
  }
}

}  // namespace
}  // namespace metricsd::analytics
