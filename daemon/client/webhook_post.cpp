#include "daemon/client/webhook_post.h"

#include <exception>
#include <utility>

namespace metricsd {

bool MakeWebhookPost(const Url& url, const TlsOptions& tls, const HttpAuth& auth,
                     std::string content_type, std::string body, Duration timeout,
                     ExchangeRequest& request, std::string& error) {
  request.host = url.host;
  request.port = url.port;
  request.use_tls = url.https;
  request.url = url;
  request.server_name = tls.server_name;
  if (url.https) {
    try {
      request.tls = MakeTlsContext(tls.ca_file, tls.insecure_skip_verify);
    } catch (const std::exception& e) {
      error = e.what();
      return false;
    }
  }
  request.method = "POST";
  request.headers = {{"Content-Type", std::move(content_type)}, {"User-Agent", "metricsd"}};
  try {
    std::string authorization = auth.AuthorizationHeader();
    if (!authorization.empty()) request.headers.emplace_back("Authorization", std::move(authorization));
  } catch (const std::exception& e) {
    error = std::string("credentials: ") + e.what();
    return false;
  }
  request.body = std::move(body);
  request.follow_redirects = false;
  request.body_limit = 64 << 10;
  request.timeout = timeout;
  return true;
}

}  // namespace metricsd
