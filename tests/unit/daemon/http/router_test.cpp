#include "daemon/http/router.h"

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

}  // namespace
}  // namespace metricsd
