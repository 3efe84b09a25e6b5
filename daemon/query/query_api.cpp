#include "daemon/query/query_api.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "daemon/query/api_json.h"
#include "daemon/query/api_params.h"
#include "daemon/query/metadata.h"
#include "daemon/query/promql/parser.h"
#include "daemon/query/promql/printer.h"
#include "daemon/query/query_json.h"
#include "daemon/core/duration.h"

namespace metricsd::query {
namespace {

// Grafana posts long dashboard queries as forms; Go's ParseForm reads up to 10 MB.
constexpr std::uint64_t kMaxQueryBodyBytes = 1 << 20;

// Prometheus's limit on a range query's steps (web/api/v1/api.go).
constexpr std::int64_t kMaxRangePoints = 11000;

constexpr std::int64_t kNanosPerMilli = 1'000'000;

// r.FormValue's view of the request: a malformed pair is skipped, never an error.
FormValues FormOf(const HttpRequest& request) {
  FormValues form;
  std::string ignored;
  ParseRequestForm(request, &form, &ignored);
  return form;
}

std::string Value(const FormValues& form, std::string_view name) {
  return form.First(name).value_or("");
}

ApiErrorType ApiTypeOf(promql::ErrorType type) {
  switch (type) {
    case promql::ErrorType::kBadData: return ApiErrorType::kBadData;
    case promql::ErrorType::kExecution: return ApiErrorType::kExecution;
    case promql::ErrorType::kTimeout: return ApiErrorType::kTimeout;
    case promql::ErrorType::kCanceled: return ApiErrorType::kCanceled;
    case promql::ErrorType::kUnavailable: return ApiErrorType::kUnavailable;
    case promql::ErrorType::kNone:
    case promql::ErrorType::kInternal: break;
  }
  return ApiErrorType::kInternal;
}

// The `timeout` parameter in ns, or an error response; nullopt inside when absent.
std::optional<HttpResponse> ParseTimeout(const HttpRequest& request, const FormValues& form,
                                         std::optional<std::int64_t>* timeout_ns) {
  std::string text = Value(form, "timeout");
  if (text.empty()) return std::nullopt;
  std::string error;
  *timeout_ns = ParseApiDuration(text, &error);
  if (!*timeout_ns) {
    return ApiError(request, ApiErrorType::kBadData, InvalidParameter("timeout", error));
  }
  return std::nullopt;
}

// A `timeout` of zero or less has expired before the query runs; Prometheus's context check
// before execution reports it so (a query that does not parse fails first, as it does there).
std::optional<HttpResponse> TimedOutBeforeStart(const HttpRequest& request,
                                                std::optional<std::int64_t> timeout_ns,
                                                std::string_view query) {
  if (!timeout_ns || *timeout_ns > 0) return std::nullopt;
  promql::ParseError error;
  if (promql::ParseExpr(query, &error) == nullptr) return std::nullopt;
  return ApiError(request, ApiErrorType::kTimeout, "query timed out in query execution");
}

// The answer to a finished query. A `timeout` the request set bounds it as Prometheus's request
// context does: a query that ran longer fails as timed out (the engine's own query.timeout
// stops one mid-way; this one is checked once it returns).
HttpResponse Respond(const HttpRequest& request, const promql::QueryResult& result,
                     bool instant, std::optional<std::int64_t> timeout_ns,
                     std::chrono::steady_clock::time_point started) {
  if (!result.ok()) {
    // Only creating the query (parsing, type checks) fails with bad_data; the instant query
    // API reports it as its `query` parameter's fault, the range API as it is.
    std::string message = result.error_type == promql::ErrorType::kBadData && instant
                              ? InvalidParameter("query", result.error)
                              : result.error;
    return ApiError(request, ApiTypeOf(result.error_type), message);
  }
  if (timeout_ns) {
    auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now() - started)
                       .count();
    if (elapsed >= *timeout_ns) {
      return ApiError(request, ApiErrorType::kTimeout, "query timed out in expression evaluation");
    }
  }
  return ApiSuccess(request, QueryDataJson(result.value), result.warnings);
}

// Go's end.Sub(start) in ns for millisecond times: saturated to int64, as time.Time.Sub is.
std::int64_t SubNanos(promql::Timestamp end, promql::Timestamp start) {
  __int128 ns = (static_cast<__int128>(end) - start) * kNanosPerMilli;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  return ns > kMax ? kMax : ns < kMin ? kMin : static_cast<std::int64_t>(ns);
}

// Whether the expression selects any series (Prometheus's ExtractSelectors is not empty).
bool HasSelector(const promql::Expr& expr) {
  struct Visitor {
    bool operator()(const promql::NumberLiteral&) const { return false; }
    bool operator()(const promql::StringLiteral&) const { return false; }
    bool operator()(const promql::VectorSelector&) const { return true; }
    bool operator()(const promql::MatrixSelector& e) const { return Has(e.selector); }
    bool operator()(const promql::SubqueryExpr& e) const { return Has(e.expr); }
    bool operator()(const promql::ParenExpr& e) const { return Has(e.expr); }
    bool operator()(const promql::UnaryExpr& e) const { return Has(e.expr); }
    bool operator()(const promql::BinaryExpr& e) const { return Has(e.lhs) || Has(e.rhs); }
    bool operator()(const promql::Call& e) const {
      for (const promql::ExprPtr& arg : e.args) {
        if (Has(arg)) return true;
      }
      return false;
    }
    bool operator()(const promql::AggregateExpr& e) const { return Has(e.expr) || Has(e.param); }
    bool operator()(const promql::StepInvariantExpr& e) const { return Has(e.expr); }
    static bool Has(const promql::ExprPtr& e) { return e != nullptr && HasSelector(*e); }
  };
  return std::visit(Visitor{}, expr.node);
}

// Prometheus's parseTimeParam: the default when empty, else its "Invalid time value" error.
std::optional<HttpResponse> ParseTimeParam(const HttpRequest& request, const FormValues& form,
                                           std::string_view name, promql::Timestamp* t) {
  std::string text = Value(form, name);
  if (text.empty()) return std::nullopt;
  std::optional<promql::Timestamp> parsed = ParseApiTime(text);
  if (!parsed) {
    return ApiError(request, ApiErrorType::kBadData,
                    InvalidParameter(name, "Invalid time value for '" + std::string(name) +
                                               "': cannot parse \"" + text +
                                               "\" to a valid timestamp"));
  }
  *t = *parsed;
  return std::nullopt;
}

}  // namespace

