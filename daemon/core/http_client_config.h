// Config blocks every HTTP client shares (probes, alert receivers, remote_write): TLS and
// credentials, declared once (daemon/core/config_schema.h) and reused, as Prometheus's
// common/config HTTPClientConfig is.
//
// Thread-safety: plain values; the sections are immutable and safe from any thread.
#pragma once

#include <string>

#include "daemon/core/config_schema.h"

namespace metricsd {

struct TlsOptions {
  std::string ca_file;           // empty: the system CA store
  bool insecure_skip_verify = false;
  std::string server_name;       // SNI and the name verified; empty: the URL's host

  bool operator==(const TlsOptions&) const = default;
};

// Basic auth (when username is set) or a bearer token; a secret may be inline or in a file
// read at each request, so a rotated secret just works.
struct HttpAuth {
  std::string username, password, password_file;
  std::string bearer_token, bearer_token_file;

  // The Authorization header's value (empty without credentials). Reads the secret files;
  // throws std::runtime_error if one cannot be read.
  std::string AuthorizationHeader() const;
};

// `tls:` (ca_file relative to the config file, insecure_skip_verify, server_name).
const config::Section<TlsOptions>& TlsSection();
// `basic_auth: {username, password | password_file}`, `bearer_token | bearer_token_file`, as
// keys of the block that holds them.
const config::Section<HttpAuth>& HttpAuthSection();

}  // namespace metricsd
