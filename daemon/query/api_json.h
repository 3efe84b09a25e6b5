// The JSON of Prometheus's HTTP API: {"status":"success","data":...} and
// {"status":"error","errorType":"bad_data","error":"..."} with the status code each error type
// has in Prometheus (web/api/v1/api.go): bad_data 400, execution 422, timeout and canceled 503,
// unavailable 503, internal 500.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/beast.h"

namespace metricsd::query {

enum class ApiErrorType { kBadData, kExecution, kUnavailable, kInternal, kTimeout, kCanceled };

// Appends `text` as a JSON string, quoted, escaped as Go's encoding/json does (including
// <, > and & as \u003c..., and U+2028/U+2029), so our bytes match Prometheus's.
void AppendJsonString(std::string& out, std::string_view text);

// ["a","b"]
std::string JsonStringArray(const std::vector<std::string>& values);

// A 200 response with {"status":"success","data":<data_json>}.
HttpResponse ApiSuccess(const HttpRequest& request, std::string_view data_json);
// The same with "warnings":[...] after the data when there are any (as Prometheus's respond).
HttpResponse ApiSuccess(const HttpRequest& request, std::string_view data_json,
                        const std::vector<std::string>& warnings);

// The error envelope with its status code.
HttpResponse ApiError(const HttpRequest& request, ApiErrorType type, std::string_view message);

// The answer of every history route while history is off or failed to open.
HttpResponse HistoryUnavailable(const HttpRequest& request);

}  // namespace metricsd::query
