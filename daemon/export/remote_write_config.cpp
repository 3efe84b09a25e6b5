#include "daemon/export/remote_write_config.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <stdexcept>

#include "daemon/client/url_key.h"
#include "daemon/core/enum_table.h"

namespace metricsd::remote {
namespace {

using config::Section;

inline constexpr EnumTable<RelabelAction, 11> kRelabelActionNames{{{
    {RelabelAction::kReplace, "replace"},
    {RelabelAction::kKeep, "keep"},
    {RelabelAction::kDrop, "drop"},
    {RelabelAction::kHashmod, "hashmod"},
    {RelabelAction::kLabelmap, "labelmap"},
    {RelabelAction::kLabeldrop, "labeldrop"},
    {RelabelAction::kLabelkeep, "labelkeep"},
    {RelabelAction::kLowercase, "lowercase"},
    {RelabelAction::kUppercase, "uppercase"},
    {RelabelAction::kKeepEqual, "keepequal"},
    {RelabelAction::kDropEqual, "dropequal"},
}}};

// Prometheus's relabelTarget: what a target_label (replace, lowercase, uppercase, keepequal,
// dropequal) or a labelmap replacement may be: label-name characters and $1 / ${name}
// references.
const RE2& RelabelTarget() {
  static const RE2 re(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return re;
}

// The request headers Prometheus 2.42 reserves (config.go reservedHeaders, lower case): the
// sender sets them itself. Authorization comes from basic_auth or bearer_token.
constexpr std::string_view kReservedHeaders[] = {
    "host", "content-encoding", "content-length", "content-type", "user-agent", "connection",
    "keep-alive", "proxy-authenticate", "proxy-authorization", "www-authenticate",
    "accept-encoding", "x-prometheus-remote-write-version", "x-prometheus-remote-read-version",
    "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 9110 token characters: what a header name may hold.
bool IsHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

void CheckHeader(const ConfigNode& value, const std::string& name) {
  std::string lower = Lower(name);
  if (lower == "authorization") {
    value.Fail("authorization header must be changed via the basic_auth, authorization, oauth2, "
               "or sigv4 parameter");
  }
  for (std::string_view reserved : kReservedHeaders) {
    if (lower == reserved) value.Fail(name + " is a reserved header. It must not be changed");
  }
  if (!IsHeaderName(name)) value.Fail("invalid header name \"" + name + "\"");
  // Never echo the value: it is a secret.
  if (value.AsString().find_first_of("\r\n") != std::string::npos) {
    value.Fail("the value of header " + name + " holds a line break");
  }
}

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

std::string HexSha256(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

// --- relabel_config -----------------------------------------------------------------------

bool NeedsTarget(RelabelAction a) {
  return a == RelabelAction::kReplace || a == RelabelAction::kHashmod ||
         a == RelabelAction::kLowercase || a == RelabelAction::kUppercase ||
         a == RelabelAction::kKeepEqual || a == RelabelAction::kDropEqual;
}

bool TargetIsTemplate(RelabelAction a) {
  return a == RelabelAction::kReplace || a == RelabelAction::kLowercase ||
         a == RelabelAction::kUppercase || a == RelabelAction::kKeepEqual ||
         a == RelabelAction::kDropEqual;
}

bool TakesNoReplacement(RelabelAction a) {
  return a == RelabelAction::kLowercase || a == RelabelAction::kUppercase ||
         a == RelabelAction::kKeepEqual || a == RelabelAction::kDropEqual;
}

// The node of `key` if the item sets it, else the item: where an error about it points.
ConfigNode At(const ConfigNode& item, std::string_view key) {
  ConfigNode child = item[key];
  return child.IsSet() ? child : item;
}

// Prometheus's relabel.Config.UnmarshalYAML checks, in its order and with its messages.
void CheckRelabel(const ConfigNode& node, RelabelConfig& c) {
  const RelabelConfig defaults;
  std::string action(kRelabelActionNames.Name(c.action));
  if (c.modulus == 0 && c.action == RelabelAction::kHashmod) {
    At(node, "modulus").Fail("relabel configuration for hashmod requires non-zero modulus");
  }
  if (NeedsTarget(c.action) && c.target_label.empty()) {
    At(node, "target_label")
        .Fail("relabel configuration for " + action + " action requires 'target_label' value");
  }
  if (TargetIsTemplate(c.action) && !RE2::FullMatch(c.target_label, RelabelTarget())) {
    At(node, "target_label")
        .Fail("\"" + c.target_label + "\" is invalid 'target_label' for " + action + " action");
  }
  if (TakesNoReplacement(c.action) && c.replacement != defaults.replacement) {
    At(node, "replacement").Fail("'replacement' can not be set for " + action + " action");
  }
  if (c.action == RelabelAction::kLabelmap && !RE2::FullMatch(c.replacement, RelabelTarget())) {
    At(node, "replacement")
        .Fail("\"" + c.replacement + "\" is invalid 'replacement' for " + action + " action");
  }
  if (c.action == RelabelAction::kHashmod && !IsValidLabelName(c.target_label)) {
    At(node, "target_label")
        .Fail("\"" + c.target_label + "\" is invalid 'target_label' for " + action + " action");
  }
  if (c.action == RelabelAction::kKeepEqual || c.action == RelabelAction::kDropEqual) {
    // Prometheus compares the regex by identity (any regex written is "set"); we compare
    // values, so the effective config (which spells every default out) loads back.
    for (std::string_view key : {"regex", "modulus", "separator", "replacement"}) {
      bool differs = key == "regex"         ? c.regex.text != defaults.regex.text
                     : key == "modulus"     ? c.modulus != defaults.modulus
                     : key == "separator"   ? c.separator != defaults.separator
                                            : c.replacement != defaults.replacement;
      if (differs) {
        At(node, key).Fail(action +
                           " action requires only 'source_labels' and `target_label`, and no "
                           "other fields");
      }
    }
  }
  if (c.action == RelabelAction::kLabeldrop || c.action == RelabelAction::kLabelkeep) {
    for (std::string_view key : {"source_labels", "target_label", "modulus", "separator", "replacement"}) {
      bool differs = key == "source_labels"  ? !c.source_labels.empty()
                     : key == "target_label" ? !c.target_label.empty()
                     : key == "modulus"      ? c.modulus != defaults.modulus
                     : key == "separator"    ? c.separator != defaults.separator
                                             : c.replacement != defaults.replacement;
      if (differs) At(node, key).Fail(action + " action requires only 'regex', and no other fields");
    }
  }
}

// Prometheus's HTTPClientConfig.Validate for the `authorization` block, with its messages.
const Section<AuthorizationBlock>& AuthorizationSection() {
  static const auto* section = &(*new Section<AuthorizationBlock>(
      "The Authorization header as \"<type> <credentials>\" (Prometheus's authorization)."))
      .String("type", &AuthorizationBlock::type, "the scheme, e.g. Bearer (basic: use basic_auth)")
      .String("credentials", &AuthorizationBlock::credentials, "the credentials", /*secret=*/true)
      .OmitWhen([](const AuthorizationBlock& a) { return a.credentials.empty(); })
      .Path("credentials_file", &AuthorizationBlock::credentials_file,
            "a file holding the credentials, read at each request")
      .OmitWhen([](const AuthorizationBlock& a) { return a.credentials_file.empty(); })
      .Check("credentials or credentials_file, not both; type is not basic",
             [](const ConfigNode& node, AuthorizationBlock& a) {
               if (!a.credentials.empty() && !a.credentials_file.empty()) {
                 node["credentials_file"].Fail(
                     "at most one of authorization credentials & credentials_file must be "
                     "configured");
               }
               std::string type = a.type;
               while (!type.empty() && type.back() == ' ') type.pop_back();
               while (!type.empty() && type.front() == ' ') type.erase(type.begin());
               if (type.empty()) type = "Bearer";
               if (Lower(type) == "basic") {
                 At(node, "type").Fail(
                     "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
               }
               if (!IsHeaderName(type)) At(node, "type").Fail("invalid authorization type \"" + type + "\"");
               a.type = type;
             });
  return *section;
}

const Section<QueueConfig>& QueueSection() {
  static const auto* section = &(*new Section<QueueConfig>(
      "How samples are batched and sent: Prometheus's queue_config, with its 2.42 defaults."))
      .Int("capacity", &QueueConfig::capacity, 1, 10'000'000,
           "samples buffered per shard (read ahead from history) before the reader waits")
      .Int("max_shards", &QueueConfig::max_shards, 1, 100'000,
           "most concurrent senders; shards scale between min_shards and this with the backlog")
      .Int("min_shards", &QueueConfig::min_shards, 1, 100'000,
           "fewest concurrent senders (also the number at start)")
      .Int("max_samples_per_send", &QueueConfig::max_samples_per_send, 1, 10'000'000,
           "most samples in one request")
      .Dur("batch_send_deadline", &QueueConfig::batch_send_deadline,
           "longest a sample waits in a shard's partial batch before it is sent", config::kPositive)
      .Dur("min_backoff", &QueueConfig::min_backoff,
           "first wait before retrying a failed request (doubles each retry)")
      .Dur("max_backoff", &QueueConfig::max_backoff, "longest wait between retries")
      .Bool("retry_on_http_429", &QueueConfig::retry_on_http_429,
            "retry requests the receiver rate-limits (HTTP 429, honouring Retry-After) instead of "
            "dropping them")
      .Check("min_shards <= max_shards; min_backoff <= max_backoff",
             [](const ConfigNode& node, QueueConfig& q) {
               if (q.min_shards > q.max_shards) {
                 At(node, "min_shards").Fail("min_shards (" + std::to_string(q.min_shards) +
                                             ") is more than max_shards (" +
                                             std::to_string(q.max_shards) + ")");
               }
               if (q.min_backoff > q.max_backoff) {
                 At(node, "max_backoff").Fail("max_backoff (" + FormatDuration(q.max_backoff) +
                                              ") is less than min_backoff (" +
                                              FormatDuration(q.min_backoff) + ")");
               }
             });
  return *section;
}

}  // namespace

RelabelRegex::RelabelRegex() {
  static const auto* all = new std::shared_ptr<const RE2>(std::make_shared<const RE2>("^(?:(.*))$"));
  re = *all;
}

RelabelRegex RelabelRegex::Compile(std::string_view text) {
  RelabelRegex out;
  out.text = std::string(text);
  out.match_all = text == "(.*)";
  if (out.match_all) return out;
  auto re = std::make_shared<const RE2>("^(?:" + out.text + ")$", RE2::Quiet);
  if (!re->ok()) {
    // The error in the user's own text, not in the anchored pattern.
    RE2 plain(out.text, RE2::Quiet);
    throw std::invalid_argument(plain.ok() ? re->error() : plain.error());
  }
  out.re = std::move(re);
  return out;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string RemoteWriteEndpoint::RemoteName() const {
  return name.empty() ? HexSha256(url).substr(0, 6) : name;
}

std::string RemoteWriteEndpoint::AuthorizationHeader() const {
  if (!authorization.credentials_file.empty()) {
    std::string secret = ReadConfigFile(authorization.credentials_file);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    return authorization.type + " " + secret;
  }
  if (!authorization.credentials.empty()) return authorization.type + " " + authorization.credentials;
  return auth.AuthorizationHeader();
}

const Section<RelabelConfig>& RelabelConfigSection() {
  static const auto* section = [] {
    auto* relabel = new Section<RelabelConfig>(
        "One relabelling step (Prometheus's relabel_config), applied to each series before it is "
        "sent.");
    relabel
        ->Add(config::MakeKeyInfo("source_labels", "list of strings",
                                  "labels whose values, joined by separator, the regex reads",
                                  {{"type", {"array", "null"}}, {"items", config::StringSchema()}}),
              [](const ConfigNode& node, RelabelConfig& out) {
                out.source_labels.clear();
                for (const ConfigNode& item : node.Items()) {
                  std::string name = item.AsString();
                  if (!IsValidLabelName(name)) item.Fail("\"" + name + "\" is not a valid label name");
                  out.source_labels.push_back(std::move(name));
                }
              },
              [](const RelabelConfig& in) { return nlohmann::json(in.source_labels); })
        .String("separator", &RelabelConfig::separator, "between the joined source label values")
        .Add(config::MakeKeyInfo("regex", "regex",
                                 "RE2 regular expression, anchored at both ends, matched against "
                                 "the joined value (labelmap, labeldrop, labelkeep: against each "
                                 "label name)"),
             [](const ConfigNode& node, RelabelConfig& out) {
               std::string text = node.AsString();
               try {
                 out.regex = RelabelRegex::Compile(text);
               } catch (const std::invalid_argument& e) {
                 node.Fail("error parsing regexp \"" + text + "\": " + e.what());
               }
             },
             [](const RelabelConfig& in) { return nlohmann::json(in.regex.text); })
        .Int("modulus", &RelabelConfig::modulus, 0, std::numeric_limits<std::int64_t>::max(),
             "hashmod: the modulus of the MD5 of the joined value")
        .String("target_label", &RelabelConfig::target_label,
                "the label written (replace: may hold $1 / ${name} references)")
        .String("replacement", &RelabelConfig::replacement,
                "replace, labelmap: the value written, with $1, ${1}, ${name} references to the "
                "regex's groups; an empty result removes the label")
        .Add(config::MakeKeyInfo(
                 "action", "enum: replace | keep | drop | hashmod | labelmap | labeldrop | "
                           "labelkeep | lowercase | uppercase | keepequal | dropequal",
                 "what the step does (case-insensitive, as Prometheus)",
                 {{"type", {"string", "null"}}}),
             [](const ConfigNode& node, RelabelConfig& out) {
               std::string text = node.AsString();
               auto action = kRelabelActionNames.Parse(Lower(text));
               if (!action) node.Fail("unknown relabel action \"" + text + "\"");
               out.action = *action;
             },
             [](const RelabelConfig& in) {
               return nlohmann::json(std::string(kRelabelActionNames.Name(in.action)));
             })
        .Check("hashmod needs modulus and a target_label; replace, lowercase, uppercase, "
               "keepequal and dropequal need a target_label; labeldrop and labelkeep take only "
               "regex; keepequal and dropequal take only source_labels and target_label",
               CheckRelabel);
    return relabel;
  }();
  return *section;
}

const Section<RemoteWriteEndpoint>& RemoteWriteEndpointSection() {
  static const auto* section = [] {
    auto* endpoint = new Section<RemoteWriteEndpoint>(
        "One remote_write endpoint, in Prometheus's spelling (paste the block from "
        "prometheus.yml).");
    endpoint
        ->Add(config::MakeKeyInfo("url", "URL",
                                  "where the samples are POSTed (http:// or https://), e.g. "
                                  "http://prometheus:9090/api/v1/write",
                                  UrlSchema()),
              [](const ConfigNode& node, RemoteWriteEndpoint& out) {
                out.url = node.AsString();
                std::optional<Url> url = ParseUrl(out.url);
                if (!url) {
                  node.Fail("invalid URL \"" + RedactUrl(out.url) +
                            "\" (expected http://HOST[:PORT]/... or https://...)");
                }
                out.parsed_url = *url;
              },
              [](const RemoteWriteEndpoint& in) { return nlohmann::json(RedactUrl(in.url)); })
        .Required("url for remote_write is empty")
        .String("name", &RemoteWriteEndpoint::name,
                "the remote_name label of this endpoint's metrics (unique); empty: the first 6 "
                "hex digits of the SHA-256 of the url")
        .Dur("remote_timeout", &RemoteWriteEndpoint::remote_timeout,
             "time allowed for one request", config::kPositive)
        .StringMap("headers", &RemoteWriteEndpoint::headers,
                   "extra HTTP headers of each request (values are secret); Prometheus's reserved "
                   "headers (Authorization, Content-Type, Content-Encoding, User-Agent, "
                   "X-Prometheus-Remote-Write-Version, ...) are refused",
                   /*secret=*/true, CheckHeader)
        .Include(&RemoteWriteEndpoint::auth, HttpAuthSection())
        .Block("authorization", &RemoteWriteEndpoint::authorization, AuthorizationSection(),
               "the Authorization header as type and credentials (instead of basic_auth or "
               "bearer_token)")
        .OmitWhen([](const RemoteWriteEndpoint& e) { return !e.authorization.IsSet(); })
        .Block("tls_config", &RemoteWriteEndpoint::tls, TlsSection(), "TLS of an https url")
        .Block("queue_config", &RemoteWriteEndpoint::queue, QueueSection(),
               QueueSection().doc())
        .List("write_relabel_configs", &RemoteWriteEndpoint::write_relabel_configs,
              RelabelConfigSection(),
              "relabelling applied, in order, to each series (after external_labels) before it "
              "is sent; a series dropped here is not sent to this endpoint")
        .StringMap("external_labels", &RemoteWriteEndpoint::external_labels,
                   "labels added to every series sent (a series' own label wins), as "
                   "Prometheus's global.external_labels",
                   /*secret=*/false,
                   [](const ConfigNode& at, const std::string& label) {
                     if (!IsValidLabelName(label)) at.Fail("\"" + label + "\" is not a valid label name");
                     std::string value = at.AsString();
                     if (!IsValidUtf8(value)) at.Fail("\"" + value + "\" is not a valid label value");
                   })
        .Bool("send_exemplars", &RemoteWriteEndpoint::send_exemplars,
              "accepted for Prometheus compatibility; metricsd stores no exemplars")
        .Bool("send_native_histograms", &RemoteWriteEndpoint::send_native_histograms,
              "accepted for Prometheus compatibility; metricsd stores no native histograms")
        .Check("authorization excludes basic_auth, bearer_token and bearer_token_file",
               [](const ConfigNode& node, RemoteWriteEndpoint& e) {
                 if (!node["authorization"].IsSet()) return;
                 if (!e.authorization.IsSet()) {
                   node["authorization"].Fail("needs credentials or credentials_file");
                 }
                 if (!e.auth.bearer_token.empty() || !e.auth.bearer_token_file.empty()) {
                   node["authorization"].Fail(
                       "authorization is not compatible with bearer_token & bearer_token_file");
                 }
                 if (!e.auth.username.empty()) {
                   node["authorization"].Fail(
                       "at most one of basic_auth, oauth2 & authorization must be configured");
                 }
               });
    return endpoint;
  }();
  return *section;
}

void CheckRemoteWriteEndpoints(const ConfigNode& list,
                               const std::vector<RemoteWriteEndpoint>& endpoints) {
  std::vector<ConfigNode> items = list.Items();
  std::set<std::string> names, unnamed_urls;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const RemoteWriteEndpoint& endpoint = endpoints[i];
    const ConfigNode& item = i < items.size() ? items[i] : list;
    if (!endpoint.name.empty()) {
      if (!names.insert(endpoint.name).second) {
        item["name"].Fail("found multiple remote write configs with job name \"" + endpoint.name +
                          "\"");
      }
    } else if (!unnamed_urls.insert(endpoint.url).second) {
      item["url"].Fail("duplicate remote write configs are not allowed, found duplicate for URL: " +
                       RedactUrl(endpoint.url));
    }
  }
  // A name equal to another endpoint's hash name would merge their queues and metrics.
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    if (!endpoints[i].name.empty()) continue;
    std::string hashed = endpoints[i].RemoteName();
    if (names.contains(hashed)) {
      const ConfigNode& item = i < items.size() ? items[i] : list;
      item["url"].Fail("this endpoint's default name \"" + hashed +
                       "\" is another endpoint's name: set a name");
    }
  }
}

}  // namespace metricsd::remote
