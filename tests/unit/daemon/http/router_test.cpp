#include "daemon/http/router.h"

#include <memory>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace metricsd {
namespace {

HttpRequest Request(http::verb method, std::string target) {
  HttpRequest request{method, target, 11};
  return request;
}

struct Observed {
  std::string handler;
  unsigned status;
};

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(http::verb::get, "/metrics", [](const HttpRequest& r) {
      return MakeResponse(r, http::status::ok, "metrics");
    });
    router_.Add(http::verb::post, "/-/reload", [](const HttpRequest& r) {
      return MakeResponse(r, http::status::ok, "reloaded");
    });
    router_.Add(http::verb::get, "/boom", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("boom");
    });
    router_.SetObserver([this](std::string_view handler, unsigned status, double seconds) {
      EXPECT_GE(seconds, 0);
      observed_.push_back({std::string(handler), status});
    });
  }
  Router router_;
  std::vector<Observed> observed_;
};

TEST_F(RouterTest, RoutesByPathIgnoringQuery) {
  HttpResponse response = router_.Handle(Request(http::verb::get, "/metrics?debug=1"));
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "metrics");
  ASSERT_EQ(observed_.size(), 1u);
  EXPECT_EQ(observed_[0].handler, "/metrics");
  EXPECT_EQ(observed_[0].status, 200u);
}

TEST_F(RouterTest, HeadIsServedByTheGetHandler) {
  EXPECT_EQ(router_.Handle(Request(http::verb::head, "/metrics")).result(), http::status::ok);
}

TEST_F(RouterTest, UnknownPathIs404CountedAsOther) {
  EXPECT_EQ(router_.Handle(Request(http::verb::get, "/nope")).result(), http::status::not_found);
  ASSERT_EQ(observed_.size(), 1u);
  EXPECT_EQ(observed_[0].handler, "other");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  HttpResponse response = router_.Handle(Request(http::verb::get, "/-/reload"));
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response[http::field::allow], "POST");
  EXPECT_EQ(observed_.at(0).handler, "/-/reload");
  EXPECT_EQ(observed_.at(0).status, 405u);
}

TEST_F(RouterTest, ThrowingHandlerIs500) {
  EXPECT_EQ(router_.Handle(Request(http::verb::get, "/boom")).result(),
            http::status::internal_server_error);
}

TEST_F(RouterTest, PrefixRouteIsReportedUnderItsPattern) {
  router_.Add(Route{.path = "/api/v1/label/",
                    .prefix = true,
                    .methods = {http::verb::get},
                    .handler = [](const HttpRequest& r) {
                      return MakeResponse(r, http::status::ok, std::string(r.target()));
                    }});
  HttpResponse response = router_.Handle(Request(http::verb::get, "/api/v1/label/job/values"));
  EXPECT_EQ(response.body(), "/api/v1/label/job/values");
  ASSERT_EQ(observed_.size(), 1u);
  EXPECT_EQ(observed_[0].handler, "/api/v1/label/");
  EXPECT_FALSE(router_.Find(http::verb::get, "/api/v1/labels").found);
  EXPECT_TRUE(router_.Find(http::verb::get, "/api/v1/label/x/values?a=1").found);
}

TEST_F(RouterTest, StreamingRouteServedWholeByHandle) {
  router_.Add(Route{.path = "/s",
                    .methods = {http::verb::get},
                    .stream =
                        [](const HttpRequest& r) {
                          auto n = std::make_shared<int>(0);
                          return StreamedResponse{
                              .head = MakeResponse(r, http::status::ok, ""),
                              .next = [n](std::string& chunk) {
                                chunk = std::to_string(++*n);
                                return *n < 3;
                              }};
                        },
                    .heavy = true,
                    .max_body_bytes = 1 << 20});
  EXPECT_EQ(router_.Handle(Request(http::verb::get, "/s")).body(), "123");
  Router::Match match = router_.Find(http::verb::get, "/s");
  EXPECT_TRUE(match.stream);
  EXPECT_EQ(match.max_body_bytes, 1u << 20);
  EXPECT_EQ(router_.LargestBodyLimit(64 * 1024), 1u << 20);
  StreamedResponse streamed = router_.HandleStream(Request(http::verb::get, "/metrics"));
  EXPECT_FALSE(streamed.next);
  EXPECT_EQ(streamed.head.body(), "metrics");
}

TEST_F(RouterTest, MalformedRoutesAreRefusedWhenAdded) {
  auto handler = [](const HttpRequest& r) { return MakeResponse(r, http::status::ok, ""); };
  auto stream = [](const HttpRequest& r) {
    return StreamedResponse{.head = MakeResponse(r, http::status::ok, "")};
  };
  EXPECT_THROW(router_.Add(Route{.path = "/api/v1/label", .prefix = true, .handler = handler}),
               std::invalid_argument);
  EXPECT_THROW(router_.Add(Route{.path = "/s", .stream = stream}), std::invalid_argument);
  EXPECT_THROW(router_.Add(Route{.path = "/s", .handler = handler, .stream = stream, .heavy = true}),
               std::invalid_argument);
}

}  // namespace
}  // namespace metricsd
