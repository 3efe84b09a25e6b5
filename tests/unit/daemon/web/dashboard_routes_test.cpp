#include "daemon/web/dashboard_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon/http/router.h"
#include "daemon/query/request_body.h"
#include "daemon/web/embedded_assets.h"

namespace metricsd::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DashboardRoutesTest : public ::testing::Test {
 protected:
  DashboardRoutesTest() {
    view_.config = std::make_shared<const DashboardConfig>();
    view_.config_file = "/etc/metricsd/metricsd.yaml";
    view_.version = "1.2.3";
    view_.revision = "abc";
    view_.history = true;
    view_.reports = {"weekly"};
    endpoints_.push_back(Route{.path = "/metrics", .methods = {http::verb::get}, .doc = "metrics"});
    endpoints_.push_back(
        Route{.path = "/-/reload", .methods = {http::verb::post}, .doc = "reload the `config`"});
    routes_ = DashboardRoutes([this] { return view_; }, &endpoints_);
  }

  HttpResponse Get(std::string target, std::initializer_list<std::pair<http::field, std::string>>
                                           headers = {}) {
    HttpRequest request{http::verb::get, target, 11};
    for (const auto& [field, value] : headers) request.set(field, value);
    std::string_view path = std::string_view(target).substr(0, target.find('?'));
    for (const Route& route : routes_) {
      if (route.prefix ? path.starts_with(route.path) : path == route.path) {
        return route.handler(request);
      }
    }
    ADD_FAILURE() << "no route for " << target;
    return HttpResponse{};
  }

  // The handler of route `path` itself, whatever the request's target.
  HttpResponse Call(std::string_view path, std::string target) {
    for (const Route& route : routes_) {
      if (route.path == path) return route.handler(HttpRequest{http::verb::get, target, 11});
    }
    ADD_FAILURE() << "no route " << path;
    return HttpResponse{};
  }

  DashboardView view_;
  Routes endpoints_;
  Routes routes_;
};

TEST_F(DashboardRoutesTest, RootServesTheDashboardWithItsCsp) {
  HttpResponse response = Get("/");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(response["Content-Security-Policy"], kContentSecurityPolicy);
  EXPECT_EQ(response.body(), FindAsset("index.html")->bytes);
  EXPECT_THAT(std::string(kContentSecurityPolicy), HasSubstr("default-src 'self'"));
  EXPECT_THAT(std::string(kContentSecurityPolicy), HasSubstr("script-src 'self'"));
  EXPECT_THAT(std::string(kContentSecurityPolicy), Not(HasSubstr("unsafe-inline")));
  // A query string is the same page (the page's own state is in the hash).
  EXPECT_EQ(Get("/?x=1").result(), http::status::ok);
}

TEST_F(DashboardRoutesTest, ServesUplotWithAValidator) {
  const EmbeddedAsset* uplot = FindAsset("uPlot.esm.js");
  ASSERT_NE(uplot, nullptr);
  HttpResponse response = Get("/assets/uPlot.esm.js");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_THAT(std::string(response[http::field::content_type]), HasSubstr("javascript"));
  EXPECT_EQ(response.body(), uplot->bytes);
  EXPECT_EQ(response["Content-Security-Policy"], kContentSecurityPolicy);
  std::string etag(response[http::field::etag]);
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');

  HttpResponse again = Get("/assets/uPlot.esm.js", {{http::field::if_none_match, etag}});
  EXPECT_EQ(again.result(), http::status::not_modified);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(again[http::field::etag], etag);

  EXPECT_EQ(Get("/assets/uPlot.esm.js", {{http::field::if_none_match, "\"other\""}}).result(),
            http::status::ok);
  EXPECT_THAT(std::string(Get("/assets/uPlot.min.css")[http::field::content_type]),
              HasSubstr("text/css"));
}

TEST_F(DashboardRoutesTest, GzipsForAClientThatAcceptsIt) {
  HttpResponse response =
      Get("/assets/uPlot.esm.js", {{http::field::accept_encoding, "gzip, deflate, br"}});
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::content_encoding], "gzip");
  EXPECT_EQ(response[http::field::vary], "Accept-Encoding");
  EXPECT_LT(response.body().size(), FindAsset("uPlot.esm.js")->bytes.size());
  query::DecodedBody inflated = query::Gunzip(response.body(), 8 << 20);
  ASSERT_EQ(inflated.error, query::BodyDecodeError::kNone) << inflated.message;
  EXPECT_EQ(inflated.text, FindAsset("uPlot.esm.js")->bytes);
}

