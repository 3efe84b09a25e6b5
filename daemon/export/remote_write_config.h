// The `remote_write` section: a list of endpoints in Prometheus 2.42's own spelling (url, name,
// remote_timeout, headers, basic_auth, bearer_token, tls_config, queue_config,
// write_relabel_configs), so a user pastes the block from prometheus.yml, plus the
// external_labels Prometheus takes from its `global` block (here per endpoint).
//
// Thread-safety: plain values; immutable once loaded (the compiled regexes are shared and
// RE2 matching is safe from any thread).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "daemon/client/url.h"
#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"
#include "daemon/core/http_client_config.h"

namespace metricsd::remote {

// Prometheus's relabel_config (model/relabel): the actions a write_relabel_configs entry takes.
enum class RelabelAction {
  kReplace, kKeep, kDrop, kHashmod, kLabelmap, kLabeldrop, kLabelkeep, kLowercase, kUppercase,
  kKeepEqual, kDropEqual,
};

// A relabel regex as Prometheus holds it: the text as written, compiled anchored at both ends
// ("^(?:text)$", so capture groups keep their numbers).
struct RelabelRegex {
  std::string text = "(.*)";
  std::shared_ptr<const RE2> re;  // never null
  bool match_all = true;          // text is "(.*)": every value without '\n' matches whole

  RelabelRegex();  // "(.*)", Prometheus's default
  // Throws std::invalid_argument with RE2's message for a syntax error.
  static RelabelRegex Compile(std::string_view text);
};

struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  RelabelRegex regex;               // anchored; default "(.*)"
  std::uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  RelabelAction action = RelabelAction::kReplace;
};

// queue_config, with Prometheus 2.42's defaults (config.DefaultQueueConfig).
struct QueueConfig {
  int capacity = 2500;
  int max_shards = 200;
  int min_shards = 1;
  int max_samples_per_send = 500;
  Duration batch_send_deadline = std::chrono::seconds(5);
  Duration min_backoff = std::chrono::milliseconds(30);
  Duration max_backoff = std::chrono::seconds(5);
  bool retry_on_http_429 = false;
};

// Prometheus's `authorization` block: the Authorization header as "<type> <credentials>".
struct AuthorizationBlock {
  std::string type = "Bearer";
  std::string credentials;       // secret
  std::string credentials_file;  // read at each request

  bool IsSet() const { return !credentials.empty() || !credentials_file.empty(); }
};

struct RemoteWriteEndpoint {
  std::string url;
  Url parsed_url;                   // `url` parsed (checked at load)
  std::string name;                 // the remote_name label; default: a hash of the url
  Duration remote_timeout = std::chrono::seconds(30);
  std::map<std::string, std::string> headers;  // secret: values never leave the process
  HttpAuth auth;                    // basic_auth, bearer_token, bearer_token_file
  AuthorizationBlock authorization;  // exclusive with the above
  TlsOptions tls;
  QueueConfig queue;
  std::vector<RelabelConfig> write_relabel_configs;
  std::map<std::string, std::string> external_labels;
  // Accepted so a pasted Prometheus block loads; metricsd stores neither exemplars nor native
  // histograms, so there is nothing to send for them.
  bool send_exemplars = false;
  bool send_native_histograms = false;

  // The remote_name label: `name`, else the first 6 hex digits of the SHA-256 of the url.
  // (Prometheus hashes its whole marshalled endpoint config; hashing the url keeps the name,
  // and so the queue's position and counters, stable across edits of the other keys.)
  std::string RemoteName() const;
  // The Authorization header of each request (empty: none), from `authorization` or else
  // basic_auth / bearer_token. Reads secret files; throws std::runtime_error if one cannot be
  // read.
  std::string AuthorizationHeader() const;
};

const config::Section<RemoteWriteEndpoint>& RemoteWriteEndpointSection();
// One write_relabel_configs entry (Prometheus's relabel_config, its checks and messages).
const config::Section<RelabelConfig>& RelabelConfigSection();

// The checks across the list, for the section that holds it (daemon/config/config.cpp):
// names unique ("found multiple remote write configs with job name ..."), and two unnamed
// endpoints with the same url are one queue twice ("duplicate remote write configs are not
// allowed, found duplicate for URL: ..."). `list` is the `remote_write` node.
void CheckRemoteWriteEndpoints(const ConfigNode& list,
                               const std::vector<RemoteWriteEndpoint>& endpoints);

// Whether `name` is a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*).
bool IsValidLabelName(std::string_view name);

}  // namespace metricsd::remote
