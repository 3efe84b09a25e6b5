#include "daemon/analytics/annotation_api.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/analytics/impact.h"
#include "daemon/query/api_json.h"
#include "daemon/query/api_params.h"
#include "daemon/query/request_body.h"
#include "daemon/analytics/numbers.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {
namespace {

constexpr std::string_view kPath = "/api/v1/annotations";
constexpr std::string_view kPrefix = "/api/v1/annotations/";

std::atomic<std::uint64_t> refused{0};

HttpResponse Json(const HttpRequest& request, http::status status, const nlohmann::json& body) {
  return MakeResponse(request, status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                      "application/json");
}

HttpResponse Message(const HttpRequest& request, http::status status, const std::string& message) {
  if (status == http::status::bad_request) refused.fetch_add(1, std::memory_order_relaxed);
  return Json(request, status, {{"message", message}});
}

HttpResponse Unavailable(const HttpRequest& request) {
  return Message(request, http::status::service_unavailable,
                 "annotations need the analytics database, which is not open (analytics has "
                 "nothing to read: history is off and analytics.source is unset; or it is still "
                 "opening)");
}

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

HttpResponse Post(const HttpRequest& request, AnalyticsDb& db) {
  query::DecodedBody decoded = query::DecodeRequestBody(request, kMaxAnnotationBodyBytes);
  if (decoded.error == query::BodyDecodeError::kTooLarge ||
      (!decoded.decoded && request.body().size() > kMaxAnnotationBodyBytes)) {
    return Message(request, http::status::bad_request,
                   "the body is over the limit of " + std::to_string(kMaxAnnotationBodyBytes) + " bytes");
  }
  if (decoded.error != query::BodyDecodeError::kNone) {
    return Message(request, http::status::bad_request, "cannot read the body: " + decoded.message);
  }
  const std::string_view text = decoded.decoded ? std::string_view(decoded.text) : std::string_view(request.body());
  nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Message(request, http::status::bad_request, "the body is not valid JSON");
  Annotation annotation;
  if (std::string error = AnnotationFromJson(body, WallClockMillis(), &annotation); !error.empty()) {
    return Message(request, http::status::bad_request, error);
  }
  try {
    const std::int64_t id = db.AddAnnotation(std::move(annotation));
    return Json(request, http::status::ok, {{"id", id}, {"message", "Annotation added"}});
  } catch (const std::exception& e) {
    return Message(request, http::status::internal_server_error, e.what());
  }
}

HttpResponse Get(const HttpRequest& request, AnalyticsDb& db) {
  query::FormValues form;
  std::string error;
  if (!query::ParseRequestForm(request, &form, &error)) {
    return Message(request, http::status::bad_request, "cannot parse the query string: " + error);
  }
  Timestamp from = std::numeric_limits<Timestamp>::min(), to = std::numeric_limits<Timestamp>::max();
  for (auto [name, value] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (std::optional<std::string> text = form.First(name); text && !text->empty()) {
      std::optional<std::int64_t> ms = ParseInt(*text);
      if (!ms) {
        return Message(request, http::status::bad_request,
                       std::string("\"") + name + "\" must be milliseconds since the epoch, got \"" + *text + "\"");
      }
      *value = *ms;
    }
  }
  std::size_t limit = kDefaultAnnotationLimit;
  if (std::optional<std::string> text = form.First("limit"); text && !text->empty()) {
    std::optional<std::int64_t> n = ParseInt(*text);
    if (!n || *n < 1) {
      return Message(request, http::status::bad_request, "\"limit\" must be a positive integer, got \"" + *text + "\"");
    }
    limit = static_cast<std::size_t>(std::min<std::int64_t>(*n, kMaxAnnotationLimit));
  }
  std::vector<std::string> tags;
  for (std::string& tag : form.All("tags")) {
    if (!tag.empty()) tags.push_back(std::move(tag));
  }
  try {
    nlohmann::json out = nlohmann::json::array();
    const std::string match_any = form.First("matchAny").value_or("");
    for (const Annotation& a : db.Annotations(from, to, tags, limit, match_any == "true" || match_any == "1")) {
      out.push_back(AnnotationToJson(a));
    }
    return Json(request, http::status::ok, out);
  } catch (const std::exception& e) {
    return Message(request, http::status::internal_server_error, e.what());
  }
}

}  // namespace

std::uint64_t AnnotationsRefused() { return refused.load(std::memory_order_relaxed); }

HttpResponse HandleAnnotations(const HttpRequest& request, const AnalyticsDbGetter& get_db) {
  AnalyticsDb* db = get_db ? get_db() : nullptr;
  if (db == nullptr) return Unavailable(request);
  if (request.method() == http::verb::post) return Post(request, *db);
  return Get(request, *db);
}

