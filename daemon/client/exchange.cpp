#include "daemon/client/exchange.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <stdexcept>

#include <boost/beast/ssl.hpp>

#include "daemon/client/connection_steps.h"
#include "daemon/core/beast.h"
#include "daemon/core/mutex.h"

namespace metricsd {
namespace {

using client_steps::Clock;
using client_steps::Seconds;
using tcp = net::ip::tcp;

// The earliest notAfter in the peer's chain, in unix seconds.
std::optional<double> EarliestExpiry(SSL* ssl) {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain == nullptr) return std::nullopt;
  std::optional<double> earliest;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    const ASN1_TIME* not_after = X509_get0_notAfter(sk_X509_value(chain, i));
    std::tm tm{};
    if (not_after == nullptr || ASN1_TIME_to_tm(not_after, &tm) != 1) continue;
    double when = static_cast<double>(timegm(&tm));
    if (!earliest || when < *earliest) earliest = when;
  }
  return earliest;
}

// The statuses Go's client follows (300, 304, 305 and 306 are answers, not redirects).
bool IsFollowedRedirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Headers Go drops on a redirect to another host (with Proxy-Authorization and
// Proxy-Authenticate, which Go drops since 1.24).
bool IsCredentialHeader(std::string_view name) {
  for (std::string_view sensitive : {"Authorization", "Www-Authenticate", "Cookie", "Cookie2",
                                     "Proxy-Authorization", "Proxy-Authenticate"}) {
    if (beast::iequals(name, sensitive)) return true;
  }
  return false;
}

// Headers that describe a body, dropped with it (Go 1.23+).
bool IsBodyHeader(std::string_view name) {
  for (std::string_view body : {"Content-Encoding", "Content-Language", "Content-Location", "Content-Type",
                                "Content-Length", "Transfer-Encoding"}) {
    if (beast::iequals(name, body)) return true;
  }
  return false;
}

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(net::io_context& ioc, ExchangeRequest request, ExchangeCallback done)
      : strand_(net::make_strand(ioc)),
        request_(std::move(request)),
        done_(std::move(done)),
        deadline_(strand_) {}

  void Start() {
    start_ = Clock::now();
    initial_url_ = request_.url;
    deadline_.expires_after(request_.timeout);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->OnDeadline();
    });
    // defer, not dispatch or post: the caller is usually a handler on this io_context (a probe's
    // tick), and a continuation stays on its thread instead of waking another one.
    net::defer(strand_, [self = shared_from_this()] { self->Resolve(); });
  }

 private:
  void Resolve() {
    phase_ = Clock::now();
    // An IP literal is its own address: no resolver (whose getaddrinfo runs on a thread of
    // its own, two thread hand-offs per probe), as Go's resolver returns a literal at once.
    boost::system::error_code literal_error;
    net::ip::address literal = net::ip::make_address(request_.host, literal_error);
    if (!literal_error) {
      result_.resolve += Seconds(phase_, Clock::now());
      endpoints_.assign(1, tcp::endpoint(literal, request_.port));
      return Connect();
    }
    if (!resolver_) resolver_.emplace(strand_);
    resolver_->async_resolve(request_.host, std::to_string(request_.port),
                             [self = shared_from_this()](const boost::system::error_code& ec,
                                                         tcp::resolver::results_type results) {
                               self->OnResolve(ec, std::move(results));
                             });
  }

  void OnResolve(const boost::system::error_code& ec, tcp::resolver::results_type results) {
    if (Stopped(ec, Outcome::kDnsError, "resolve")) return;
    result_.resolve += Seconds(phase_, Clock::now());
    endpoints_ = client_steps::OrderEndpoints(results, request_.prefer_ip6);
    if (endpoints_.empty()) return Finish(Outcome::kDnsError, "no address for " + request_.host);
    Connect();
  }

  void Connect() {
    tcp_.emplace(strand_);
    ssl_.reset();
    phase_ = Clock::now();
    tcp_->async_connect(endpoints_, [self = shared_from_this()](const boost::system::error_code& error,
                                                                 const tcp::endpoint&) {
      self->OnConnect(error);
    });
  }

  void OnConnect(const boost::system::error_code& ec) {
    if (Stopped(ec, Outcome::kConnectError, "connect")) return;
    result_.connect += Seconds(phase_, Clock::now());
    if (!request_.use_tls || !request_.tls) return AfterHandshake();
    ssl_.emplace(std::move(*tcp_), *request_.tls);
    tcp_.reset();
    client_steps::SetPeerName(ssl_->native_handle(),
                              request_.server_name.empty() ? request_.host : request_.server_name);
    phase_ = Clock::now();
    ssl_->async_handshake(net::ssl::stream_base::client,
                          [self = shared_from_this()](const boost::system::error_code& error) {
                            self->OnHandshake(error);
                          });
  }

  void OnHandshake(const boost::system::error_code& ec) {
    if (Stopped(ec, Outcome::kTlsError, "TLS handshake")) return;
    result_.tls += Seconds(phase_, Clock::now());
    result_.cert_expiry = EarliestExpiry(ssl_->native_handle());
    AfterHandshake();
  }

  void AfterHandshake() {
    if (!request_.http) return Finish(Outcome::kOk, "");
    http_request_ = {};
    http_request_.method_string(request_.method);
    http_request_.target(request_.url.target);
    http_request_.version(11);
    http_request_.set(http::field::host, request_.url.HostHeader());
    http_request_.set(http::field::user_agent, "metricsd-probe");
    http_request_.set(http::field::connection, "close");
    for (const auto& [name, value] : request_.headers) http_request_.set(name, value);
    http_request_.body() = request_.body;
    if (!request_.body.empty() || request_.method == "POST" || request_.method == "PUT") {
      http_request_.prepare_payload();
    }
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    parser_->body_limit(request_.body_limit);
    phase_ = Clock::now();
    auto on_write = [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
      self->OnWrite(error);
    };
    if (ssl_) http::async_write(*ssl_, http_request_, std::move(on_write));
    else http::async_write(*tcp_, http_request_, std::move(on_write));
  }

  void OnWrite(const boost::system::error_code& ec) {
    if (Stopped(ec, Outcome::kConnectError, "send request")) return;
    auto on_header = [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
      self->OnHeader(error);
    };
    if (ssl_) http::async_read_header(*ssl_, buffer_, *parser_, std::move(on_header));
    else http::async_read_header(*tcp_, buffer_, *parser_, std::move(on_header));
  }

  void OnHeader(const boost::system::error_code& ec) {
    if (Stopped(ec, Outcome::kBadResponse, "read response header")) return;
    auto now = Clock::now();
    result_.processing += Seconds(phase_, now);
    phase_ = now;
    auto on_body = [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
      self->OnBody(error);
    };
    if (ssl_) http::async_read(*ssl_, buffer_, *parser_, std::move(on_body));
    else http::async_read(*tcp_, buffer_, *parser_, std::move(on_body));
  }

  void OnBody(const boost::system::error_code& ec) {
    if (ec == http::error::body_limit) {
      return Finish(Outcome::kBadResponse, client_steps::BodyLimitMessage(request_.body_limit));
    }
    if (Stopped(ec, Outcome::kBadResponse, "read response body")) return;
    result_.transfer += Seconds(phase_, Clock::now());
    auto& response = parser_->get();
    result_.status = response.result_int();
    result_.retry_after = std::string(response[http::field::retry_after]);
    std::string_view location = response[http::field::location];
    if (request_.follow_redirects && IsFollowedRedirect(result_.status) && !location.empty()) {
      return FollowRedirect(location);
    }
    result_.content_length = static_cast<std::int64_t>(response.body().size());
    result_.body = std::move(response.body());
    Finish(Outcome::kOk, "");
  }

  // The next hop of a redirect, with Go's net/http rules (client.go: redirectBehavior,
  // makeHeadersCopier, defaultCheckRedirect), which blackbox_exporter inherits:
  // - at most max_redirects hops;
  // - 301, 302 and 303 turn any method but GET and HEAD into GET and drop the body and the
  //   headers that describe it; 307 and 308 keep both;
  // - once a hop leaves the first URL's host (another host that is not a subdomain of it, or
  //   another port), Authorization, Cookie and the other credential headers are never sent
  //   again, not even back on the first host;
  // - https -> http is refused unless allowed, and when allowed it drops credentials too (they
  //   would cross the network in clear text).
  void FollowRedirect(std::string_view location) {
    std::optional<Url> next = ResolveUrl(request_.url, location);
    if (!next) {
      return Finish(Outcome::kHttpError, "redirect to an invalid Location \"" + RedactUrl(location) + "\"");
    }
    if (++result_.redirects > request_.max_redirects) {
      return Finish(Outcome::kHttpError, "stopped after " + std::to_string(request_.max_redirects) + " redirects");
    }
    bool downgrade = request_.url.https && !next->https;
    if (downgrade && !request_.allow_insecure_redirect) {
      return Finish(Outcome::kHttpError,
                    "refused redirect from https to " + RedactUrl(next->ToString()) +
                        " (set allow_insecure_redirect: true to follow it)");
    }
    if (next->https && !request_.tls) {
      return Finish(Outcome::kTlsError, "redirect to https without a TLS context");
    }
    if (!result_.credentials_dropped && (downgrade || !CredentialsMayFollow(initial_url_, *next))) {
      result_.credentials_dropped = true;
      std::erase_if(request_.headers, [](const auto& header) { return IsCredentialHeader(header.first); });
    }
    if (result_.status == 301 || result_.status == 302 || result_.status == 303) {
      if (request_.method != "GET" && request_.method != "HEAD") request_.method = "GET";
      request_.body.clear();
      std::erase_if(request_.headers, [](const auto& header) { return IsBodyHeader(header.first); });
    }
    // A configured Host names the first server; it must not follow the request elsewhere.
    if (next->host != request_.url.host || next->port != request_.url.port) {
      std::erase_if(request_.headers, [](const auto& header) { return beast::iequals(header.first, "Host"); });
    }
    Close();
    request_.url = *next;
    request_.host = next->host;
    request_.port = next->port;
    request_.use_tls = next->https;
    buffer_.clear();
    Resolve();
  }

  // True when the exchange is over: the deadline passed, or `ec` is an error (reported as
  // `outcome`, with `what` in the message).
  bool Stopped(const boost::system::error_code& ec, Outcome outcome, std::string_view what) {
    if (finished_) return true;
    if (timed_out_) {
      Finish(Outcome::kTimeout, "timed out after " + FormatDuration(request_.timeout) + " (" + std::string(what) + ")");
      return true;
    }
    if (!ec) return false;
    Finish(client_steps::Classify(ec, outcome), std::string(what) + ": " + ec.message());
    return true;
  }

  void OnDeadline() {
    if (finished_) return;
    timed_out_ = true;
    if (resolver_) resolver_->cancel();
    Close();
  }

  void Close() {
    boost::system::error_code ignored;
    if (ssl_) ssl_->next_layer().socket().close(ignored);
    if (tcp_) tcp_->socket().close(ignored);
  }

  void Finish(Outcome outcome, std::string error) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    Close();
    result_.outcome = outcome;
    result_.error = std::move(error);
    result_.total = Seconds(start_, Clock::now());
    done_(std::move(result_));
  }

  net::strand<net::io_context::executor_type> strand_;
  ExchangeRequest request_;
  Url initial_url_;  // credentials belong to its host
  ExchangeCallback done_;
  std::optional<tcp::resolver> resolver_;  // made for host names only
  net::steady_timer deadline_;
  std::vector<tcp::endpoint> endpoints_;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> ssl_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> http_request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  ExchangeResult result_;
  Clock::time_point start_, phase_;
  bool timed_out_ = false;
  bool finished_ = false;
};

}  // namespace

