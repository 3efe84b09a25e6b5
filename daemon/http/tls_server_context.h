// The TLS side of exporter-toolkit's `tls_server_config`, on OpenSSL: Go's names for versions,
// cipher suites, curves and client-auth policies mapped to OpenSSL's, and the server context
// built from them at load time, so a bad certificate, key or CA is a load error naming its file
// rather than a failed handshake later.
//
// Thread-safety: free functions, no shared state. The returned context is safe to share
// between connections (OpenSSL contexts are).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

namespace metricsd {

// Go's crypto/tls ClientAuthType, by its exporter-toolkit name.
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,           // asks for a certificate, accepts any or none
  kRequireAnyClientCert,        // needs a certificate, does not verify it
  kVerifyClientCertIfGiven,     // verifies a certificate if one is sent
  kRequireAndVerifyClientCert,  // mTLS: needs a certificate that verifies
};

struct TlsServerSettings {
  // Exactly one of each pair is set (the *_pem forms are exporter-toolkit's inline `cert`,
  // `key`, `client_ca`); file paths are already absolute or relative to the working directory.
  std::string cert_file, cert_pem;
  std::string key_file, key_pem;
  std::string client_ca_file, client_ca_pem;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  // When non-empty, a client certificate must carry one of these SANs (DNS, IP, e-mail or URI),
  // compared exactly as exporter-toolkit does.
  std::vector<std::string> client_allowed_sans;
  int min_version = 0;  // OpenSSL's TLS1_2_VERSION etc.
  int max_version = 0;
  std::vector<std::string> cipher_suites;  // OpenSSL names, TLS 1.2 and below; empty: defaults
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> curves;  // OpenSSL group names; empty: defaults
};

// Which setting a TlsSettingsError is about, so the loader can point at its key.
enum class TlsSetting { kCert, kKey, kClientCa, kCipherSuites, kCurves, kVersions };

class TlsSettingsError : public std::runtime_error {
 public:
  TlsSettingsError(TlsSetting setting, const std::string& message)
      : std::runtime_error(message), setting_(setting) {}
  TlsSetting setting() const { return setting_; }

 private:
  TlsSetting setting_;
};

// Builds the server context; throws TlsSettingsError with a message naming the file.
std::shared_ptr<boost::asio::ssl::context> BuildTlsServerContext(const TlsServerSettings& settings);

// Go name -> value; nullopt when Go (and so exporter-toolkit) would not accept the name.
std::optional<ClientAuth> ClientAuthFromName(std::string_view name);
std::optional<int> TlsVersionFromName(std::string_view name);  // "TLS10".."TLS13"
// The OpenSSL name of a Go cipher suite from tls.CipherSuites(). TLS 1.3 suites are accepted
// but, as in Go, not configurable: they map to an empty string.
std::optional<std::string> OpenSslCipherName(std::string_view go_name);
std::optional<std::string> OpenSslGroupName(std::string_view go_curve);  // "CurveP256", "X25519"

}  // namespace metricsd