HttpResponse HandleAnnotationById(const HttpRequest& request, const AnalyticsDbGetter& get_db) {
  std::string_view path = request.target();
  path = path.substr(0, path.find('?'));
  std::optional<std::int64_t> id;
  if (path.starts_with(kPrefix)) id = ParseInt(path.substr(kPrefix.size()));
  if (!id) {
    return Message(request, http::status::bad_request,
                   "expected /api/v1/annotations/<id> with a numeric id, got " + std::string(path));
  }
  AnalyticsDb* db = get_db ? get_db() : nullptr;
  if (db == nullptr) return Unavailable(request);
  try {
    if (request.method() == http::verb::delete_) {
      if (!db->DeleteAnnotation(*id)) return Message(request, http::status::not_found, "Annotation not found");
      return Json(request, http::status::ok, {{"message", "Annotation deleted"}});
    }
    std::optional<Annotation> annotation = db->GetAnnotation(*id);
    if (!annotation) return Message(request, http::status::not_found, "Annotation not found");
    return Json(request, http::status::ok, AnnotationToJson(*annotation));
  } catch (const std::exception& e) {
    return Message(request, http::status::internal_server_error, e.what());
  }
}

HttpResponse HandleImpact(const HttpRequest& request, const ContextRunner& run) {
  using query::ApiError;
  using query::ApiErrorType;
  query::FormValues form;
  std::string error;
  if (!query::ParseRequestForm(request, &form, &error)) {
    return ApiError(request, ApiErrorType::kBadData, "error parsing form values: " + error);
  }
  const std::optional<std::string> id_text = form.First("id");
  const std::optional<std::int64_t> id = id_text ? ParseInt(*id_text) : std::nullopt;
  if (!id) {
    return ApiError(request, ApiErrorType::kBadData,
                    "invalid parameter \"id\": expected an annotation id, got \"" + id_text.value_or("") + "\"");
  }
  const std::string fresh_text = form.First("fresh").value_or("");
  const bool fresh = fresh_text == "1" || fresh_text == "true";
  std::optional<HttpResponse> response;
  const bool ran = run && run([&](const AnalysisContext& context) {
    if (context.db == nullptr) {
      response = ApiError(request, ApiErrorType::kUnavailable,
                          "impact analysis needs the analytics database, which is not open");
      return;
    }
    try {
      std::optional<Annotation> annotation = context.db->GetAnnotation(*id);
      if (!annotation) {
        nlohmann::json body = {{"status", "error"}, {"errorType", "not_found"},
                               {"error", "no annotation with id " + std::to_string(*id)}};
        response = MakeResponse(request, http::status::not_found, body.dump() + "\n", "application/json");
        return;
      }
      if (!fresh) {
        if (std::optional<std::string> stored = context.db->LatestImpact(*id)) {
          nlohmann::json json = nlohmann::json::parse(*stored, nullptr, /*allow_exceptions=*/false);
          // A stored result is final only once its after window was complete.
          if (json.is_object() && json.value(nlohmann::json::json_pointer("/windows/after_complete"), false)) {
            response = query::ApiSuccess(request, *stored);
            return;
          }
        }
      }
      const nlohmann::json json = ImpactOf(context, *annotation);
      response = query::ApiSuccess(request, json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } catch (const std::exception& e) {
      response = ApiError(request, ApiErrorType::kInternal, e.what());
    }
  });
  if (!ran || !response) {
    return ApiError(request, ApiErrorType::kUnavailable, "analytics are off or not ready");
  }
  return std::move(*response);
}

Routes ImpactRoutes(ContextRunner run) {
  return {Route{.path = "/api/v1/analytics/impact",
                .methods = {http::verb::get, http::verb::post},
                .handler = [run](const HttpRequest& r) { return HandleImpact(r, run); },
                .heavy = true,
                .doc = "Analytics: every watch before and after annotation `id`, with bootstrap intervals "
                       "(stored; `fresh=1` recomputes)."}};
}

Routes AnnotationRoutes(AnalyticsDbGetter db) {
  // SQLite under a mutex: off the io threads.
  return {
      Route{.path = std::string(kPath),
            .methods = {http::verb::get, http::verb::post},
            .handler = [db](const HttpRequest& r) { return HandleAnnotations(r, db); },
            .heavy = true,
            // The handler refuses over kMaxAnnotationBodyBytes with a 400 naming the limit; the
            // server's own 413 stops anything far larger.
            .max_body_bytes = 4 * kMaxAnnotationBodyBytes,
            .doc = "Annotations (Grafana's shape): POST `{time, timeEnd, tags, text}` adds one; GET lists "
                   "those overlapping [`from`, `to`] (ms) having every `tags`, newest first, up to `limit`."},
      Route{.path = std::string(kPrefix),
            .prefix = true,
            .methods = {http::verb::get, http::verb::delete_},
            .handler = [db](const HttpRequest& r) { return HandleAnnotationById(r, db); },
            .heavy = true,
            .doc = "`/api/v1/annotations/<id>`: GET one annotation, DELETE it (with its stored impact)."},
  };
}

}  // namespace metricsd::analytics
