#include "daemon/http/web_config_file.h"

#include <algorithm>

#include "daemon/http/basic_auth.h"

namespace metricsd {
namespace {

// exporter-toolkit's extraHTTPHeaders: the only headers it lets a web-config set, and for two of
// them the only values. Private there "to ensure consistency in the Prometheus ecosystem".
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;  // empty: any value
};
const std::vector<AllowedHeader>& AllowedHeaders() {
  static const std::vector<AllowedHeader> kAllowed = {
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return kAllowed;
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::vector<std::pair<std::string, std::string>> ParseHeaders(const ConfigNode& node) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& entry : node.Entries()) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string& name = entry.first;
    const ConfigNode& value_node = entry.second;
    auto allowed = std::find_if(AllowedHeaders().begin(), AllowedHeaders().end(),
                                [&](const AllowedHeader& h) { return h.name == name; });
    if (allowed == AllowedHeaders().end()) {
      std::string message = "HTTP header " + Quoted(name) + " can not be configured (allowed:";
      for (const AllowedHeader& h : AllowedHeaders()) message += " " + std::string(h.name);
      value_node.Fail(message + ")");
    }
    std::string value = value_node.IsSet() ? value_node.AsString() : std::string();
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f; })) {
      value_node.Fail("header values must not contain control characters");
    }
    if (!allowed->values.empty() &&
        std::find(allowed->values.begin(), allowed->values.end(), value) ==
            allowed->values.end()) {
      std::string message = "invalid value " + Quoted(value) + ", expected one of:";
      for (std::string_view v : allowed->values) message += " " + Quoted(v);
      value_node.Fail(message);
    }
    if (!value.empty()) headers.emplace_back(name, value);
  }
  return headers;
}

std::map<std::string, std::string, std::less<>> ParseUsers(const ConfigNode& node) {
  std::map<std::string, std::string, std::less<>> users;
  for (const auto& [user, hash_node] : node.Entries()) {
    // AsString never echoes the value, and neither may we: a hash is a secret.
    std::string hash = hash_node.AsString();
    if (!IsBcryptHash(hash)) {
      hash_node.Fail(
          "not a bcrypt hash (make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n')");
    }
    users.emplace(user, std::move(hash));
  }
  return users;
}

void ParseRateLimit(const ConfigNode& node) {
  node.ExpectKeys({"interval", "burst"});
  node.GetInt("burst", 0, 0, 1 << 30);
  Duration interval = node.GetDuration("interval", Duration::zero());
  // Better refused than silently not enforced.
  if (interval.count() != 0) {
    node["interval"].Fail(
        "rate limiting is not supported by metricsd (set interval to 0 or remove rate_limit)");
  }
}

// Reads a pair of exporter-toolkit's forms: the inline `inline_key` or the file `file_key`.
// Returns which node was set (for errors) and fills exactly one of `text`, `file`.
void ReadPair(const ConfigNode& tls, std::string_view inline_key, std::string_view file_key,
              const std::string& dir, std::string& text, std::string& file) {
  ConfigNode inline_node = tls[inline_key];
  ConfigNode file_node = tls[file_key];
  if (inline_node.IsSet() && file_node.IsSet()) {
    file_node.Fail("set either " + std::string(inline_key) + " or " + std::string(file_key) +
                   ", not both");
  }
  if (inline_node.IsSet()) text = inline_node.AsString();
  if (file_node.IsSet()) {
    file = file_node.AsString();
    if (file.empty()) file_node.Fail("must not be empty");
    file = JoinDir(dir, file);
  }
}

