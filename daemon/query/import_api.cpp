#include "daemon/query/import_api.h"

#include "daemon/core/route.h"
#include "daemon/query/api_json.h"
#include "daemon/query/import_parser.h"
#include "daemon/query/request_body.h"

namespace metricsd::query {

HttpResponse HandleImport(const HttpRequest& request, const StoreGetter& get_store) {
  std::shared_ptr<storage::Store> store = get_store();
  if (store == nullptr) return HistoryUnavailable(request);
  DecodedBody body = DecodeRequestBody(request, kMaxImportDecodedBytes);
  if (body.error != BodyDecodeError::kNone) {
    HttpResponse response = ApiError(request, ApiErrorType::kBadData, body.message);
    if (body.error == BodyDecodeError::kTooLarge) {
      response.result(http::status::payload_too_large);
    } else if (body.error == BodyDecodeError::kUnsupportedEncoding) {
      response.result(http::status::unsupported_media_type);
    }
    return response;
  }
  ImportParseResult parsed = ParseImport(body.decoded ? std::string_view(body.text)
                                                      : std::string_view(request.body()));
  if (!parsed.error.empty()) return ApiError(request, ApiErrorType::kBadData, parsed.error);
  body.text = {};  // the parsed samples are all that is needed from here
  std::string error;
  if (!parsed.series.empty() && !store->Import(std::move(parsed.series), &error)) {
    return ApiError(request, ApiErrorType::kExecution, "import failed, nothing stored: " + error);
  }
  HttpResponse response = MakeResponse(request, http::status::no_content, "");
  response.erase(http::field::content_type);
  return response;
}

}  // namespace metricsd::query
