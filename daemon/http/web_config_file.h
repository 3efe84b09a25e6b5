// Parses an exporter-toolkit web-config file (docs/web-configuration.md of
// prometheus/exporter-toolkit), unchanged: `tls_server_config`, `http_server_config`,
// `basic_auth_users`, `rate_limit`. Strict, as exporter-toolkit's yaml.UnmarshalStrict is:
// unknown keys are errors (with did-you-mean), every error names file:line:column and the key
// path. Secrets (inline `key`, password hashes) never appear in an error.
//
// Thread-safety: free functions, no shared state.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "daemon/core/config_node.h"
#include "daemon/http/tls_server_context.h"

namespace metricsd {

struct WebConfigFile {
  // Set when the file configures TLS (any of cert, key, client CA or client_auth_type, as
  // exporter-toolkit decides); built and checked at parse time.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  // http_server_config.headers in file order; blank values left out ("unset if blank").
  std::vector<std::pair<std::string, std::string>> headers;
  // http_server_config.http2: accepted for compatibility; metricsd serves HTTP/1.1.
  bool http2 = true;
  // basic_auth_users: user -> bcrypt hash. Empty: no authentication.
  std::map<std::string, std::string, std::less<>> users;
};

// `root` is the parsed file; `dir` is its directory, against which relative cert_file,
// key_file and client_ca_file resolve (as exporter-toolkit's SetDirectory does).
WebConfigFile ParseWebConfigFile(const ConfigNode& root, const std::string& dir);

// The directory part of a path ("." for a bare file name).
std::string DirectoryOf(const std::string& path);
// `path` if absolute or empty, else dir/path.
std::string JoinDir(const std::string& dir, const std::string& path);

}  // namespace metricsd
