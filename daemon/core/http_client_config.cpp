#include "daemon/core/http_client_config.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace metricsd {
namespace {

using config::Section;

std::string ReadSecret(const std::string& path) {
  std::string secret = ReadConfigFile(path);
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

std::string Base64(std::string_view plain) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < plain.size(); i += 3) {
    std::uint32_t chunk = static_cast<std::uint32_t>(static_cast<unsigned char>(plain[i])) << 16;
    if (i + 1 < plain.size()) chunk |= static_cast<unsigned char>(plain[i + 1]) << 8;
    if (i + 2 < plain.size()) chunk |= static_cast<unsigned char>(plain[i + 2]);
    encoded += kAlphabet[(chunk >> 18) & 63];
    encoded += kAlphabet[(chunk >> 12) & 63];
    encoded += i + 1 < plain.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    encoded += i + 2 < plain.size() ? kAlphabet[chunk & 63] : '=';
  }
  return encoded;
}

// An inline secret or the path of a file holding it; never both.
void OneOf(const ConfigNode& node, const std::string& inline_key) {
  std::string file_key = inline_key + "_file";
  if (node[inline_key].IsSet() && node[file_key].IsSet()) {
    node[file_key].Fail("set " + inline_key + " or " + file_key + ", not both");
  }
}

const Section<HttpAuth>& BasicAuthSection() {
  static const auto* section = &(*new Section<HttpAuth>("HTTP basic authentication."))
      .String("username", &HttpAuth::username, "the user name")
      .Required("needs a username")
      .String("password", &HttpAuth::password, "the password", /*secret=*/true)
      .OmitWhen([](const HttpAuth& a) { return a.password.empty(); })
      .Path("password_file", &HttpAuth::password_file,
            "a file holding the password, read at each request")
      .OmitWhen([](const HttpAuth& a) { return a.password_file.empty(); })
      .Check("password or password_file, not both",
             [](const ConfigNode& node, HttpAuth&) { OneOf(node, "password"); });
  return *section;
}

}  // namespace

std::string HttpAuth::AuthorizationHeader() const {
  if (!bearer_token_file.empty()) return "Bearer " + ReadSecret(bearer_token_file);
  if (!bearer_token.empty()) return "Bearer " + bearer_token;
  if (username.empty()) return "";
  return "Basic " + Base64(username + ":" + (password_file.empty() ? password : ReadSecret(password_file)));
}

const Section<TlsOptions>& TlsSection() {
  static const auto* section = &(*new Section<TlsOptions>("TLS of the connection."))
      .Path("ca_file", &TlsOptions::ca_file,
            "PEM CA certificates to verify the server with; empty: the system store")
      .Bool("insecure_skip_verify", &TlsOptions::insecure_skip_verify,
            "do not verify the server's certificate")
      .String("server_name", &TlsOptions::server_name,
              "SNI and the name verified; empty: the URL's host")
      .Check("ca_file is readable", [](const ConfigNode& node, TlsOptions& tls) {
        if (!tls.ca_file.empty() && ::access(tls.ca_file.c_str(), R_OK) != 0) {
          node["ca_file"].Fail("cannot read " + tls.ca_file + ": " + std::strerror(errno));
        }
      });
  return *section;
}

const Section<HttpAuth>& HttpAuthSection() {
  static const auto* section = &(*new Section<HttpAuth>(""))
      .Block("basic_auth", [](auto& a) -> auto& { return a; }, BasicAuthSection(),
             "HTTP basic authentication")
      .OmitWhen([](const HttpAuth& a) { return a.username.empty(); })
      .String("bearer_token", &HttpAuth::bearer_token, "a bearer token", /*secret=*/true)
      .OmitWhen([](const HttpAuth& a) { return a.bearer_token.empty(); })
      .Path("bearer_token_file", &HttpAuth::bearer_token_file,
            "a file holding the bearer token, read at each request")
      .OmitWhen([](const HttpAuth& a) { return a.bearer_token_file.empty(); })
      .Check("bearer_token or bearer_token_file, not both; basic_auth and bearer_token exclusive",
             [](const ConfigNode& node, HttpAuth& auth) {
               OneOf(node, "bearer_token");
               if (!auth.username.empty() &&
                   (!auth.bearer_token.empty() || !auth.bearer_token_file.empty())) {
                 node.Fail("basic_auth and bearer_token are exclusive");
               }
             });
  return *section;
}

}  // namespace metricsd