std::shared_ptr<boost::asio::ssl::context> ParseTls(const ConfigNode& tls,
                                                    const std::string& dir) {
  tls.ExpectKeys({"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type",
                  "client_ca_file", "client_allowed_sans", "min_version", "max_version",
                  "cipher_suites", "prefer_server_cipher_suites", "curve_preferences"});
  TlsServerSettings settings;
  ReadPair(tls, "cert", "cert_file", dir, settings.cert_pem, settings.cert_file);
  ReadPair(tls, "key", "key_file", dir, settings.key_pem, settings.key_file);
  ReadPair(tls, "client_ca", "client_ca_file", dir, settings.client_ca_pem,
           settings.client_ca_file);
  std::string client_auth_name = tls.GetString("client_auth_type", "");
  // exporter-toolkit's IsEnabled(): without any of these, the file does not turn TLS on (even
  // if it sets versions or ciphers).
  bool enabled = !settings.cert_file.empty() || !settings.cert_pem.empty() ||
                 !settings.key_file.empty() || !settings.key_pem.empty() ||
                 !settings.client_ca_file.empty() || !settings.client_ca_pem.empty() ||
                 !client_auth_name.empty();

  std::optional<ClientAuth> client_auth = ClientAuthFromName(client_auth_name);
  if (!client_auth) {
    tls["client_auth_type"].Fail(
        "unknown client auth type " + Quoted(client_auth_name) +
        " (expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
        "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  }
  settings.client_auth = *client_auth;
  for (const ConfigNode& item : tls["client_allowed_sans"].Items()) {
    settings.client_allowed_sans.push_back(item.AsString());
  }

  auto version = [&](std::string_view key, int fallback) {
    ConfigNode node = tls[key];
    if (!node.IsSet()) return fallback;
    std::string name = node.AsString();
    std::optional<int> value = TlsVersionFromName(name);
    if (!value) node.Fail("unknown TLS version " + Quoted(name) + " (expected TLS10..TLS13)");
    return *value;
  };
  settings.min_version = version("min_version", TlsVersionFromName("TLS12").value());
  settings.max_version = version("max_version", TlsVersionFromName("TLS13").value());
  for (const ConfigNode& item : tls["cipher_suites"].Items()) {
    std::string name = item.AsString();
    std::optional<std::string> openssl = OpenSslCipherName(name);
    if (!openssl) item.Fail("unknown cipher " + Quoted(name) + " (Go's tls.CipherSuites() names)");
    settings.cipher_suites.push_back(*openssl);
  }
  settings.prefer_server_cipher_suites = tls.GetBool("prefer_server_cipher_suites", true);
  for (const ConfigNode& item : tls["curve_preferences"].Items()) {
    std::string name = item.AsString();
    std::optional<std::string> group = OpenSslGroupName(name);
    if (!group) {
      item.Fail("unknown curve " + Quoted(name) +
                " (expected CurveP256, CurveP384, CurveP521 or X25519)");
    }
    settings.curves.push_back(*group);
  }
  if (!enabled) return nullptr;

  // exporter-toolkit's checks, in its order.
  if (settings.cert_file.empty() && settings.cert_pem.empty()) {
    tls.Fail("missing one of cert or cert_file");
  }
  if (settings.key_file.empty() && settings.key_pem.empty()) {
    tls.Fail("missing one of key or key_file");
  }
  bool has_ca = !settings.client_ca_file.empty() || !settings.client_ca_pem.empty();
  if (has_ca && settings.client_auth == ClientAuth::kNoClientCert) {
    tls.Fail("client CA's have been configured without a Client Auth Policy");
  }
  if (!settings.client_allowed_sans.empty() &&
      settings.client_auth != ClientAuth::kRequireAnyClientCert &&
      settings.client_auth != ClientAuth::kRequireAndVerifyClientCert) {
    tls["client_allowed_sans"].Fail(
        "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or "
        "RequireAndVerifyClientCert");
  }

  try {
    return BuildTlsServerContext(settings);
  } catch (const TlsSettingsError& e) {
    auto at = [&](std::string_view inline_key, std::string_view file_key) {
      return tls[file_key].IsSet() ? tls[file_key] : tls[inline_key];
    };
    switch (e.setting()) {
      case TlsSetting::kCert: at("cert", "cert_file").Fail(e.what());
      case TlsSetting::kKey: at("key", "key_file").Fail(e.what());
      case TlsSetting::kClientCa: at("client_ca", "client_ca_file").Fail(e.what());
      case TlsSetting::kCipherSuites: tls["cipher_suites"].Fail(e.what());
      case TlsSetting::kCurves: tls["curve_preferences"].Fail(e.what());
      case TlsSetting::kVersions: tls["min_version"].Fail(e.what());
    }
    tls.Fail(e.what());
  }
}

}  // namespace

WebConfigFile ParseWebConfigFile(const ConfigNode& root, const std::string& dir) {
  root.ExpectKeys({"tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"});
  WebConfigFile config;
  ConfigNode http_config = root["http_server_config"];
  http_config.ExpectKeys({"http2", "headers"});
  config.http2 = http_config.GetBool("http2", true);
  config.headers = ParseHeaders(http_config["headers"]);
  config.users = ParseUsers(root["basic_auth_users"]);
  ParseRateLimit(root["rate_limit"]);
  config.tls_context = ParseTls(root["tls_server_config"], dir);
  return config;
}

std::string DirectoryOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string JoinDir(const std::string& dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || dir.empty()) return path;
  return dir + "/" + path;
}

}  // namespace metricsd
