#include "daemon/client/http_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <optional>
#include <vector>

#include <boost/beast/ssl.hpp>

#include "daemon/client/connection_steps.h"
#include "daemon/core/beast.h"
#include "daemon/core/mutex.h"

namespace metricsd {
namespace http_pool_internal {

using client_steps::Clock;
using client_steps::Seconds;
using tcp = net::ip::tcp;

constexpr char kClosed[] = "HTTP pool closed";

// One Request(): what to send, whom to tell, and by when. It moves to a new connection on a
// keep-alive race; it is touched only on the strand of the connection it is on.
struct Call {
  ExchangeRequest request;
  ExchangeCallback done;
  Clock::time_point start;
  Clock::time_point deadline;
  ExchangeResult result;
  bool retried = false;
};

// Ends `call` with `outcome` (not kOk) and `error`; runs its callback.
void Fail(Call& call, Outcome outcome, std::string error) {
  call.result.outcome = outcome;
  call.result.error = std::move(error);
  call.result.total = Seconds(call.start, Clock::now());
  call.done(std::move(call.result));
}

class Connection;

}  // namespace http_pool_internal

using http_pool_internal::Call;
using http_pool_internal::Connection;
using client_steps::Clock;

struct HttpPool::State {
  State(net::io_context& context, HttpPoolOptions pool_options)
      : ioc(context), options(std::move(pool_options)) {}

  // A new connection, counted and known to the pool; null once the pool is closed.
  std::shared_ptr<Connection> Open(const std::shared_ptr<State>& self);
  void Forget(const Connection* connection);
  // Keeps `connection` idle for the next request; false when the pool is closed or full.
  bool Keep(std::shared_ptr<Connection> connection);
  // Removes `connection` from the idle list; false when it was not there (taken or closed).
  bool Unidle(const Connection* connection);

  net::io_context& ioc;
  const HttpPoolOptions options;
  std::atomic<std::uint64_t> opened{0}, requests{0}, reused{0}, retried{0}, stale{0};

  Mutex mutex;
  bool closed ABSL_GUARDED_BY(mutex) = false;
  // Most recently used last: the one least likely to have been closed by the server.
  std::vector<std::shared_ptr<Connection>> idle ABSL_GUARDED_BY(mutex);
  // Every open connection, idle or busy: what destruction aborts.
  std::map<const Connection*, std::weak_ptr<Connection>> live ABSL_GUARDED_BY(mutex);
};

namespace http_pool_internal {

// One keep-alive connection and, while busy, the call it carries. Every member is touched only
// on strand_ (Run and Abort post there).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(std::shared_ptr<HttpPool::State> pool)
      : pool_(std::move(pool)),
        strand_(net::make_strand(pool_->ioc)),
        resolver_(strand_),
        timer_(strand_) {}

  // Sends `call` over this connection: a new one (connects first) or an idle one (`reused`).
  void Run(std::shared_ptr<Call> call, bool reused) {
    net::post(strand_, [self = shared_from_this(), call = std::move(call), reused]() mutable {
      self->Begin(std::move(call), reused);
    });
  }

  // The pool is being destroyed: the call in flight (if any) fails, the socket closes.
  void Abort() {
    net::post(strand_, [self = shared_from_this()] {
      self->aborted_ = true;
      if (self->call_) return self->Finish(Outcome::kConnectError, kClosed);
      self->Retire();
    });
  }

 private:
  void Begin(std::shared_ptr<Call> call, bool reused) {
    call_ = std::move(call);
    ++generation_;
    if (aborted_) return Finish(Outcome::kConnectError, kClosed);
    ArmTimer(call_->deadline);
    reused_ = reused;
    if (!reused) return Resolve();
    if (!StillOpen()) {
      pool_->stale.fetch_add(1, std::memory_order_relaxed);
      return MoveToNewConnection();
    }
    pool_->reused.fetch_add(1, std::memory_order_relaxed);
    Send();
  }

