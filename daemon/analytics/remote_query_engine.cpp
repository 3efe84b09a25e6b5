#include "daemon/analytics/remote_query_engine.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "daemon/analytics/remote_response.h"
#include "daemon/client/exchange.h"
#include "daemon/client/http_pool.h"
#include "daemon/client/url.h"
#include "daemon/core/config_node.h"
#include "daemon/query/query_json.h"

namespace metricsd::analytics {
namespace {

using promql::ErrorType;

// How much longer than the request's own deadline the caller waits: the exchange always ends
// by its deadline on a running io_context, so only a stopped or starved one needs this.
constexpr auto kWaitMargin = std::chrono::seconds(5);
// Header values shorter than this are not scrubbed from messages (a tenant "1" would garble
// every "1" of a parse error); credentials are scrubbed whatever their length.
constexpr std::size_t kMinScrubbedHeader = 6;

promql::QueryResult EngineFailure(ErrorType type, std::string message) {
  promql::QueryResult result;
  result.error_type = type;
  result.error = std::move(message);
  return result;
}

// `text` (a URL) with no userinfo at all and the query string cut: what may be shown.
std::string PublicUrl(std::string_view text) {
  std::string out = RedactUrl(text);
  std::size_t scheme = out.find("://");
  std::size_t authority = scheme == std::string::npos ? 0 : scheme + 3;
  std::size_t end = out.find_first_of("/?#", authority);
  std::size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
  if (at != std::string::npos && at >= authority) out.erase(authority, at + 1 - authority);
  return out;
}

// application/x-www-form-urlencoded: everything but unreserved characters percent-encoded.
void AppendFormValue(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
}

std::string Seconds(promql::Timestamp ms) {
  std::string out;
  query::AppendJsonTimestamp(out, ms);  // 1700000000123 -> "1700000000.123"
  return out;
}

// Replaces every occurrence of each secret in `text` with <secret>.
std::string Scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + 8)) {
      text.replace(at, secret.size(), "<secret>");
    }
  }
  return text;
}

std::string ReadPasswordFile(const std::string& path) {
  try {
    std::string secret = ReadConfigFile(path);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    return secret;
  } catch (const std::exception&) {
    return "";  // AuthorizationHeader reports the unreadable file
  }
}

}  // namespace

struct RemoteQueryEngine::State {
  RemoteSource source;
  std::optional<Url> url;
  std::string describe;
  std::string error;  // set: every query fails with it
  std::shared_ptr<net::ssl::context> tls;
  std::string base_path, query_string;  // the URL's path without a trailing '/', its "?..."
  // Keep-alive connections to the remote API: an analysis asks many queries in a row, and a
  // range query split in pieces asks them back to back. Null when `error` is set.
  std::shared_ptr<HttpPool> pool;
};

RemoteQueryEngine::RemoteQueryEngine(net::io_context& ioc, RemoteSource source) : ioc_(ioc) {
  auto state = std::make_shared<State>();
  state->url = ParseUrl(source.url);
  state->describe = PublicUrl(source.url);
  if (source.url.empty()) {
    state->error = "no remote source url";
  } else if (!state->url) {
    state->error = "invalid remote source URL \"" + state->describe + "\"";
  } else {
    state->describe = PublicUrl(state->url->ToString());
    // "http://prometheus:9090", not "http://prometheus:9090/".
    if (state->url->target == "/" && state->describe.ends_with('/')) state->describe.pop_back();
    std::string target = state->url->target;
    std::size_t question = target.find('?');
    if (question != std::string::npos) {
      state->query_string = target.substr(question);
      target.resize(question);
    }
    while (target.ends_with('/')) target.pop_back();
    state->base_path = target;
    if (state->url->https) {
      try {
        state->tls = MakeTlsContext(source.tls.ca_file, source.tls.insecure_skip_verify);
      } catch (const std::exception& e) {
        state->error = state->describe + ": TLS: " + e.what();
      }
    }
    if (state->error.empty()) {
      HttpPoolOptions options;
      options.host = state->url->host;
      options.port = state->url->port;
      options.tls = state->tls;
      options.server_name = source.tls.server_name;
      options.max_idle = 4;
      state->pool = std::make_shared<HttpPool>(ioc, std::move(options));
    }
  }
  state->source = std::move(source);
  state_ = std::move(state);
}

