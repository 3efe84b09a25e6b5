#include "daemon/query/api_json.h"

#include <gtest/gtest.h>

namespace metricsd::query {
namespace {

TEST(ApiJsonTest, StringsEscapedAsGoDoes) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\n\x01<>&\xe2\x80\xa8\xc3\xa9");
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001\u003c\u003e\u0026\u2028)"
                 "\xc3\xa9\"");
}

TEST(ApiJsonTest, EnvelopesAndStatusCodes) {
  HttpRequest request{http::verb::get, "/api/v1/labels", 11};
  HttpResponse ok = ApiSuccess(request, JsonStringArray({"a", "b"}));
  EXPECT_EQ(ok.result(), http::status::ok);
  EXPECT_EQ(ok.body(), R"({"status":"success","data":["a","b"]})");
  EXPECT_EQ(ok[http::field::content_type], "application/json");
  HttpResponse bad = ApiError(request, ApiErrorType::kBadData, "no match[] parameter provided");
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_EQ(bad.body(),
            R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  EXPECT_EQ(ApiError(request, ApiErrorType::kExecution, "x").result(),
            http::status::unprocessable_entity);
  HttpResponse unavailable = HistoryUnavailable(request);
  EXPECT_EQ(unavailable.result(), http::status::service_unavailable);
  EXPECT_NE(unavailable.body().find(R"("errorType":"unavailable")"), std::string::npos);
}

}  // namespace
}  // namespace metricsd::query
