#include "daemon/web/dashboard_routes.h"

#include <nlohmann/json.hpp>

#include "daemon/core/duration.h"
#include "daemon/http/gzip.h"
#include "daemon/web/embedded_assets.h"
#include "daemon/web/link_page.h"

namespace metricsd::web {
namespace {

constexpr std::string_view kAssetsPrefix = "/assets/";

void SetSecurityHeaders(HttpResponse& response) {
  response.set("Content-Security-Policy", kContentSecurityPolicy);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
}

// An embedded file with its validator: the browser revalidates (no-cache) and gets 304 while
// the binary is the same, so an upgraded daemon never serves a stale script from cache.
HttpResponse ServeAsset(const HttpRequest& request, const EmbeddedAsset& asset) {
  const std::string& etag = AssetETag(asset);
  HttpResponse response;
  if (request[http::field::if_none_match] == etag) {
    response = MakeResponse(request, http::status::not_modified, "");
  } else if (AcceptsGzip(request[http::field::accept_encoding]) && asset.bytes.size() > 1024) {
    response = MakeResponse(request, http::status::ok, AssetGzip(asset),
                            AssetContentType(asset.name));
    response.set(http::field::content_encoding, "gzip");
  } else {
    response = MakeResponse(request, http::status::ok, std::string(asset.bytes),
                            AssetContentType(asset.name));
  }
  response.set(http::field::etag, etag);
  response.set(http::field::cache_control, "no-cache");
  response.set(http::field::vary, "Accept-Encoding");
  SetSecurityHeaders(response);
  return response;
}

HttpResponse NotFound(const HttpRequest& request) {
  HttpResponse response = MakeResponse(request, http::status::not_found, "404 page not found\n");
  SetSecurityHeaders(response);
  return response;
}

nlohmann::json EndpointsJson(const Routes& endpoints) {
  nlohmann::json list = nlohmann::json::array();
  for (const Route& route : endpoints) {
    bool get = false;
    for (http::verb verb : route.methods) get = get || verb == http::verb::get;
    list.push_back({{"path", route.path},
                    {"methods", MethodsText(route)},
                    {"get", get && !route.prefix},
                    {"doc", route.doc}});
  }
  return list;
}

HttpResponse ServeDashboardApi(const HttpRequest& request, const DashboardView& view,
                               const Routes& endpoints) {
  nlohmann::json data = {
      {"version", view.version},
      {"revision", view.revision},
      {"config_file", view.config_file},
      {"enabled", view.config != nullptr},
      {"features",
       {{"history", view.history}, {"analytics", view.analytics}, {"alerting", view.alerting}}},
      {"reports", view.reports},
      {"endpoints", EndpointsJson(endpoints)}};
  if (view.config) {
    const DashboardConfig& config = *view.config;
    data["refresh_ms"] = config.refresh.count();
    data["min_step_ms"] = config.min_step.count();
    data["max_points"] = config.max_points;
    nlohmann::json pages = nlohmann::json::array();
    for (const Page& page : config.pages) pages.push_back(PageSection().Render(page));
    data["pages"] = std::move(pages);
  }
  nlohmann::json answer = {{"status", "success"}, {"data", std::move(data)}};
  HttpResponse response =
      MakeResponse(request, http::status::ok, answer.dump() + "\n", "application/json");
  response.set(http::field::cache_control, "no-store");
  SetSecurityHeaders(response);
  return response;
}

}  // namespace

Routes DashboardRoutes(std::function<DashboardView()> view, const Routes* endpoints) {
  Routes routes;
  routes.push_back(Route{
      .path = "/",
      .methods = {http::verb::get},
      .handler =
          [view, endpoints](const HttpRequest& request) {
            if (request.target() != "/" && !request.target().starts_with("/?")) {
              return NotFound(request);
            }
            DashboardView now = view();
            if (!now.config) {
              HttpResponse response = MakeResponse(
                  request, http::status::ok,
                  RenderLinkPage(now.version, now.revision, now.config_file, *endpoints),
                  "text/html; charset=utf-8");
              SetSecurityHeaders(response);
              return response;
            }
            return ServeAsset(request, *FindAsset("index.html"));
          },
      .doc = "the dashboard (Overview, Game, Host, Probes, Alerts, Explore, Reports, Endpoints); "
             "with `dashboard.enabled: false` a plain list of these endpoints"});
  routes.push_back(Route{
      .path = std::string(kAssetsPrefix),
      .prefix = true,
      .methods = {http::verb::get},
      .handler =
          [view](const HttpRequest& request) {
            std::string_view path = request.target();
            path = path.substr(0, path.find('?'));
            const EmbeddedAsset* asset = FindAsset(path.substr(kAssetsPrefix.size()));
            if (asset == nullptr || !view().config) return NotFound(request);
            return ServeAsset(request, *asset);
          },
      .doc = "the dashboard's files, embedded in the binary (uPlot, its modules and styles)"});
  routes.push_back(Route{
      .path = "/api/v1/dashboard",
      .methods = {http::verb::get},
      .handler =
          [view, endpoints](const HttpRequest& request) {
            return ServeDashboardApi(request, view(), *endpoints);
          },
      .doc = "the dashboard's pages and panels (`dashboard.pages`), refresh and step settings, "
             "which features answer, report names and every endpoint"});
  return routes;
}

}  // namespace metricsd::web
