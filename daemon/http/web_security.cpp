// STUB: the web-config helper replaces this with the real implementation.
#include "daemon/http/web_security.h"

#include "daemon/core/config_node.h"
#include "daemon/http/router.h"

namespace metricsd {

struct WebSecurity::Impl {
  std::string file;
};

WebSecurity::WebSecurity() : impl_(std::make_unique<Impl>()) {}
WebSecurity::WebSecurity(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSecurity::~WebSecurity() = default;

std::shared_ptr<boost::asio::ssl::context> WebSecurity::tls_context() const { return nullptr; }
bool WebSecurity::requires_auth() const { return false; }
bool WebSecurity::AuthorizedFromCache(const http::request_header<>&) const { return true; }
bool WebSecurity::Authorize(const http::request_header<>&) const { return true; }
HttpResponse WebSecurity::Unauthorized(const HttpRequest& request) const {
  HttpResponse response = MakeResponse(request, http::status::unauthorized, "Unauthorized\n");
  response.set(http::field::www_authenticate, "Basic");
  return response;
}
void WebSecurity::AddHeaders(HttpResponse&) const {}
const std::string& WebSecurity::file() const { return impl_->file; }

WebSecurityPtr LoadWebSecurity(const std::string& path) {
  throw ConfigError(path, 0, 0, "", "web config files are not supported yet");
}

}  // namespace metricsd
