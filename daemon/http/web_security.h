// What an exporter-toolkit web-config file (`--web.config.file`, `web.config_file`) asks of
// every connection and request: TLS (incl. client certificates), HTTP basic auth with bcrypt
// hashes, and extra response headers.
//
// A WebSecurity is immutable once loaded; the server holds the current one as a snapshot and a
// reload swaps in a new one (connections already open keep the one they were accepted with).
// A default-constructed WebSecurity means plain HTTP, no auth, no extra headers.
//
// Thread-safety: every const method may be called from any thread concurrently (the cache of
// successful password checks is internally synchronised).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "daemon/core/beast.h"

namespace metricsd {

class WebSecurity {
 public:
  WebSecurity();
  ~WebSecurity();
  WebSecurity(const WebSecurity&) = delete;
  WebSecurity& operator=(const WebSecurity&) = delete;

  // nullptr: serve plain HTTP. Otherwise new connections do a TLS handshake with it first.
  std::shared_ptr<boost::asio::ssl::context> tls_context() const;

  // True when basic_auth_users is set: every request must carry valid credentials.
  bool requires_auth() const;

  // Cheap: true when no auth is configured, or these credentials passed a full check before
  // (exporter-toolkit's cache). May run on the io threads.
  bool AuthorizedFromCache(const http::request_header<>& request) const;

  // The full check (bcrypt, tens of ms): call it off the io threads. Remembers successes.
  bool Authorize(const http::request_header<>& request) const;

  // 401 with `WWW-Authenticate: Basic`, for a request that failed Authorize().
  HttpResponse Unauthorized(const HttpRequest& request) const;

  // Adds http_server_config.headers to a response (every response, errors included).
  void AddHeaders(HttpResponse& response) const;

  // The file it was loaded from; empty for the default.
  const std::string& file() const;

  struct Impl;  // defined in web_security.cpp (and the loader)

  explicit WebSecurity(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

using WebSecurityPtr = std::shared_ptr<const WebSecurity>;

// Loads an exporter-toolkit web-config file. Throws ConfigError naming file:line:column and the
// key path for a bad key or value, and naming the file for an unreadable certificate or key.
WebSecurityPtr LoadWebSecurity(const std::string& path);

}  // namespace metricsd