HttpResponse HandleQuery(const HttpRequest& request, const QueryApiOptions& options) {
  FormValues form = FormOf(request);
  promql::Timestamp t = options.now ? options.now() : WallClockMillis();
  if (auto error = ParseTimeParam(request, form, "time", &t)) return std::move(*error);
  std::optional<std::int64_t> timeout_ns;
  if (auto error = ParseTimeout(request, form, &timeout_ns)) return std::move(*error);
  if (auto expired = TimedOutBeforeStart(request, timeout_ns, Value(form, "query"))) {
    return std::move(*expired);
  }
  auto started = std::chrono::steady_clock::now();
  promql::QueryResult result = options.service->Instant(Value(form, "query"), t);
  return Respond(request, result, /*instant=*/true, timeout_ns, started);
}

HttpResponse HandleQueryRange(const HttpRequest& request, const QueryApiOptions& options) {
  FormValues form = FormOf(request);
  auto bad = [&](std::string message) {
    return ApiError(request, ApiErrorType::kBadData, message);
  };
  promql::Timestamp range[2] = {0, 0};
  const char* names[2] = {"start", "end"};
  for (int i = 0; i < 2; ++i) {
    std::string text = Value(form, names[i]);
    std::optional<promql::Timestamp> t = ParseApiTime(text);
    if (!t) {
      return bad(InvalidParameter(names[i], "cannot parse \"" + text + "\" to a valid timestamp"));
    }
    range[i] = *t;
  }
  auto [start, end] = range;
  if (end < start) {
    return bad(InvalidParameter("end", "end timestamp must not be before start time"));
  }
  std::string error;
  std::optional<std::int64_t> step_ns = ParseApiDuration(Value(form, "step"), &error);
  if (!step_ns) return bad(InvalidParameter("step", error));
  // A step under a millisecond is zero to the engine (Prometheus would divide by it).
  if (*step_ns < kNanosPerMilli) {
    return bad(InvalidParameter("step", "zero or negative query resolution step widths are not "
                                        "accepted. Try a positive integer"));
  }
  // For safety, as Prometheus: 60s resolution for a week, or 1h for a year.
  if (SubNanos(end, start) / *step_ns > kMaxRangePoints) {
    return bad("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
               "query resolution (?step=XX)");
  }
  std::optional<std::int64_t> timeout_ns;
  if (auto timeout_error = ParseTimeout(request, form, &timeout_ns)) {
    return std::move(*timeout_error);
  }
  if (auto expired = TimedOutBeforeStart(request, timeout_ns, Value(form, "query"))) {
    return std::move(*expired);
  }
  auto started = std::chrono::steady_clock::now();
  promql::QueryResult result =
      options.service->Range(Value(form, "query"), start, end, *step_ns / kNanosPerMilli);
  return Respond(request, result, /*instant=*/false, timeout_ns, started);
}