std::shared_ptr<net::ssl::context> NewTlsContext(const std::string& ca_file, bool insecure);

void RunExchange(net::io_context& ioc, ExchangeRequest request, ExchangeCallback done) {
  std::make_shared<Exchange>(ioc, std::move(request), std::move(done))->Start();
}

std::shared_ptr<net::ssl::context> MakeTlsContext(const std::string& ca_file, bool insecure) {
  // Loading a CA store takes tens of milliseconds; targets with the same settings share one
  // context (OpenSSL contexts are safe to share between connections).
  static Mutex mutex;
  static std::map<std::pair<std::string, bool>, std::weak_ptr<net::ssl::context>> shared
      ABSL_GUARDED_BY(mutex);
  MutexLock lock(mutex);
  auto& slot = shared[{ca_file, insecure}];
  if (auto existing = slot.lock()) return existing;
  auto context = NewTlsContext(ca_file, insecure);
  slot = context;
  return context;
}

std::shared_ptr<net::ssl::context> NewTlsContext(const std::string& ca_file, bool insecure) {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  if (insecure) {
    context->set_verify_mode(net::ssl::verify_none);
    return context;
  }
  context->set_verify_mode(net::ssl::verify_peer);
  if (ca_file.empty()) {
    context->set_default_verify_paths();
  } else {
    // OpenSSL's own message for a missing file is only "asio.ssl error": say why first.
    if (::access(ca_file.c_str(), R_OK) != 0) {
      throw std::runtime_error("cannot read CA file " + ca_file + ": " + std::strerror(errno));
    }
    boost::system::error_code ec;
    context->load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("cannot load CA file " + ca_file + " (not PEM certificates?)");
  }
  return context;
}

}  // namespace metricsd
