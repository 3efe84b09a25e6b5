// The web-config file (exporter-toolkit's format): parsing with positions, TLS context errors,
// bcrypt verification and its cache, and what WebSecurity does with a request.
#include "daemon/http/web_security.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "daemon/http/basic_auth.h"
#include "daemon/http/tls_server_context.h"
#include "daemon/http/web_config_file.h"
#include "tests/unit/support/config_error_of.h"
#include "tests/unit/support/self_signed_cert.h"

namespace metricsd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// bcrypt hashes (cost 4, so tests stay fast) of "s3cret" and "other", made with libxcrypt.
constexpr char kHashS3cret[] = "$2b$04$Ep3TnVU2JJB7QaA.qVan4.IorvV7lBe74nfcEShEjiExpMHfqlH.K";
constexpr char kHashOther[] = "$2b$04$KxdBxKJI5Hz/0xYbNtAjpuY5jLoFpwDdBCT1EGXwSxt/Xch1HANmO";

class WebConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("web_security_test." + std::to_string(::getpid()) + "." +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    server_ = test_support::SelfSignedCert("localhost");
    other_ = test_support::SelfSignedCert("other");
    Write("server.crt", server_.cert_pem);
    Write("server.key", server_.key_pem);
    // The names config/examples/web-config.yml uses.
    Write("metricsd.crt", server_.cert_pem);
    Write("metricsd.key", server_.key_pem);
    Write("other.key", other_.key_pem);
    Write("ca.crt", other_.cert_pem);
    Write("junk.pem", "not a certificate\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  // Writes web.yml and loads it.
  WebSecurityPtr Load(const std::string& text) { return LoadWebSecurity(Write("web.yml", text)); }
  // The error loading `text` gives, with the file's path cut to "web.yml".
  std::string ErrorOf(const std::string& text) {
    std::string error = ConfigErrorOf([&] { Load(text); });
    std::string prefix = dir_.string() + "/";
    for (std::size_t at; (at = error.find(prefix)) != std::string::npos;) {
      error.erase(at, prefix.size());
    }
    return error;
  }

  std::filesystem::path dir_;
  test_support::CertAndKey server_, other_;
};

HttpRequest WithAuthorization(const std::string& value) {
  HttpRequest request{http::verb::get, "/metrics", 11};
  request.set(http::field::authorization, value);
  return request;
}

TEST_F(WebConfigFileTest, LoadsEveryKeyOfTheDocumentedFormat) {
  // The layout of exporter-toolkit's docs/web-configuration.md, relative paths included.
  WebSecurityPtr security = Load(std::string(R"(tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans:
    - other
  min_version: TLS12
  max_version: TLS13
  cipher_suites:
    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    - TLS_AES_128_GCM_SHA256
  prefer_server_cipher_suites: true
  curve_preferences:
    - X25519
    - CurveP256
http_server_config:
  http2: false
  headers:
    Content-Security-Policy: default-src 'self'
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    X-XSS-Protection: "1; mode=block"
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  alice: )") + kHashS3cret + "\n  bob: '" + kHashOther + "'\n");
  EXPECT_NE(security->tls_context(), nullptr);
  EXPECT_TRUE(security->requires_auth());
  EXPECT_EQ(security->file(), (dir_ / "web.yml").string());
  HttpRequest request{http::verb::get, "/", 11};
  HttpResponse response{http::status::ok, 11};
  security->AddHeaders(response);
  EXPECT_EQ(response["Content-Security-Policy"], "default-src 'self'");
  EXPECT_EQ(response["X-Frame-Options"], "deny");
  EXPECT_EQ(response["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(response["X-XSS-Protection"], "1; mode=block");
  EXPECT_EQ(response["Strict-Transport-Security"], "max-age=31536000");
}

TEST_F(WebConfigFileTest, InlineCertAndKeyForms) {
  std::string indented_cert, indented_key;
  for (char c : server_.cert_pem) indented_cert += c == '\n' ? std::string("\n    ") : std::string(1, c);
  for (char c : server_.key_pem) indented_key += c == '\n' ? std::string("\n    ") : std::string(1, c);
  WebSecurityPtr security = Load("tls_server_config:\n  cert: |\n    " + indented_cert +
                                 "\n  key: |\n    " + indented_key + "\n");
  EXPECT_NE(security->tls_context(), nullptr);
  EXPECT_FALSE(security->requires_auth());
}

TEST_F(WebConfigFileTest, EmptyFileAndTlsWithoutCertificatesMeanPlainHttp) {
  EXPECT_EQ(Load("")->tls_context(), nullptr);
  // exporter-toolkit turns TLS on only for a certificate, key, client CA or client auth type.
  WebSecurityPtr security = Load("tls_server_config:\n  min_version: TLS13\n");
  EXPECT_EQ(security->tls_context(), nullptr);
  EXPECT_FALSE(security->requires_auth());
  EXPECT_TRUE(security->Authorize(HttpRequest{http::verb::get, "/", 11}));
}

TEST_F(WebConfigFileTest, TheExampleInConfigExamplesLoads) {
  std::string example = std::string(METRICSD_SOURCE_DIR) + "/config/examples/web-config.yml";
  // Its certificate paths are relative: a copy loads next to our test certificates.
  std::ifstream in(example);
  ASSERT_TRUE(in) << example;
  std::stringstream text;
  text << in.rdbuf();
  WebSecurityPtr security = Load(text.str());
  EXPECT_NE(security->tls_context(), nullptr);
  EXPECT_TRUE(security->requires_auth());
}

TEST_F(WebConfigFileTest, EveryMistakeIsAnErrorWithItsPosition) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::string tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
  std::vector<Case> cases = {
      {"tls_server_confg:\n  cert_file: x\n",
       "web.yml:1:1: tls_server_confg: unknown key (did you mean tls_server_config?)"},
      {tls + "  cert_fil: x\n",
       "web.yml:4:3: tls_server_config.cert_fil: unknown key (did you mean cert_file?)"},
      {"http_server_config:\n  headers:\n    X-Powered-By: me\n",
       "web.yml:3:19: http_server_config.headers.X-Powered-By: HTTP header \"X-Powered-By\" can "
       "not be configured (allowed: Strict-Transport-Security X-Content-Type-Options "
       "X-Frame-Options X-XSS-Protection Content-Security-Policy)"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: DENY\n",
       "web.yml:3:22: http_server_config.headers.X-Frame-Options: invalid value \"DENY\", "
       "expected one of: \"deny\" \"sameorigin\""},
      {"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
       "web.yml:3:29: http_server_config.headers.X-Content-Type-Options: invalid value "
       "\"sniff\", expected one of: \"nosniff\""},
      {"http_server_config:\n  http2: maybe\n",
       "web.yml:2:10: http_server_config.http2: expected true or false, got \"maybe\""},
      {"basic_auth_users:\n  alice: plaintext-password\n",
       "web.yml:2:10: basic_auth_users.alice: not a bcrypt hash (make one with: htpasswd -nBC 10 "
       "\"\" | tr -d ':\\n')"},
      {"basic_auth_users:\n  alice:\n",
       "web.yml:2:3: basic_auth_users.alice: expected a string, got nothing"},
      {"rate_limit:\n  interval: 1s\n  burst: 5\n",
       "web.yml:2:13: rate_limit.interval: rate limiting is not supported by metricsd (set "
       "interval to 0 or remove rate_limit)"},
      {tls + "  client_auth_type: RequireAndVerify\n",
       "web.yml:4:21: tls_server_config.client_auth_type: unknown client auth type "
       "\"RequireAndVerify\" (expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
       "VerifyClientCertIfGiven or RequireAndVerifyClientCert)"},
      {tls + "  min_version: TLS14\n",
       "web.yml:4:16: tls_server_config.min_version: unknown TLS version \"TLS14\" (expected "
       "TLS10..TLS13)"},
      {tls + "  min_version: TLS13\n  max_version: TLS12\n",
       "web.yml:4:16: tls_server_config.min_version: min_version is above max_version"},
      {tls + "  cipher_suites:\n    - TLS_RSA_WITH_RC4_128_SHA\n",
       "web.yml:5:7: tls_server_config.cipher_suites[0]: unknown cipher "
       "\"TLS_RSA_WITH_RC4_128_SHA\" (Go's tls.CipherSuites() names)"},
      {tls + "  curve_preferences: [CurveP224]\n",
       "web.yml:4:23: tls_server_config.curve_preferences[0]: unknown curve \"CurveP224\" "
       "(expected CurveP256, CurveP384, CurveP521 or X25519)"},
      {"tls_server_config:\n  key_file: server.key\n",
       "web.yml:2:3: tls_server_config: missing one of cert or cert_file"},
      {"tls_server_config:\n  cert_file: server.crt\n",
       "web.yml:2:3: tls_server_config: missing one of key or key_file"},
      {tls + "  client_ca_file: ca.crt\n",
       "web.yml:2:3: tls_server_config: client CA's have been configured without a Client Auth "
       "Policy"},
      {tls + "  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [x]\n",
       "web.yml:5:24: tls_server_config.client_allowed_sans: client_allowed_sans requires "
       "client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert"},
      {tls + "  cert: inline\n",
       "web.yml:2:14: tls_server_config.cert_file: set either cert or cert_file, not both"},
      {"tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n",
       "web.yml:2:14: tls_server_config.cert_file: cannot read cert_file missing.crt: No such "
       "file or directory"},
      {"tls_server_config:\n  cert_file: junk.pem\n  key_file: server.key\n",
       "web.yml:2:14: tls_server_config.cert_file: cert_file junk.pem: not a PEM certificate"},
      {"tls_server_config:\n  cert_file: server.crt\n  key_file: junk.pem\n",
       "web.yml:3:13: tls_server_config.key_file: key_file junk.pem: not a PEM private key"},
      {"tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n",
       "web.yml:3:13: tls_server_config.key_file: key_file other.key does not match the "
       "certificate in cert_file server.crt"},
      {tls + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: junk.pem\n",
       "web.yml:5:19: tls_server_config.client_ca_file: client_ca_file junk.pem: no PEM "
       "certificate in it"},
      {"tls_server_config: [a]\n",
       "web.yml:1:20: tls_server_config: expected a mapping, got a sequence"},
      {"a: [\n", "web.yml:2:1: invalid YAML: end of sequence flow not found"},
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorOf(c.text), c.error) << c.text;
}

TEST_F(WebConfigFileTest, SecretsNeverAppearInErrors) {
  // A hash with one character wrong, an inline key that is not a key.
  std::string hash = std::string(kHashS3cret).substr(0, 59) + "!";
  std::string error = ErrorOf("basic_auth_users:\n  alice: '" + hash + "'\n");
  EXPECT_THAT(error, HasSubstr("not a bcrypt hash"));
  EXPECT_THAT(error, Not(HasSubstr("Ep3TnVU2JJB7QaA")));
  error = ErrorOf("tls_server_config:\n  cert_file: server.crt\n  key: TOP-SECRET-KEY-TEXT\n");
  EXPECT_THAT(error, HasSubstr("inline key: not a PEM private key"));
  EXPECT_THAT(error, Not(HasSubstr("TOP-SECRET")));
}

TEST_F(WebConfigFileTest, AuthorizeChecksBasicAuthAndRemembersSuccesses) {
  WebSecurityPtr security = Load(std::string("basic_auth_users:\n  alice: '") + kHashS3cret +
                                 "'\n");
  HttpRequest good = WithAuthorization("Basic YWxpY2U6czNjcmV0");  // alice:s3cret
  HttpRequest wrong = WithAuthorization("Basic YWxpY2U6d3Jvbmc=");  // alice:wrong
  HttpRequest none{http::verb::get, "/metrics", 11};
  EXPECT_FALSE(security->AuthorizedFromCache(good));  // not checked yet
  EXPECT_TRUE(security->Authorize(good));
  EXPECT_TRUE(security->AuthorizedFromCache(good));
  EXPECT_FALSE(security->Authorize(wrong));
  EXPECT_FALSE(security->AuthorizedFromCache(wrong));
  EXPECT_FALSE(security->Authorize(none));
  EXPECT_FALSE(security->Authorize(WithAuthorization("Bearer YWxpY2U6czNjcmV0")));

  HttpResponse refused = security->Unauthorized(none);
  EXPECT_EQ(refused.result(), http::status::unauthorized);
  EXPECT_EQ(refused[http::field::www_authenticate], "Basic");
}

TEST(BasicAuthTest, ParsesAuthorizationAsGoDoes) {
  auto parsed = ParseBasicAuthorization("Basic YWxpY2U6czNjcmV0");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->user, "alice");
  EXPECT_EQ(parsed->password, "s3cret");
  parsed = ParseBasicAuthorization("basic YTpiOmM=");  // scheme is case-insensitive
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->user, "a");
  EXPECT_EQ(parsed->password, "b:c");  // split at the first colon
  parsed = ParseBasicAuthorization("Basic OmVtcHR5");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->user, "");
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWxpY2U"));       // missing padding
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWxp?2U6"));      // not base64
  EXPECT_FALSE(ParseBasicAuthorization("Basic bm9jb2xvbg=="));  // "nocolon"
  EXPECT_FALSE(ParseBasicAuthorization("Bearer YWxpY2U6czNjcmV0"));
  EXPECT_FALSE(ParseBasicAuthorization("Basic"));
}