HttpResponse HandleFormatQuery(const HttpRequest& request) {
  FormValues form = FormOf(request);
  std::string query = Value(form, "query");
  promql::ParseError error;
  promql::ExprPtr expr = promql::ParseExpr(query, &error);
  if (expr == nullptr) {
    return ApiError(request, ApiErrorType::kBadData,
                    InvalidParameter("query", error.ToString(query)));
  }
  std::string data;
  AppendJsonString(data, promql::PrettyExpr(*expr));
  return ApiSuccess(request, data);
}

HttpResponse HandleQueryExemplars(const HttpRequest& request) {
  FormValues form = FormOf(request);
  promql::Timestamp start = kMinApiTime;
  promql::Timestamp end = kMaxApiTime;
  if (auto error = ParseTimeParam(request, form, "start", &start)) return std::move(*error);
  if (auto error = ParseTimeParam(request, form, "end", &end)) return std::move(*error);
  if (end < start) {
    return ApiError(request, ApiErrorType::kBadData,
                    "end timestamp must not be before start timestamp");
  }
  std::string query = Value(form, "query");
  promql::ParseError error;
  promql::ExprPtr expr = promql::ParseExpr(query, &error);
  if (expr == nullptr) return ApiError(request, ApiErrorType::kBadData, error.ToString(query));
  // Prometheus answers 204 without a body when nothing is selected; metricsd stores no
  // exemplars, so every selection finds none.
  if (!HasSelector(*expr)) {
    HttpResponse response = MakeResponse(request, http::status::no_content, "");
    response.erase(http::field::content_type);
    return response;
  }
  return ApiSuccess(request, "[]");
}

HttpResponse HandleBuildInfo(const HttpRequest& request, const BuildInfo& build_info) {
  std::string data;
  auto field = [&data](std::string_view name, const std::string& value) {
    data += data.empty() ? '{' : ',';
    AppendJsonString(data, name);
    data += ':';
    AppendJsonString(data, value);
  };
  field("version", build_info.version);
  field("revision", build_info.revision);
  field("branch", build_info.branch);
  field("buildUser", build_info.build_user);
  field("buildDate", build_info.build_date);
  field("goVersion", build_info.go_version);
  data += '}';
  return ApiSuccess(request, data);
}

Routes QueryApiRoutes(QueryApiOptions options) {
  auto shared = std::make_shared<const QueryApiOptions>(std::move(options));
  // Queries, parsing and metadata take CPU: off the io threads, on the server's workers.
  return {
      Route{.path = "/api/v1/query",
            .methods = {http::verb::get, http::verb::post},
            .handler = [shared](const HttpRequest& r) { return HandleQuery(r, *shared); },
            .heavy = true,
            .max_body_bytes = kMaxQueryBodyBytes,
            .doc = "PromQL instant query over history at `time` (default now), `timeout` "
                   "(Prometheus's query API)."},
      Route{.path = "/api/v1/query_range",
            .methods = {http::verb::get, http::verb::post},
            .handler = [shared](const HttpRequest& r) { return HandleQueryRange(r, *shared); },
            .heavy = true,
            .max_body_bytes = kMaxQueryBodyBytes,
            .doc = "PromQL range query over history from `start` to `end` every `step` (at most "
                   "11,000 points per series), `timeout` (Prometheus's range query API)."},
      Route{.path = "/api/v1/format_query",
            .methods = {http::verb::get, http::verb::post},
            .handler = [](const HttpRequest& r) { return HandleFormatQuery(r); },
            .heavy = true,
            .max_body_bytes = kMaxQueryBodyBytes,
            .doc = "`query` prettified as Prometheus formats it."},
      Route{.path = "/api/v1/query_exemplars",
            .methods = {http::verb::get, http::verb::post},
            .handler = [](const HttpRequest& r) { return HandleQueryExemplars(r); },
            .heavy = true,
            .max_body_bytes = kMaxQueryBodyBytes,
            .doc = "Exemplars of `query`: always none (metricsd keeps no exemplars); Grafana "
                   "asks."},
      Route{.path = "/api/v1/metadata",
            .methods = {http::verb::get},
            .handler =
                [shared](const HttpRequest& r) {
                  return HandleMetadata(r, shared->sources ? shared->sources() : nullptr);
                },
            .heavy = true,
            .doc = "Type and help of the families /metrics serves, by name (`metric`, `limit`), "
                   "as Prometheus's metadata API."},
      Route{.path = "/api/v1/status/buildinfo",
            .methods = {http::verb::get},
            .handler =
                [shared](const HttpRequest& r) { return HandleBuildInfo(r, shared->build_info); },
            .doc = "metricsd's version and revision in Prometheus's build info shape."},
  };
}

}  // namespace metricsd::query
