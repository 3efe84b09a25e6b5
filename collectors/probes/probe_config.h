// The `probes` config section: defaults, a concurrency cap, and the targets (http, tcp,
// ao_dryrun, ao_unit), each validated in full at load (a bad URL, regex, CA file or a timeout
// not below the interval is a ConfigError with file:line:column).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "daemon/client/url.h"
#include "daemon/core/config_node.h"
#include "daemon/core/config_schema.h"
#include "daemon/core/http_client_config.h"
#include "daemon/core/duration.h"

namespace metricsd::probes {

enum class ProbeType { kHttp, kTcp, kAoDryrun, kAoUnit };
std::string_view TypeName(ProbeType type);

using metricsd::TlsOptions;

struct HttpOptions {
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<std::pair<unsigned, unsigned>> valid_status_codes;  // ranges; empty: 2xx
  std::vector<std::shared_ptr<const RE2>> fail_if_body_matches;
  std::vector<std::shared_ptr<const RE2>> fail_if_body_not_matches;
  bool follow_redirects = true;
  // Follow a redirect from https to http (blackbox_exporter's Go client does silently); off, the
  // probe fails with the reason. Any probe type with a URL.
  bool allow_insecure_redirect = false;
  bool prefer_ip6 = false;       // ip_protocol: ip6 (ip4 by default; each falls back to the other)
  std::size_t body_size_limit = 10 << 20;

  bool ValidStatus(unsigned status) const;
};

// A tag the first message must carry; reads like the optional it is (unset: empty name).
struct FirstMessageTag {
  std::string name, value;

  explicit operator bool() const { return !name.empty(); }
  const FirstMessageTag& operator*() const { return *this; }
  void emplace(std::string tag, std::string wanted) {
    name = std::move(tag);
    value = std::move(wanted);
  }
};

// A check of a dry-run's answer (all configured must hold).
struct DryrunExpect {
  bool no_error = true;
  int min_messages = 0;
  std::vector<std::pair<std::string, nlohmann::json>> pointers;  // JSON pointer -> value
  FirstMessageTag first_message_tag;
};

struct DryrunOptions {
  std::string process_id;
  std::string action;
  std::vector<std::pair<std::string, std::string>> tags;  // besides Action
  std::string data;
  std::string owner;
  bool cache_bust = true;
  DryrunExpect expect;
};

enum class AoUnit { kCu, kMu, kSu };
std::string_view UnitName(AoUnit unit);

// Thread-safety: TargetConfig and ProbesConfig are plain values, immutable once loaded.
struct TargetConfig {
  std::string name;              // the `target` label: `name`, or the url / address
  ProbeType type = ProbeType::kHttp;
  Duration interval{0};
  Duration timeout{0};
  std::optional<Url> url;        // http, ao_dryrun, ao_unit
  std::string address;           // tcp: HOST:PORT
  std::string tcp_host;
  std::uint16_t tcp_port = 0;
  bool tcp_tls = false;
  TlsOptions tls;
  // Built at load, so a CA file that does not parse is a config error; null for plain HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  HttpOptions http;
  DryrunOptions dryrun;
  AoUnit unit = AoUnit::kCu;
  std::vector<double> buckets;

  nlohmann::json ToJson() const;
};

struct ProbesConfig {
  Duration interval = std::chrono::seconds(15);
  Duration timeout = std::chrono::seconds(5);
  // Latency buckets from 5 ms to 10 s: AO dry-runs take tens of ms to seconds.
  std::vector<double> buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  int max_concurrency = 64;
  bool allow_insecure_redirect = false;  // the targets' default
  std::vector<TargetConfig> targets;

  nlohmann::json ToJson() const;
};

// The declaration of every key of the section (daemon/core/config_schema.h).
const config::Section<ProbesConfig>& ProbesSection();
ProbesConfig ParseProbesConfig(const ConfigNode& node);

}  // namespace metricsd::probes