RemoteQueryEngine::~RemoteQueryEngine() = default;

std::string RemoteQueryEngine::Describe() const { return state_->describe; }

promql::QueryResult RemoteQueryEngine::Instant(std::string_view query, Timestamp t) {
  std::string form = "query=";
  AppendFormValue(form, query);
  form += "&time=" + Seconds(t);
  return Ask("/api/v1/query", std::move(form));
}

promql::QueryResult RemoteQueryEngine::Range(std::string_view query, Timestamp start, Timestamp end,
                                             std::int64_t step_ms) {
  // Prometheus's own checks (web/api/v1/api.go queryRange), before any request.
  if (step_ms <= 0) {
    return EngineFailure(
        ErrorType::kBadData,
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if (end < start)
    return EngineFailure(ErrorType::kBadData, "end timestamp must not be before start time");
  std::int64_t max_steps = std::max<std::int64_t>(state_->source.max_steps, 1);
  std::int64_t steps = (end - start) / step_ms + 1;
  if ((steps + max_steps - 1) / max_steps > kMaxRangePieces) {
    return EngineFailure(ErrorType::kBadData,
                   "range query of " + std::to_string(steps) + " steps needs more than " +
                       std::to_string(kMaxRangePieces) + " requests of " +
                       std::to_string(max_steps) + " steps; use a larger step");
  }
  promql::QueryResult whole;
  whole.value = promql::Matrix{};
  std::set<std::string> seen_warnings;
  std::vector<RangePiece> pieces = SplitRange(start, end, step_ms, max_steps);
  std::deque<RangePiece> todo(pieces.begin(), pieces.end());
  std::int64_t requests = 0;
  while (!todo.empty()) {
    RangePiece piece = todo.front();
    todo.pop_front();
    std::string form = "query=";
    AppendFormValue(form, query);
    form += "&start=" + Seconds(piece.start) + "&end=" + Seconds(piece.end) +
            "&step=" + Seconds(step_ms);
    bool too_large = false;
    promql::QueryResult part = Ask("/api/v1/query_range", std::move(form), &too_large);
    ++requests;
    std::int64_t piece_steps = (piece.end - piece.start) / step_ms + 1;
    if (too_large && piece_steps > 1 &&
        requests + static_cast<std::int64_t>(todo.size()) + 2 <= kMaxRangePieces) {
      // Two halves on the same grid, asked next, in order.
      promql::Timestamp middle = piece.start + (piece_steps / 2 - 1) * step_ms;
      todo.push_front({middle + step_ms, piece.end});
      todo.push_front({piece.start, middle});
      continue;
    }
    for (std::string& warning : part.warnings) {
      if (seen_warnings.insert(warning).second) whole.warnings.push_back(std::move(warning));
    }
    if (!part.ok()) {
      part.warnings = std::move(whole.warnings);
      return part;
    }
    auto* matrix = std::get_if<promql::Matrix>(&part.value);
    if (matrix == nullptr) {
      return EngineFailure(ErrorType::kInternal,
                     state_->describe + ": a range query answered something other than a matrix");
    }
    AppendMatrix(std::get<promql::Matrix>(whole.value), std::move(*matrix));
  }
  return whole;
}

promql::QueryResult RemoteQueryEngine::Ask(std::string_view path, std::string form,
                                           bool* too_large) const {
  const State& state = *state_;
  if (!state.error.empty()) return EngineFailure(ErrorType::kUnavailable, state.error);
  if (ioc_.get_executor().running_in_this_thread()) {
    // Waiting here would block the very thread the request needs.
    return EngineFailure(
        ErrorType::kInternal,
        "remote query engine called on a thread running its io_context (it would deadlock)");
  }
  const RemoteSource& source = state.source;
  std::vector<std::string> secrets;
  ExchangeRequest request;  // host, port and TLS are the pool's
  request.url = *state.url;
  request.url.target = state.base_path + std::string(path) + state.query_string;
  request.method = "POST";
  request.body = std::move(form);
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"},
                     {"User-Agent", "metricsd-analytics"}};
  for (const auto& [name, value] : source.headers) {
    request.headers.emplace_back(name, value);
    if (value.size() >= kMinScrubbedHeader) secrets.push_back(value);
  }
  try {
    std::string authorization = source.auth.AuthorizationHeader();
    if (!authorization.empty()) {
      request.headers.emplace_back("Authorization", authorization);
      secrets.push_back(authorization);
      std::size_t space = authorization.find(' ');
      if (space != std::string::npos) secrets.push_back(authorization.substr(space + 1));
    }
  } catch (const std::exception& e) {
    // The message names the file, never its content.
    return EngineFailure(ErrorType::kUnavailable, state.describe + ": credentials: " + e.what());
  }
  secrets.push_back(source.auth.password);
  secrets.push_back(source.auth.bearer_token);
  if (!source.auth.password_file.empty())
    secrets.push_back(ReadPasswordFile(source.auth.password_file));
  // The longest first, so a secret containing another is replaced whole.
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  request.follow_redirects = false;  // a 301-303 would turn the POST into a GET without the query
  request.body_limit = static_cast<std::size_t>(source.body_limit);
  request.timeout = source.timeout;

  auto promise = std::make_shared<std::promise<ExchangeResult>>();
  std::future<ExchangeResult> future = promise->get_future();
  state.pool->Request(std::move(request),
                      [promise](ExchangeResult result) { promise->set_value(std::move(result)); });
  if (future.wait_for(source.timeout + kWaitMargin) != std::future_status::ready) {
    return EngineFailure(ErrorType::kUnavailable, state.describe + ": no answer within " +
                                                FormatDuration(source.timeout) +
                                                " plus a margin (is the io_context running?)");
  }
  ExchangeResult exchange = future.get();
  promql::QueryResult result;
  if (exchange.outcome != Outcome::kOk) {
    std::string message = std::string(OutcomeName(exchange.outcome)) + ": " + exchange.error;
    // Beast notices a Content-Length over the limit with the header, the exchange a longer
    // body while reading it: one clear message for both.
    if (message.find("body limit exceeded") != std::string::npos ||
        message.find("body larger than the limit") != std::string::npos) {
      message = "answer body larger than the limit of " + std::to_string(source.body_limit) +
                " bytes (analytics.source.body_limit)";
      if (too_large != nullptr) *too_large = true;
    }
    result = EngineFailure(
        exchange.outcome == Outcome::kTimeout ? ErrorType::kTimeout : ErrorType::kUnavailable,
        std::move(message));
  } else if (exchange.status >= 300 && exchange.status < 400) {
    result =
        EngineFailure(ErrorType::kUnavailable,
                "HTTP " + std::to_string(exchange.status) +
                    ": redirects are not followed; set analytics.source.url to the final address");
  } else {
    result = ParseQueryResponse(exchange.status, exchange.body);
  }
  if (!result.ok()) result.error = Scrub(state.describe + ": " + result.error, secrets);
  for (std::string& warning : result.warnings) warning = Scrub(std::move(warning), secrets);
  return result;
}

std::unique_ptr<QueryEngine> MakeRemoteQueryEngine(net::io_context& ioc,
                                                   const RemoteSource& source) {
  return std::make_unique<RemoteQueryEngine>(ioc, source);
}

namespace {

// A kept engine lent to one analysis.
class SharedEngine final : public QueryEngine {
 public:
  explicit SharedEngine(std::shared_ptr<QueryEngine> engine) : engine_(std::move(engine)) {}
  promql::QueryResult Instant(std::string_view query, Timestamp t) override {
    return engine_->Instant(query, t);
  }
  promql::QueryResult Range(std::string_view query, Timestamp start, Timestamp end,
                            std::int64_t step_ms) override {
    return engine_->Range(query, start, end, step_ms);
  }
  std::string Describe() const override { return engine_->Describe(); }

 private:
  std::shared_ptr<QueryEngine> engine_;
};

}  // namespace

std::unique_ptr<QueryEngine> RemoteEngineCache::Engine(const RemoteSource& source) {
  MutexLock lock(mutex_);
  if (!engine_ || !(source_ == source)) {
    engine_ = MakeRemoteQueryEngine(ioc_, source);
    source_ = source;
  }
  return std::make_unique<SharedEngine>(engine_);
}

}  // namespace metricsd::analytics
