#include "daemon/http/tls_server_context.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace metricsd {
namespace {

namespace ssl = boost::asio::ssl;

// What the certificate-verify callback needs; owned by the SSL_CTX (freed with it, which may be
// after the asio context object is gone: live connections hold the SSL_CTX by reference count).
struct ClientPolicy {
  bool verify = false;
  std::vector<std::string> allowed_sans;
};

void FreeClientPolicy(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<ClientPolicy*>(ptr);
}

int ClientPolicyIndex() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeClientPolicy);
  return index;
}

// Every SAN of `cert` in the form Go's x509 gives it: DNS names, e-mail addresses, IPs as text,
// URIs.
std::vector<std::string> SubjectAltNames(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    switch (name->type) {
      case GEN_DNS:
      case GEN_EMAIL:
      case GEN_URI: {
        const ASN1_IA5STRING* text = name->d.ia5;
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         static_cast<std::size_t>(ASN1_STRING_length(text)));
        break;
      }
      case GEN_IPADD: {
        const ASN1_OCTET_STRING* ip = name->d.iPAddress;
        char buffer[INET6_ADDRSTRLEN] = {};
        int length = ASN1_STRING_length(ip);
        int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : 0;
        if (family != 0 &&
            inet_ntop(family, ASN1_STRING_get0_data(ip), buffer, sizeof buffer) != nullptr) {
          out.emplace_back(buffer);
        }
        break;
      }
      default:
        break;
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

// Replaces OpenSSL's chain verification for client certificates: verifies only when the
// policy says so (RequestClientCert and RequireAnyClientCert accept any certificate, as Go
// does), then applies client_allowed_sans to the leaf.
int VerifyClientCertificate(X509_STORE_CTX* store, void* arg) {
  const auto* policy = static_cast<const ClientPolicy*>(arg);
  if (policy->verify && X509_verify_cert(store) <= 0) return 0;
  if (!policy->allowed_sans.empty()) {
    X509* leaf = X509_STORE_CTX_get0_cert(store);
    if (leaf == nullptr) return 0;
    std::vector<std::string> sans = SubjectAltNames(leaf);
    bool allowed = std::any_of(sans.begin(), sans.end(), [&](const std::string& san) {
      return std::find(policy->allowed_sans.begin(), policy->allowed_sans.end(), san) !=
             policy->allowed_sans.end();
    });
    if (!allowed) {
      X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
      return 0;
    }
  }
  return 1;
}

std::string ReadWholeFile(const std::string& path, TlsSetting setting, std::string_view key) {
  // OpenSSL's own message for a missing file is only "asio.ssl error": say why ourselves.
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw TlsSettingsError(setting, "cannot read " + std::string(key) + " " + path + ": " +
                                        std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "cert_file /etc/x.pem" or "inline cert", for messages.
std::string Describe(std::string_view file_key, const std::string& file,
                     std::string_view inline_key) {
  return file.empty() ? "inline " + std::string(inline_key)
                      : std::string(file_key) + " " + file;
}

void LoadClientCas(SSL_CTX* context, const std::string& pem, const std::string& what) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  X509_STORE* store = SSL_CTX_get_cert_store(context);
  int count = 0;
  while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, ca);
    sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca)));
    X509_free(ca);
    ++count;
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BIO_free(bio);
  if (count == 0) {
    sk_X509_NAME_pop_free(names, X509_NAME_free);
    throw TlsSettingsError(TlsSetting::kClientCa, what + ": no PEM certificate in it");
  }
  // Sent in the CertificateRequest, so clients with several certificates pick the right one.
  SSL_CTX_set_client_CA_list(context, names);
}

}  // namespace

