#include "daemon/analytics/analytics_api.h"

#include <chrono>

#include "daemon/analytics/analytics_service.h"
#include "daemon/analytics/annotation_api.h"
#include "daemon/analytics/baseline.h"
#include "daemon/analytics/report.h"
#include "daemon/query/api_json.h"
#include "daemon/query/api_params.h"
#include "daemon/analytics/numbers.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {
namespace {

using query::ApiError;
using query::ApiErrorType;
using query::ApiSuccess;

constexpr std::string_view kReportsPrefix = "/api/v1/reports/";

bool Form(const HttpRequest& request, query::FormValues& form, HttpResponse& error_response) {
  std::string error;
  if (query::ParseRequestForm(request, &form, &error)) return true;
  error_response = ApiError(request, ApiErrorType::kBadData, error);
  return false;
}

// Baselines and reports answer only while analytics runs (the dashboard's features.analytics):
// made without data they would be empty, and an empty report reads as "nothing is wrong".
bool Running(const HttpRequest& request, const AnalyticsService& service,
             const std::shared_ptr<const AnalyticsConfig>& config, HttpResponse& error_response) {
  if (!config) {
    error_response = ApiError(request, ApiErrorType::kUnavailable, "analytics is not configured");
    return false;
  }
  std::string why = service.WhyInactive(*config);
  if (why.empty()) return true;
  error_response = ApiError(request, ApiErrorType::kUnavailable, why);
  return false;
}

HttpResponse ServeFindings(const HttpRequest& request, AnalyticsService& service) {
  query::FormValues form;
  HttpResponse bad;
  if (!Form(request, form, bad)) return bad;
  const std::string kind = form.First("kind").value_or("");
  const std::string watch = form.First("watch").value_or("");
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : service.MetricsSourceFindings()) {
    if (!kind.empty() && f.kind != kind) continue;
    if (!watch.empty() && f.watch != watch) continue;
    findings.push_back(FindingToJson(f));
  }
  RefreshStats stats = service.RefreshStatistics();
  nlohmann::json data = {{"findings", std::move(findings)},
                         {"refreshed", stats.last_timestamp_seconds},
                         {"refreshDurationSeconds", stats.duration_seconds}};
  return ApiSuccess(request, data.dump());
}

HttpResponse ServeBaselines(const HttpRequest& request, AnalyticsService& service) {
  query::FormValues form;
  HttpResponse bad;
  if (!Form(request, form, bad)) return bad;
  std::shared_ptr<const AnalyticsConfig> config = service.config();
  if (!Running(request, service, config, bad)) return bad;
  const std::string name = form.First("watch").value_or("");
  if (name.empty()) return ApiError(request, ApiErrorType::kBadData, "watch is required");
  const Watch* watch = config->FindWatch(name);
  if (watch == nullptr) {
    return ApiError(request, ApiErrorType::kBadData, "unknown watch \"" + name + "\"");
  }
  std::unique_ptr<QueryEngine> engine = service.Engine(*config);
  AnalysisContext context{.engine = *engine, .config = *config, .now = WallClockMillis(), .db = service.db()};
  std::string error;
  nlohmann::json json = BaselinesJsonFor(context, *watch, &error);
  if (!error.empty()) return ApiError(request, ApiErrorType::kExecution, error);
  return ApiSuccess(request, json.dump());
}

HttpResponse ServeReport(const HttpRequest& request, AnalyticsService& service) {
  query::FormValues form;
  HttpResponse bad;
  if (!Form(request, form, bad)) return bad;
  std::string_view path(request.target().data(), request.target().size());
  path = path.substr(0, path.find('?'));
  std::string name(path.substr(kReportsPrefix.size()));
  const std::string format = form.First("format").value_or("html");
  if (format != "json" && format != "md" && format != "html") {
    return ApiError(request, ApiErrorType::kBadData, "format must be json, md or html");
  }
  if (!Running(request, service, service.config(), bad)) return bad;
  std::optional<ReportDocument> document = service.MakeReport(name);
  if (!document) {
    HttpResponse response = MakeResponse(request, http::status::not_found,
                                         "no report named \"" + name + "\" in analytics.reports\n");
    return response;
  }
  return MakeResponse(request, http::status::ok, RenderReport(*document, format),
                      ReportContentType(format));
}

}  // namespace

Routes AnalyticsRoutes(AnalyticsService* service) {
  Routes routes = {
      Route{.path = "/api/v1/analytics/findings",
            .methods = {http::verb::get, http::verb::post},
            .handler = [service](const HttpRequest& r) { return ServeFindings(r, *service); },
            .doc = "Analytics: current findings (regressions, degradations, possible leaks, "
                   "resources running out); `kind`, `watch` filter."},
      Route{.path = "/api/v1/analytics/baselines",
            .methods = {http::verb::get, http::verb::post},
            .handler = [service](const HttpRequest& r) { return ServeBaselines(r, *service); },
            .heavy = true,
            .doc = "Analytics: the stored (versioned) baselines of `watch`, per series and "
                   "hour-of-week."},
      Route{.path = std::string(kReportsPrefix),
            .prefix = true,
            .methods = {http::verb::get},
            .handler = [service](const HttpRequest& r) { return ServeReport(r, *service); },
            .heavy = true,
            .doc = "Analytics: report `<name>` of analytics.reports made now; `format` json, md "
                   "or html (default)."},
  };
  AppendRoutes(routes, AnnotationRoutes([service]() -> AnalyticsDb* {
                 return service == nullptr ? nullptr : service->db();
               }));
  // The impact of an annotation needs the database and an engine: none before both exist.
  AppendRoutes(routes, ImpactRoutes([service](const auto& analyse) {
                 std::shared_ptr<const AnalyticsConfig> config = service->config();
                 AnalyticsDb* db = service->db();
                 if (!config || db == nullptr) return false;
                 std::unique_ptr<QueryEngine> engine = service->Engine(*config);
                 AnalysisContext context{
                     .engine = *engine, .config = *config, .now = WallClockMillis(), .db = db};
                 analyse(context);
                 return true;
               }));
  return routes;
}

}  // namespace metricsd::analytics