  // Whether an idle socket is still usable: no EOF or error from the server waits on it. A
  // plain connection must not have unread bytes either (a TLS one may: a session ticket).
  bool StillOpen() {
    char byte;
    ssize_t got = ::recv(Socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (got > 0) return ssl_.has_value();
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  tcp::socket& Socket() { return ssl_ ? ssl_->next_layer().socket() : tcp_->socket(); }

  // The call goes on over a new connection; this one closes.
  void MoveToNewConnection() {
    std::shared_ptr<Call> call = std::move(call_);
    ++generation_;
    timer_.cancel();
    Retire();
    std::shared_ptr<Connection> next = pool_->Open(pool_);
    if (!next) return Fail(*call, Outcome::kConnectError, kClosed);
    next->Run(std::move(call), false);
  }

  void Resolve() {
    stage_ = "resolve";
    phase_ = Clock::now();
    resolver_.async_resolve(pool_->options.host, std::to_string(pool_->options.port),
                            [self = shared_from_this(), call = call_.get()](
                                const boost::system::error_code& ec, tcp::resolver::results_type results) {
                              if (self->Stale(call)) return;
                              self->OnResolve(ec, results);
                            });
  }

  void OnResolve(const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
    if (Failed(ec, Outcome::kDnsError)) return;
    call_->result.resolve += Seconds(phase_, Clock::now());
    std::vector<tcp::endpoint> endpoints = client_steps::OrderEndpoints(results, call_->request.prefer_ip6);
    if (endpoints.empty()) return Finish(Outcome::kDnsError, "no address for " + pool_->options.host);
    tcp_.emplace(strand_);
    stage_ = "connect";
    phase_ = Clock::now();
    tcp_->async_connect(endpoints, [self = shared_from_this(), call = call_.get()](
                                       const boost::system::error_code& error, const tcp::endpoint&) {
      if (self->Stale(call)) return;
      self->OnConnect(error);
    });
  }

  void OnConnect(const boost::system::error_code& ec) {
    if (Failed(ec, Outcome::kConnectError)) return;
    call_->result.connect += Seconds(phase_, Clock::now());
    boost::system::error_code ignored;
    tcp_->socket().set_option(tcp::no_delay(true), ignored);
    const HttpPoolOptions& options = pool_->options;
    if (!options.tls) return Send();
    ssl_.emplace(std::move(*tcp_), *options.tls);
    tcp_.reset();
    client_steps::SetPeerName(ssl_->native_handle(),
                              options.server_name.empty() ? options.host : options.server_name);
    stage_ = "TLS handshake";
    phase_ = Clock::now();
    ssl_->async_handshake(net::ssl::stream_base::client,
                          [self = shared_from_this(), call = call_.get()](const boost::system::error_code& error) {
                            if (self->Stale(call)) return;
                            self->OnHandshake(error);
                          });
  }

  void OnHandshake(const boost::system::error_code& ec) {
    if (Failed(ec, Outcome::kTlsError)) return;
    call_->result.tls += Seconds(phase_, Clock::now());
    Send();
  }

  void Send() {
    const ExchangeRequest& request = call_->request;
    http_request_ = {};
    http_request_.method_string(request.method);
    http_request_.target(request.url.target);
    http_request_.version(11);
    http_request_.set(http::field::host, request.url.HostHeader());
    http_request_.set(http::field::user_agent, "metricsd");
    for (const auto& [name, value] : request.headers) http_request_.set(name, value);
    http_request_.body() = request.body;
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      http_request_.prepare_payload();
    }
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    parser_->body_limit(request.body_limit);
    if (request.method == "HEAD") parser_->skip(true);
    buffer_.clear();
    stage_ = "send request";
    phase_ = Clock::now();
    auto on_write = [self = shared_from_this(), call = call_.get()](const boost::system::error_code& error,
                                                                    std::size_t) {
      if (self->Stale(call)) return;
      self->OnWrite(error);
    };
    if (ssl_) http::async_write(*ssl_, http_request_, std::move(on_write));
    else http::async_write(*tcp_, http_request_, std::move(on_write));
  }

  void OnWrite(const boost::system::error_code& ec) {
    if (RaceLost(ec) || Failed(ec, Outcome::kConnectError)) return;
    stage_ = "read response header";
    auto on_header = [self = shared_from_this(), call = call_.get()](const boost::system::error_code& error,
                                                                     std::size_t) {
      if (self->Stale(call)) return;
      self->OnHeader(error);
    };
    if (ssl_) http::async_read_header(*ssl_, buffer_, *parser_, std::move(on_header));
    else http::async_read_header(*tcp_, buffer_, *parser_, std::move(on_header));
  }

  void OnHeader(const boost::system::error_code& ec) {
    if (ec == http::error::body_limit) {
      return Finish(Outcome::kBadResponse, client_steps::BodyLimitMessage(call_->request.body_limit));
    }
    if (RaceLost(ec) || Failed(ec, Outcome::kBadResponse)) return;
    Clock::time_point now = Clock::now();
    call_->result.processing += Seconds(phase_, now);
    phase_ = now;
    stage_ = "read response body";
    auto on_body = [self = shared_from_this(), call = call_.get()](const boost::system::error_code& error,
                                                                   std::size_t) {
      if (self->Stale(call)) return;
      self->OnBody(error);
    };
    if (ssl_) http::async_read(*ssl_, buffer_, *parser_, std::move(on_body));
    else http::async_read(*tcp_, buffer_, *parser_, std::move(on_body));
  }

  void OnBody(const boost::system::error_code& ec) {
    if (ec == http::error::body_limit) {
      return Finish(Outcome::kBadResponse, client_steps::BodyLimitMessage(call_->request.body_limit));
    }
    if (Failed(ec, Outcome::kBadResponse)) return;
    call_->result.transfer += Seconds(phase_, Clock::now());
    auto& response = parser_->get();
    // Reusable only when neither side asked to close, the response ended by its framing (not
    // by EOF), and nothing unasked-for followed the response.
    keep_ = http_request_.keep_alive() && response.keep_alive() && !parser_->need_eof() && buffer_.size() == 0;
    call_->result.status = response.result_int();
    call_->result.retry_after = std::string(response[http::field::retry_after]);
    call_->result.content_length = static_cast<std::int64_t>(response.body().size());
    call_->result.body = std::move(response.body());
    Finish(Outcome::kOk, "");
  }

  // The keep-alive race: the server closed an idle connection as the request went out. Only
  // on a reused connection, before any byte of the response; the call is then sent once more
  // on a new connection (metricsd's pooled requests are idempotent).
  bool RaceLost(const boost::system::error_code& ec) {
    if (!ec || !reused_ || call_->retried || parser_->got_some() || buffer_.size() != 0) return false;
    if (ec != net::error::eof && ec != http::error::end_of_stream && ec != net::error::connection_reset &&
        ec != net::error::broken_pipe && ec != net::ssl::error::stream_truncated) {
      return false;
    }
    call_->retried = true;
    pool_->retried.fetch_add(1, std::memory_order_relaxed);
    MoveToNewConnection();
    return true;
  }

  // True when `ec` ended the call (reported as `outcome`, with the stage in the message).
  bool Failed(const boost::system::error_code& ec, Outcome outcome) {
    if (!ec) return false;
    Finish(client_steps::Classify(ec, outcome), stage_ + ": " + ec.message());
    return true;
  }

  // A completion for a call this connection no longer carries (it timed out, was aborted or
  // moved): nothing to do.
  bool Stale(const Call* call) const { return call_.get() != call || call == nullptr; }

  void ArmTimer(Clock::time_point when) {
    timer_.expires_at(when);
    timer_.async_wait([self = shared_from_this(), generation = generation_](const boost::system::error_code& ec) {
      if (ec || generation != self->generation_) return;
      if (self->call_) {
        self->Finish(Outcome::kTimeout, "timed out after " + FormatDuration(self->call_->request.timeout) +
                                            " (" + self->stage_ + ")");
      } else if (self->pool_->Unidle(self.get())) {
        self->Retire();  // idle for idle_timeout
      }
    });
  }

  // Ends the call in flight; the connection goes back to the pool when it may carry another.
  void Finish(Outcome outcome, std::string error) {
    std::shared_ptr<Call> call = std::move(call_);
    if (!call) return;
    ++generation_;
    timer_.cancel();
    bool keep = outcome == Outcome::kOk && keep_ && !aborted_;
    keep_ = false;
    if (!keep || !pool_->Keep(shared_from_this())) {
      Retire();
    } else {
      ArmTimer(Clock::now() + pool_->options.idle_timeout);
    }
    // Before the callback, so a request it sends can already take this connection.
    if (outcome != Outcome::kOk) return Fail(*call, outcome, std::move(error));
    call->result.outcome = Outcome::kOk;
    call->result.total = Seconds(call->start, Clock::now());
    call->done(std::move(call->result));
  }

  // Closes the socket for good; the pool forgets the connection.
  void Retire() {
    if (retired_) return;
    retired_ = true;
    ++generation_;
    timer_.cancel();
    resolver_.cancel();
    boost::system::error_code ignored;
    if (ssl_) ssl_->next_layer().socket().close(ignored);
    if (tcp_) tcp_->socket().close(ignored);
    pool_->Forget(this);
  }

  std::shared_ptr<HttpPool::State> pool_;
  net::strand<net::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  net::steady_timer timer_;  // the call's deadline, or the idle timeout
  std::uint64_t generation_ = 0;  // bumped whenever the timer's meaning changes
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> ssl_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> http_request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::shared_ptr<Call> call_;  // the call in flight, null when idle
  bool reused_ = false;         // call_ went over a connection that had served another
  bool keep_ = false;           // the last response leaves the connection reusable
  bool aborted_ = false;
  bool retired_ = false;
  std::string stage_;
  Clock::time_point phase_;
};

}  // namespace http_pool_internal

std::shared_ptr<Connection> HttpPool::State::Open(const std::shared_ptr<State>& self) {
  auto connection = std::make_shared<Connection>(self);
  MutexLock lock(mutex);
  if (closed) return nullptr;
  live.emplace(connection.get(), connection);
  opened.fetch_add(1, std::memory_order_relaxed);
  return connection;
}

void HttpPool::State::Forget(const Connection* connection) {
  MutexLock lock(mutex);
  live.erase(connection);
}

bool HttpPool::State::Keep(std::shared_ptr<Connection> connection) {
  MutexLock lock(mutex);
  if (closed || idle.size() >= options.max_idle) return false;
  idle.push_back(std::move(connection));
  return true;
}

bool HttpPool::State::Unidle(const Connection* connection) {
  MutexLock lock(mutex);
  auto it = std::find_if(idle.begin(), idle.end(), [&](const auto& kept) { return kept.get() == connection; });
  if (it == idle.end()) return false;
  idle.erase(it);
  return true;
}

HttpPool::HttpPool(net::io_context& ioc, HttpPoolOptions options)
    : state_(std::make_shared<State>(ioc, std::move(options))) {}

HttpPool::~HttpPool() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    MutexLock lock(state_->mutex);
    state_->closed = true;
    for (const auto& [key, weak] : state_->live) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
    state_->idle.clear();
  }
  for (const auto& connection : open) connection->Abort();
}