TEST_F(DashboardRoutesTest, UnknownFilesAndPathsAre404) {
  EXPECT_EQ(Get("/assets/nope.js").result(), http::status::not_found);
  EXPECT_EQ(Get("/assets/../index.html").result(), http::status::not_found);
  EXPECT_EQ(Get("/assets/").result(), http::status::not_found);
  // The router answers 404 to a path no route takes; "/" itself serves only "/".
  Router router;
  router.Add(routes_);
  EXPECT_EQ(router.Handle(HttpRequest{http::verb::get, "/nope", 11}).result(),
            http::status::not_found);
  EXPECT_EQ(router.Handle(HttpRequest{http::verb::get, "/", 11}).result(), http::status::ok);
  HttpResponse response = Call("/", "/nope");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(response["Content-Security-Policy"], kContentSecurityPolicy);
}

TEST_F(DashboardRoutesTest, DashboardApiDescribesPagesFeaturesAndEndpoints) {
  HttpResponse response = Get("/api/v1/dashboard");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  nlohmann::json answer = nlohmann::json::parse(response.body());
  EXPECT_EQ(answer["status"], "success");
  const nlohmann::json& data = answer["data"];
  EXPECT_EQ(data["version"], "1.2.3");
  EXPECT_EQ(data["enabled"], true);
  EXPECT_EQ(data["features"],
            (nlohmann::json{{"history", true}, {"analytics", false}, {"alerting", false}}));
  EXPECT_EQ(data["reports"], nlohmann::json::array({"weekly"}));
  EXPECT_EQ(data["refresh_ms"], 5000);
  EXPECT_EQ(data["min_step_ms"], 10000);
  EXPECT_EQ(data["max_points"], 500);
  ASSERT_EQ(data["endpoints"].size(), 2u);
  EXPECT_EQ(data["endpoints"][0]["path"], "/metrics");
  EXPECT_EQ(data["endpoints"][0]["get"], true);
  EXPECT_EQ(data["endpoints"][1]["get"], false);
  EXPECT_EQ(data["endpoints"][1]["methods"], "POST");

  std::vector<Page> pages = DefaultPages();
  ASSERT_EQ(data["pages"].size(), pages.size());
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const nlohmann::json& page = data["pages"][i];
    EXPECT_EQ(page["id"], pages[i].id);
    EXPECT_EQ(page["title"], pages[i].title);
    ASSERT_EQ(page["panels"].size(), pages[i].panels.size());
    const nlohmann::json& panel = page["panels"][0];
    EXPECT_EQ(panel["expr"], pages[i].panels[0].expr);
    EXPECT_EQ(panel["kind"], kPanelKindNames.Name(pages[i].panels[0].kind));
    for (const char* key : {"title", "legend", "unit", "width", "description"}) {
      EXPECT_TRUE(panel.contains(key)) << key;
    }
  }
}

TEST_F(DashboardRoutesTest, OffServesThePlainLinkPage) {
  view_.config = nullptr;
  HttpResponse response = Get("/");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(response["Content-Security-Policy"], kContentSecurityPolicy);
  EXPECT_THAT(response.body(), HasSubstr("<a href=\"/metrics\">/metrics</a>"));
  EXPECT_THAT(response.body(), HasSubstr("POST /-/reload: reload the <code>config</code>"));
  EXPECT_THAT(response.body(), Not(HasSubstr("<script")));
  EXPECT_EQ(Get("/assets/uPlot.esm.js").result(), http::status::not_found);
  EXPECT_EQ(Get("/assets/index.html").result(), http::status::not_found);

  nlohmann::json data = nlohmann::json::parse(Get("/api/v1/dashboard").body())["data"];
  EXPECT_EQ(data["enabled"], false);
  EXPECT_FALSE(data.contains("pages"));
  EXPECT_EQ(data["endpoints"].size(), 2u);
}

TEST_F(DashboardRoutesTest, LinkPageEscapesHostileText) {
  view_.config = nullptr;
  view_.config_file = "/tmp/<script>alert(\"x\")</script>&.yaml";
  view_.version = "<b>1</b>";
  std::string body = Get("/").body();
  EXPECT_THAT(body, Not(HasSubstr("<script>")));
  EXPECT_THAT(body, Not(HasSubstr("<b>1</b>")));
  EXPECT_THAT(body, HasSubstr("/tmp/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;.yaml"));
  EXPECT_THAT(body, HasSubstr("&lt;b&gt;1&lt;/b&gt;"));
}

}  // namespace
}  // namespace metricsd::web