TEST(BasicAuthTest, RecognisesBcryptHashes) {
  EXPECT_TRUE(IsBcryptHash(kHashS3cret));
  EXPECT_TRUE(IsBcryptHash("$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"));
  EXPECT_TRUE(IsBcryptHash("$2a$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"));
  EXPECT_FALSE(IsBcryptHash("$2x$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"));
  EXPECT_FALSE(IsBcryptHash("$2y$03$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"));
  EXPECT_FALSE(IsBcryptHash("$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7z"));
  EXPECT_FALSE(IsBcryptHash("$6$salt$hash"));
  EXPECT_FALSE(IsBcryptHash("s3cret"));
}

TEST(BasicAuthTest, VerifiesWithLibcryptAndCachesOnlySuccesses) {
  // $2y$ (htpasswd's prefix) and $2b$ hash the same for ASCII passwords.
  std::string hash_2y = kHashOther;
  hash_2y[2] = 'y';
  BasicAuth auth({{"alice", kHashS3cret}, {"bob", hash_2y}});
  EXPECT_TRUE(auth.Check({"alice", "s3cret"}));
  EXPECT_TRUE(auth.Check({"bob", "other"}));
  EXPECT_EQ(auth.bcrypt_runs(), 2u);

  // A success is answered from the cache: no more bcrypt.
  EXPECT_TRUE(auth.CheckCached({"alice", "s3cret"}));
  EXPECT_TRUE(auth.Check({"alice", "s3cret"}));
  EXPECT_EQ(auth.bcrypt_runs(), 2u);

  // Failures are not cached and each costs a bcrypt, an unknown user's included (timing).
  EXPECT_FALSE(auth.Check({"alice", "other"}));
  EXPECT_FALSE(auth.Check({"bob", "s3cret"}));
  EXPECT_FALSE(auth.Check({"mallory", "s3cret"}));
  EXPECT_FALSE(auth.CheckCached({"mallory", "s3cret"}));
  EXPECT_FALSE(auth.CheckCached({"alice", "other"}));
  EXPECT_EQ(auth.bcrypt_runs(), 5u);

  // crypt() stops at a NUL: "s3cret\0x" must not pass as "s3cret".
  EXPECT_FALSE(auth.Check({"alice", std::string("s3cret\0x", 8)}));
  // A user whose name is another's password does not mix up the cache.
  EXPECT_FALSE(auth.CheckCached({"s3cret", "alice"}));
}

