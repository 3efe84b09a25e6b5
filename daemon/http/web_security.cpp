#include "daemon/http/web_security.h"

#include <optional>
#include <utility>

#include "daemon/core/config_node.h"
#include "daemon/core/logging.h"
#include "daemon/http/basic_auth.h"
#include "daemon/http/router.h"
#include "daemon/http/web_config_file.h"

namespace metricsd {

struct WebSecurity::Impl {
  std::string file;
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::vector<std::pair<std::string, std::string>> headers;
  std::unique_ptr<BasicAuth> auth;  // null: no basic_auth_users
};

namespace {

std::optional<BasicCredentials> CredentialsOf(const http::request_header<>& request) {
  auto it = request.find(http::field::authorization);
  if (it == request.end()) return std::nullopt;
  return ParseBasicAuthorization(it->value());
}

}  // namespace

WebSecurity::WebSecurity() : impl_(std::make_unique<Impl>()) {}
WebSecurity::WebSecurity(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSecurity::~WebSecurity() = default;

std::shared_ptr<boost::asio::ssl::context> WebSecurity::tls_context() const {
  return impl_->tls_context;
}

bool WebSecurity::requires_auth() const { return impl_->auth != nullptr; }

bool WebSecurity::AuthorizedFromCache(const http::request_header<>& request) const {
  if (!impl_->auth) return true;
  std::optional<BasicCredentials> credentials = CredentialsOf(request);
  return credentials && impl_->auth->CheckCached(*credentials);
}

bool WebSecurity::Authorize(const http::request_header<>& request) const {
  if (!impl_->auth) return true;
  std::optional<BasicCredentials> credentials = CredentialsOf(request);
  // No (or unreadable) credentials: refused without a bcrypt, as exporter-toolkit does.
  return credentials && impl_->auth->Check(*credentials);
}

HttpResponse WebSecurity::Unauthorized(const HttpRequest& request) const {
  HttpResponse response = MakeResponse(request, http::status::unauthorized, "Unauthorized\n");
  response.set(http::field::www_authenticate, "Basic");
  return response;
}

void WebSecurity::AddHeaders(HttpResponse& response) const {
  for (const auto& [name, value] : impl_->headers) response.set(name, value);
}

const std::string& WebSecurity::file() const { return impl_->file; }

WebSecurityPtr LoadWebSecurity(const std::string& path) {
  ConfigNode root = ParseYaml(ReadConfigFile(path), path);
  WebConfigFile parsed = ParseWebConfigFile(root, DirectoryOf(path));
  auto impl = std::make_unique<WebSecurity::Impl>();
  impl->file = path;
  impl->tls_context = std::move(parsed.tls_context);
  impl->headers = std::move(parsed.headers);
  std::size_t users = parsed.users.size();
  if (!parsed.users.empty()) impl->auth = std::make_unique<BasicAuth>(std::move(parsed.users));
  LogInfo("web config loaded", {{"file", path},
                                {"tls", impl->tls_context ? "true" : "false"},
                                {"basic_auth_users", std::to_string(users)},
                                {"headers", std::to_string(impl->headers.size())}});
  return std::make_shared<const WebSecurity>(std::move(impl));
}

}  // namespace metricsd