std::shared_ptr<ssl::context> BuildTlsServerContext(const TlsServerSettings& settings) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();

  std::string cert_what = Describe("cert_file", settings.cert_file, "cert");
  std::string cert = settings.cert_file.empty()
                         ? settings.cert_pem
                         : ReadWholeFile(settings.cert_file, TlsSetting::kCert, "cert_file");
  boost::system::error_code ec;
  context->use_certificate_chain(boost::asio::buffer(cert), ec);
  if (ec) {
    ERR_clear_error();
    throw TlsSettingsError(TlsSetting::kCert, cert_what + ": not a PEM certificate");
  }

  std::string key_what = Describe("key_file", settings.key_file, "key");
  std::string key = settings.key_file.empty()
                        ? settings.key_pem
                        : ReadWholeFile(settings.key_file, TlsSetting::kKey, "key_file");
  // Parsed here rather than by asio, which reports a key that does not match the certificate
  // the same way as one that is not a key.
  BIO* key_bio = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
  EVP_PKEY* private_key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  OPENSSL_cleanse(key.data(), key.size());
  if (private_key == nullptr) {
    ERR_clear_error();
    throw TlsSettingsError(TlsSetting::kKey, key_what + ": not a PEM private key");
  }
  int used = SSL_CTX_use_PrivateKey(native, private_key);
  EVP_PKEY_free(private_key);
  if (used != 1 || SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw TlsSettingsError(TlsSetting::kKey,
                           key_what + " does not match the certificate in " + cert_what);
  }

  if (settings.min_version != 0 && settings.max_version != 0 &&
      settings.min_version > settings.max_version) {
    throw TlsSettingsError(TlsSetting::kVersions, "min_version is above max_version");
  }
  if (settings.min_version != 0) SSL_CTX_set_min_proto_version(native, settings.min_version);
  if (settings.max_version != 0) SSL_CTX_set_max_proto_version(native, settings.max_version);

  std::string ciphers;
  for (const std::string& name : settings.cipher_suites) {
    if (name.empty()) continue;  // a TLS 1.3 suite: not configurable, as in Go
    if (!ciphers.empty()) ciphers += ':';
    ciphers += name;
  }
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(native, ciphers.c_str()) != 1) {
    ERR_clear_error();
    throw TlsSettingsError(TlsSetting::kCipherSuites,
                           "OpenSSL supports none of these cipher suites");
  }
  long options = SSL_OP_NO_RENEGOTIATION;
  if (settings.prefer_server_cipher_suites) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  SSL_CTX_set_options(native, options);

  if (!settings.curves.empty()) {
    std::string groups;
    for (const std::string& group : settings.curves) {
      if (!groups.empty()) groups += ':';
      groups += group;
    }
    if (SSL_CTX_set1_groups_list(native, groups.c_str()) != 1) {
      ERR_clear_error();
      throw TlsSettingsError(TlsSetting::kCurves, "OpenSSL supports none of these curves");
    }
  }

  bool wants_cert = settings.client_auth != ClientAuth::kNoClientCert;
  if (!settings.client_ca_file.empty() || !settings.client_ca_pem.empty()) {
    std::string what = Describe("client_ca_file", settings.client_ca_file, "client_ca");
    std::string pem = settings.client_ca_file.empty()
                          ? settings.client_ca_pem
                          : ReadWholeFile(settings.client_ca_file, TlsSetting::kClientCa,
                                          "client_ca_file");
    LoadClientCas(native, pem, what);
  } else if (settings.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
             settings.client_auth == ClientAuth::kRequireAndVerifyClientCert) {
    // Go verifies against the system roots when ClientCAs is unset.
    SSL_CTX_set_default_verify_paths(native);
  }
  if (wants_cert) {
    auto policy = std::make_unique<ClientPolicy>();
    policy->verify = settings.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                     settings.client_auth == ClientAuth::kRequireAndVerifyClientCert;
    policy->allowed_sans = settings.client_allowed_sans;
    int mode = SSL_VERIFY_PEER;
    if (settings.client_auth == ClientAuth::kRequireAnyClientCert ||
        settings.client_auth == ClientAuth::kRequireAndVerifyClientCert) {
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(native, mode, nullptr);
    SSL_CTX_set_cert_verify_callback(native, &VerifyClientCertificate, policy.get());
    SSL_CTX_set_ex_data(native, ClientPolicyIndex(), policy.release());
    // Session resumption would skip the client check on reconnect; Go re-checks too.
    static const unsigned char kSessionContext[] = "metricsd";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  }
  return context;
}

std::optional<ClientAuth> ClientAuthFromName(std::string_view name) {
  if (name.empty() || name == "NoClientCert") return ClientAuth::kNoClientCert;
  if (name == "RequestClientCert") return ClientAuth::kRequestClientCert;
  // RequireClientCert: exporter-toolkit keeps the old name working.
  if (name == "RequireAnyClientCert" || name == "RequireClientCert") {
    return ClientAuth::kRequireAnyClientCert;
  }
  if (name == "VerifyClientCertIfGiven") return ClientAuth::kVerifyClientCertIfGiven;
  if (name == "RequireAndVerifyClientCert") return ClientAuth::kRequireAndVerifyClientCert;
  return std::nullopt;
}

std::optional<int> TlsVersionFromName(std::string_view name) {
  if (name == "TLS10") return TLS1_VERSION;
  if (name == "TLS11") return TLS1_1_VERSION;
  if (name == "TLS12") return TLS1_2_VERSION;
  if (name == "TLS13") return TLS1_3_VERSION;
  return std::nullopt;
}

std::optional<std::string> OpenSslCipherName(std::string_view go_name) {
  // Go's tls.CipherSuites(): the suites exporter-toolkit accepts.
  static const std::map<std::string_view, std::string_view> kNames = {
      {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
      {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
      {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
      {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_AES_128_GCM_SHA256", ""},
      {"TLS_AES_256_GCM_SHA384", ""},
      {"TLS_CHACHA20_POLY1305_SHA256", ""},
  };
  auto it = kNames.find(go_name);
  if (it == kNames.end()) return std::nullopt;
  return std::string(it->second);
}

std::optional<std::string> OpenSslGroupName(std::string_view go_curve) {
  if (go_curve == "CurveP256") return "P-256";
  if (go_curve == "CurveP384") return "P-384";
  if (go_curve == "CurveP521") return "P-521";
  if (go_curve == "X25519") return "X25519";
  return std::nullopt;
}

}  // namespace metricsd