TEST(BasicAuthTest, CacheIsBounded) {
  std::map<std::string, std::string, std::less<>> users;
  for (int i = 0; i < 150; ++i) users["user" + std::to_string(i)] = kHashS3cret;
  BasicAuth auth(std::move(users));
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(auth.Check({"user" + std::to_string(i), "s3cret"}));
  int cached = 0;
  for (int i = 0; i < 150; ++i) cached += auth.CheckCached({"user" + std::to_string(i), "s3cret"});
  EXPECT_LE(cached, static_cast<int>(BasicAuth::kCacheCapacity));
  EXPECT_GE(cached, static_cast<int>(BasicAuth::kCacheCapacity * 8 / 10));
  EXPECT_TRUE(auth.CheckCached({"user149", "s3cret"}));  // the newest is always kept
}

TEST(TlsServerContextTest, MapsGoNames) {
  EXPECT_EQ(OpenSslCipherName("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(OpenSslCipherName("TLS_AES_256_GCM_SHA384"), "");  // TLS 1.3: not configurable
  EXPECT_FALSE(OpenSslCipherName("TLS_RSA_WITH_3DES_EDE_CBC_SHA"));  // Go: insecure
  EXPECT_EQ(OpenSslGroupName("CurveP384"), "P-384");
  EXPECT_EQ(ClientAuthFromName("RequireClientCert"), ClientAuth::kRequireAnyClientCert);
  EXPECT_EQ(ClientAuthFromName(""), ClientAuth::kNoClientCert);
  EXPECT_FALSE(ClientAuthFromName("requireandverifyclientcert"));
  EXPECT_FALSE(TlsVersionFromName("TLS1.2"));
}

TEST(TlsServerContextTest, EveryCipherOpenSslNameIsKnownToOpenSsl) {
  test_support::CertAndKey pair = test_support::SelfSignedCert("localhost");
  for (std::string_view go : {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                              "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                              "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"}) {
    TlsServerSettings settings;
    settings.cert_pem = pair.cert_pem;
    settings.key_pem = pair.key_pem;
    settings.cipher_suites = {*OpenSslCipherName(go)};
    EXPECT_NO_THROW(BuildTlsServerContext(settings)) << go;
  }
}

}  // namespace
}  // namespace metricsd