void HttpPool::Request(ExchangeRequest request, ExchangeCallback done) {
  State& state = *state_;
  state.requests.fetch_add(1, std::memory_order_relaxed);
  auto call = std::make_shared<Call>();
  call->start = Clock::now();
  call->deadline = call->start + request.timeout;
  call->request = std::move(request);
  call->done = std::move(done);
  std::shared_ptr<Connection> connection;
  {
    MutexLock lock(state.mutex);
    if (!state.idle.empty()) {
      connection = std::move(state.idle.back());
      state.idle.pop_back();
    }
  }
  if (connection) return connection->Run(std::move(call), true);
  connection = state.Open(state_);
  if (connection) return connection->Run(std::move(call), false);
  net::post(state.ioc, [call] {
    http_pool_internal::Fail(*call, Outcome::kConnectError, http_pool_internal::kClosed);
  });
}

HttpPoolStats HttpPool::Stats() const {
  HttpPoolStats stats;
  stats.connections_opened = state_->opened.load(std::memory_order_relaxed);
  stats.requests = state_->requests.load(std::memory_order_relaxed);
  stats.reused = state_->reused.load(std::memory_order_relaxed);
  stats.retried = state_->retried.load(std::memory_order_relaxed);
  stats.stale = state_->stale.load(std::memory_order_relaxed);
  MutexLock lock(state_->mutex);
  stats.idle = state_->idle.size();
  return stats;
}

}  // namespace metricsd
