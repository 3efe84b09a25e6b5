#include "daemon/query/api_json.h"

#include "daemon/core/route.h"

namespace metricsd::query {
namespace {

constexpr std::string_view kJson = "application/json";

struct ErrorTypeInfo {
  std::string_view name;
  http::status status;
};

ErrorTypeInfo InfoOf(ApiErrorType type) {
  switch (type) {
    case ApiErrorType::kBadData:
      return {"bad_data", http::status::bad_request};
    case ApiErrorType::kExecution:
      return {"execution", http::status::unprocessable_entity};
    case ApiErrorType::kUnavailable:
      return {"unavailable", http::status::service_unavailable};
    case ApiErrorType::kTimeout:
      return {"timeout", http::status::service_unavailable};
    case ApiErrorType::kCanceled:
      return {"canceled", http::status::service_unavailable};
    case ApiErrorType::kInternal:
      break;
  }
  return {"internal", http::status::internal_server_error};
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else if (c == 0xe2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(text[i + 2]) & 0xfe) == 0xa8) {
      // U+2028 and U+2029 end lines in JavaScript; Go escapes them.
      out += static_cast<unsigned char>(text[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    AppendJsonString(out, values[i]);
  }
  out += ']';
  return out;
}

HttpResponse ApiSuccess(const HttpRequest& request, std::string_view data_json) {
  return ApiSuccess(request, data_json, {});
}

HttpResponse ApiSuccess(const HttpRequest& request, std::string_view data_json,
                        const std::vector<std::string>& warnings) {
  std::string body = R"({"status":"success","data":)";
  body += data_json;
  if (!warnings.empty()) {
    body += R"(,"warnings":)";
    body += JsonStringArray(warnings);
  }
  body += "}";
  return MakeResponse(request, http::status::ok, std::move(body), kJson);
}

HttpResponse ApiError(const HttpRequest& request, ApiErrorType type, std::string_view message) {
  ErrorTypeInfo info = InfoOf(type);
  std::string body = R"({"status":"error","errorType":")";
  body += info.name;
  body += R"(","error":)";
  AppendJsonString(body, message);
  body += "}";
  return MakeResponse(request, info.status, std::move(body), kJson);
}

HttpResponse HistoryUnavailable(const HttpRequest& request) {
  return ApiError(request, ApiErrorType::kUnavailable,
                  "history is not available (still loading, history.enabled is false, or the "
                  "store failed to open: see the log)");
}

}  // namespace metricsd::query
