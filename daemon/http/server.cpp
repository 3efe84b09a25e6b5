#include "daemon/http/server.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/base/thread_annotations.h"
#include "daemon/core/listen_endpoint.h"
#include "daemon/core/logging.h"
#include "daemon/core/mutex.h"
#include "daemon/core/snapshot.h"

namespace metricsd {
namespace {

// Go's net/http.Server.Serve: 5 ms after the first failure, doubling up to 1 s.
constexpr Duration kMinAcceptDelay = std::chrono::milliseconds(5);
constexpr Duration kMaxAcceptDelay = std::chrono::seconds(1);
constexpr auto kAcceptLogInterval = std::chrono::seconds(1);
// Rendering and compressing scrapes; two keep the io threads free on small machines.
constexpr std::size_t kWorkerThreads = 2;

std::int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9112 6.1 and 6.3: a server that does not understand a transfer coding must answer 400
// and close, and a message with both Transfer-Encoding and Content-Length is an attack
// (request smuggling). We understand exactly one coding, chunked. Beast alone would read
// `chunked, identity` as a request without a body and run its body as the next request.
std::string_view FramingError(const http::request_header<>& header) {
  auto [first, last] = header.equal_range(http::field::transfer_encoding);
  if (first == last) return {};
  if (std::next(first) != last) return "more than one Transfer-Encoding field";
  if (!beast::iequals(TrimOws(first->value()), "chunked")) {
    return "Transfer-Encoding other than chunked";
  }
  if (header.count(http::field::content_length) > 0) {
    return "both Transfer-Encoding and Content-Length";
  }
  return {};
}

HttpResponse ErrorResponse(http::status status, std::string_view detail = {}) {
  HttpRequest empty;
  empty.version(11);
  std::string body(http::obsolete_reason(status));
  if (!detail.empty()) body += ": " + std::string(detail);
  HttpResponse response = MakeResponse(empty, status, body + "\n");
  response.keep_alive(false);  // the stream is out of sync, or its body was never read
  return response;
}

// What the server needs of a session without knowing its stream type.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Stop(): close now if waiting for a request, otherwise after the response.
  virtual void Shutdown() = 0;
  // Close if still in the read phase (the server chose it to admit a new connection).
  virtual void Evict() = 0;

  // steady-clock nanoseconds since the session began waiting for its current request (or its
  // TLS handshake); 0 while a request is being answered. The server reads it to choose whom
  // to evict, and clears it when it chooses.
  std::atomic<std::int64_t> reading_since{0};
};

}  // namespace

struct HttpServer::Shared {
  Shared(const Router& r, HttpLimits l)
      : router(r),
        limits(std::make_shared<const HttpLimits>(l)),
        security(std::make_shared<const WebSecurity>()) {}

  HttpLimits Limits() const { return *limits.Load(); }
  void Register(const std::shared_ptr<SessionBase>& session);
  void ForgetClosedSessions();
  // Closes the session that has waited longest in the read phase; false if none waits.
  bool EvictOldestReader();
  bool TryAcquireHeavySlot(std::int64_t max_requests);
  void ReleaseHeavySlot() { heavy_in_flight.fetch_sub(1); }

  const Router& router;  // outlives every request (the App owns it and stops the loop first)
  Snapshot<HttpLimits> limits;  // replaced on reload
  Snapshot<WebSecurity> security;
  HttpServerStats stats;
  std::atomic<bool> stopping{false};
  std::atomic<std::int64_t> heavy_in_flight{0};
  net::thread_pool workers{kWorkerThreads};
  Mutex sessions_mutex;
  std::vector<std::weak_ptr<SessionBase>> sessions ABSL_GUARDED_BY(sessions_mutex);  // to close idle ones on Stop and evict
};

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection, over plain TCP or TLS. Lives as long as an operation holds
// shared_from_this(). Every member is used only on the session's strand, except the request
// while a worker runs its handler (the strand then waits for the worker's answer).
template <typename Stream>
class HttpSession : public SessionBase,
                    public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <typename... StreamArgs>
  HttpSession(std::shared_ptr<HttpServer::Shared> server, WebSecurityPtr security,
              StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        server_(std::move(server)),
        security_(std::move(security)) {}

  ~HttpSession() override {
    if (holds_slot_) server_->ReleaseHeavySlot();
    server_->stats.connections_open.fetch_sub(1);
    server_->ForgetClosedSessions();
  }

  void Run() {
    // Enter the strand the socket was accepted on, so every handler of this session is
    // serialised even when several threads run the io_context.
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->DoHandshake();
      } else {
        self->DoRead();
      }
    });
  }

  void Shutdown() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      self->closing_ = true;
      if (!self->answering_ || self->reading_) self->CloseSocket();
    });
  }

  void Evict() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->reading_) self->CloseSocket();
    });
  }

 private:
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void StartReading(std::int64_t since) {
    reading_ = true;
    read_started_ = since;
    reading_since.store(since);
  }

  void StopReading() {
    reading_ = false;
    reading_since.store(0);
  }

  void DoHandshake() {
    if constexpr (kTls) {
      StartReading(NowNanos());
      Tcp().expires_after(server_->Limits().read_timeout);
      stream_.async_handshake(
          net::ssl::stream_base::server,
          beast::bind_front_handler(&HttpSession::OnHandshake, this->shared_from_this()));
    }
  }

  void OnHandshake(beast::error_code ec) {
    StopReading();
    if (ec) {
      // Scanners and plain-HTTP clients: common and harmless, so never above debug.
      server_->stats.bad_requests.fetch_add(1);
      LogDebug("TLS handshake failed", {{"err", ec.message()}});
      return CloseSocket();
    }
    DoRead();
  }

  void DoRead() {
    if (closing_) return DoClose();
    // A fresh parser per request: limits apply to each request, not to the connection.
    limits_ = server_->Limits();
    parser_.emplace();
    parser_->header_limit(limits_.header_limit);
    // The header is read with the largest limit of any route (Beast refuses a Content-Length
    // over the limit while parsing the header); the route's own limit applies once it is known.
    parser_->body_limit(server_->router.LargestBodyLimit(limits_.body_limit));
    StartReading(NowNanos());
    Tcp().expires_after(limits_.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnReadHeader, this->shared_from_this()));
  }

  void OnReadHeader(beast::error_code ec, std::size_t) {
    StopReading();
    if (ec) return OnReadError(ec);
    answering_ = true;
    const HttpRequest& request = parser_->get();
    if (std::string_view error = FramingError(request); !error.empty()) {
      server_->stats.bad_requests.fetch_add(1);
      LogDebug("bad HTTP request", {{"err", std::string(error)}});
      return DoWrite(ErrorResponse(http::status::bad_request, error));
    }
    match_ = server_->router.Find(request.method(), request.target());
    if (match_.auth && security_->requires_auth() && !security_->AuthorizedFromCache(request)) {
      return DoAuthorize();
    }
    OnAuthorized(true);
  }

  void DoAuthorize() {
    // bcrypt takes tens of milliseconds: never on an io thread.
    net::post(server_->workers, [self = this->shared_from_this()]() mutable {
      bool ok = self->security_->Authorize(self->parser_->get());
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), ok] { self->OnAuthorized(ok); });
    });
  }

  void OnAuthorized(bool ok) {
    if (closing_) return DoClose();
    const HttpRequest& request = parser_->get();
    if (!ok) return DoWriteEarly(security_->Unauthorized(request));
    if (!match_.found) {
      // 404 or 405, known from the header: no reason to read (or ask for) the body.
      return DoWriteEarly(server_->router.Handle(request));
    }
    std::uint64_t body_limit =
        match_.max_body_bytes != 0 ? match_.max_body_bytes : limits_.body_limit;
    if (auto length = parser_->content_length();
        length && *length > body_limit) {
      server_->stats.bad_requests.fetch_add(1);
      return DoWrite(ErrorResponse(http::status::payload_too_large));
    }
    parser_->body_limit(body_limit);  // a chunked body is checked as it arrives
    std::string_view expect = request[http::field::expect];
    if (!expect.empty()) {
      if (!beast::iequals(TrimOws(expect), "100-continue")) {
        return DoWrite(ErrorResponse(http::status::expectation_failed));
      }
      // Size, framing, auth and path are fine: ask for the body (RFC 9110 10.1.1).
      if (!parser_->is_done()) return DoContinue();
    }
    if (parser_->is_done()) return OnRequest();
    DoReadBody();
  }

  void DoContinue() {
    continue_.emplace(http::status::continue_, 11);
    Tcp().expires_after(limits_.write_timeout);
    http::async_write(stream_, *continue_,
                      beast::bind_front_handler(&HttpSession::OnContinue,
                                                this->shared_from_this()));
  }

  void OnContinue(beast::error_code ec, std::size_t) {
    continue_.reset();
    if (ec) return DoClose();
    DoReadBody();
  }

  void DoReadBody() {
    // Still waiting for the request, so still a candidate for eviction, from when it began.
    StartReading(read_started_);
    Tcp().expires_after(limits_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnReadBody,
                                               this->shared_from_this()));
  }

  void OnReadBody(beast::error_code ec, std::size_t) {
    StopReading();
    if (ec) return OnReadError(ec);
    OnRequest();
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == net::error::bad_descriptor || ec == net::ssl::error::stream_truncated ||
        (ec == net::error::eof && !parser_->got_some())) {
      return DoClose();  // the client closed, or Stop() or an eviction closed the socket
    }
    server_->stats.bad_requests.fetch_add(1);
    if (ec == beast::error::timeout) return DoClose();
    LogDebug("bad HTTP request", {{"err", ec.message()}});
    http::status status = http::status::bad_request;
    if (ec == http::error::header_limit) status = http::status::request_header_fields_too_large;
    if (ec == http::error::body_limit) status = http::status::payload_too_large;
    answering_ = true;
    DoWrite(ErrorResponse(status));
  }

  void OnRequest() {
    const HttpRequest& request = parser_->get();
    if (!match_.heavy) return OnHandled(server_->router.Handle(request));
    if (!server_->TryAcquireHeavySlot(limits_.max_requests)) {
      server_->stats.requests_throttled.fetch_add(1);
      server_->router.Observe(match_.handler, 503, 0);
      HttpResponse response =
          MakeResponse(request, http::status::service_unavailable,
                       "Limit of concurrent requests reached (" +
                           std::to_string(limits_.max_requests) + "), try again later.\n");
      return OnHandled(std::move(response));
    }
    // The slot is held until the response is written: what a slow reader pins counts too.
    holds_slot_ = true;
    if (match_.stream) return DoStream();
    net::post(server_->workers, [self = this->shared_from_this()]() mutable {
      HttpResponse response = self->server_->router.Handle(self->parser_->get());
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), response = std::move(response)]() mutable {
        self->OnHandled(std::move(response));
      });
    });
  }

  void OnHandled(HttpResponse response) {
    if (parser_->get().method() == http::verb::head) response.body().clear();
    if (closing_ || server_->stopping) response.keep_alive(false);
    DoWrite(std::move(response));
  }

  // A response before the body was read: the connection must close unless there is none.
  void DoWriteEarly(HttpResponse response) {
    if (!parser_->is_done()) response.keep_alive(false);
    DoWrite(std::move(response));
  }

  void DoWrite(HttpResponse response) {
    security_->AddHeaders(response);
    response_ = std::move(response);
    Tcp().expires_after(limits_.write_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&HttpSession::OnWrite, this->shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    bool keep_alive = response_.keep_alive();
    response_ = {};  // a large scrape is freed now, not at the next request
    OnResponseDone(ec, keep_alive);
  }

  void OnResponseDone(beast::error_code ec, bool keep_alive) {
    answering_ = false;
    if (holds_slot_) {
      holds_slot_ = false;
      server_->ReleaseHeavySlot();
    }
    if (ec || !keep_alive) return DoClose();
    DoRead();
  }

  // A streaming route: the handler runs on a worker and returns the head; each chunk is then
  // produced on a worker and written from the strand before the next is asked for, so a slow
  // reader holds the producer back and one chunk at a time is in memory.
  void DoStream() {
    net::post(server_->workers, [self = this->shared_from_this()]() mutable {
      StreamedResponse streamed = self->server_->router.HandleStream(self->parser_->get());
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), streamed = std::move(streamed)]() mutable {
        self->OnStreamHead(std::move(streamed));
      });
    });
  }

  void OnStreamHead(StreamedResponse streamed) {
    if (!streamed.next || parser_->get().method() == http::verb::head) {
      return OnHandled(std::move(streamed.head));
    }
    stream_next_ = std::move(streamed.next);
    HttpResponse& head = streamed.head;
    head.body().clear();
    head.chunked(true);
    if (closing_ || server_->stopping) head.keep_alive(false);
    security_->AddHeaders(head);
    stream_head_.emplace(std::move(static_cast<http::response_header<>&>(head)));
    stream_serializer_.emplace(*stream_head_);
    Tcp().expires_after(limits_.write_timeout);
    http::async_write_header(stream_, *stream_serializer_,
                             beast::bind_front_handler(&HttpSession::OnStreamWrite,
                                                       this->shared_from_this()));
  }

  void DoProduceChunk() {
    net::post(server_->workers, [self = this->shared_from_this()]() mutable {
      bool more = false;
      bool failed = false;
      try {
        self->chunk_.clear();
        more = self->stream_next_(self->chunk_);
      } catch (const std::exception& e) {
        LogError("HTTP streaming handler failed", {{"err", e.what()}});
        failed = true;
      }
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), more, failed] {
        self->OnChunkProduced(more, failed);
      });
    });
  }

  void OnChunkProduced(bool more, bool failed) {
    if (failed) {
      // The status is long sent: only a missing last chunk tells the client.
      return EndStream(net::error::operation_aborted);
    }
    stream_more_ = more;
    if (chunk_.empty()) return more ? DoProduceChunk() : DoWriteLastChunk();
    Tcp().expires_after(limits_.write_timeout);
    net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                     beast::bind_front_handler(&HttpSession::OnStreamWrite,
                                               this->shared_from_this()));
  }

  void OnStreamWrite(beast::error_code ec, std::size_t) {
    if (ec) return EndStream(ec);
    if (stream_more_) return DoProduceChunk();
    DoWriteLastChunk();
  }

  void DoWriteLastChunk() {
    Tcp().expires_after(limits_.write_timeout);
    net::async_write(stream_, http::make_chunk_last(),
                     beast::bind_front_handler(&HttpSession::OnWriteLastChunk,
                                               this->shared_from_this()));
  }

  void OnWriteLastChunk(beast::error_code ec, std::size_t) { EndStream(ec); }

  void EndStream(beast::error_code ec) {
    bool keep_alive = stream_head_ && stream_head_->keep_alive();
    stream_serializer_.reset();
    stream_head_.reset();
    stream_next_ = nullptr;  // frees what the producer holds (a store snapshot, buffers)
    chunk_ = {};
    stream_more_ = true;
    OnResponseDone(ec, keep_alive);
  }

  void DoClose() {
    StopReading();
    if constexpr (kTls) {
      // close_notify, bounded: a peer that never answers costs at most a second.
      Tcp().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        self->CloseSocket();
      });
    } else {
      beast::error_code ec;
      Tcp().socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
      CloseSocket();
    }
  }

  void CloseSocket() {
    beast::error_code ec;
    Tcp().socket().close(ec);
  }

  Stream stream_;
  std::shared_ptr<HttpServer::Shared> server_;
  WebSecurityPtr security_;  // the one this connection was accepted with
  beast::flat_buffer buffer_;
  HttpLimits limits_;  // for the current request
  std::optional<http::request_parser<http::string_body>> parser_;
  Router::Match match_;
  std::optional<http::response<http::empty_body>> continue_;
  HttpResponse response_;
  // A streamed response being written (DoStream): its head, the producer and the chunk it
  // last produced (filled on a worker while the strand waits, written from the strand).
  std::optional<http::response<http::empty_body>> stream_head_;
  std::optional<http::response_serializer<http::empty_body>> stream_serializer_;
  std::function<bool(std::string&)> stream_next_;
  std::string chunk_;
  bool stream_more_ = true;
  std::int64_t read_started_ = 0;
  bool reading_ = false;    // waiting for a request, its body or the TLS handshake
  bool answering_ = false;  // from a request's header to the end of its response
  bool holds_slot_ = false;
  bool closing_ = false;
};

}  // namespace

void HttpServer::Shared::Register(const std::shared_ptr<SessionBase>& session) {
  MutexLock lock(sessions_mutex);
  sessions.push_back(session);
}

void HttpServer::Shared::ForgetClosedSessions() {
  // Called from a session's destructor: its own weak_ptr has already expired.
  MutexLock lock(sessions_mutex);
  std::erase_if(sessions, [](const std::weak_ptr<SessionBase>& weak) { return weak.expired(); });
}

bool HttpServer::Shared::EvictOldestReader() {
  // Called on the acceptor's strand only. Scanned outside the lock: dropping the last
  // reference to a session runs its destructor, which takes the lock.
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    MutexLock lock(sessions_mutex);
    live.reserve(sessions.size());
    for (const auto& weak : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  // A few tries: a candidate may start being answered between the scan and the claim.
  for (int attempt = 0; attempt < 4; ++attempt) {
    SessionBase* oldest = nullptr;
    std::int64_t oldest_since = 0;
    for (const auto& session : live) {
      std::int64_t since = session->reading_since.load();
      if (since != 0 && (oldest == nullptr || since < oldest_since)) {
        oldest = session.get();
        oldest_since = since;
      }
    }
    if (oldest == nullptr) return false;
    // Claimed by clearing it, so the next accept does not choose the same one again.
    if (oldest->reading_since.compare_exchange_strong(oldest_since, 0)) {
      oldest->Evict();
      return true;
    }
  }
  return false;
}

bool HttpServer::Shared::TryAcquireHeavySlot(std::int64_t max_requests) {
  std::int64_t previous = heavy_in_flight.fetch_add(1);
  if (max_requests > 0 && previous >= max_requests) {
    heavy_in_flight.fetch_sub(1);
    return false;
  }
  return true;
}

HttpServer::HttpServer(net::io_context& ioc, const Router& router, HttpLimits limits)
    : ioc_(ioc),
      shared_(std::make_shared<Shared>(router, limits)),
      acceptor_(net::make_strand(ioc)),
      accept_timer_(acceptor_.get_executor()) {}

HttpServer::~HttpServer() { JoinWorkers(); }

void HttpServer::JoinWorkers() {
  // Without stop(): queued handlers still run, and post their answers to strands that will
  // never run them; the sessions are then freed with the io_context's queue.
  shared_->workers.join();
}

net::ip::tcp::endpoint HttpServer::Listen(const ListenAddress& address) {
  return OpenAcceptor(acceptor_, address);
}

void HttpServer::Start() { DoAccept(); }

void HttpServer::DoAccept() {
  // Each connection gets its own strand.
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&HttpServer::OnAccept, this));
}

std::shared_ptr<const HttpServerStats> HttpServer::stats() const {
  return {shared_, &shared_->stats};
}

std::int64_t HttpServer::open_connections() const {
  return shared_->stats.connections_open.load();
}

void HttpServer::OnAccept(beast::error_code ec, net::ip::tcp::socket socket) {
  if (shared_->stopping || ec == net::error::operation_aborted) return;
  if (ec) return BackOffAccept(ec);
  accept_delay_ = Duration{0};

  if (shared_->stats.connections_open.load() >= shared_->Limits().max_connections) {
    if (shared_->EvictOldestReader()) {
      shared_->stats.connections_evicted.fetch_add(1);
    } else {
      // Every connection is being answered: the new one waits for none of them.
      shared_->stats.connections_rejected.fetch_add(1);
      beast::error_code ignored;
      socket.close(ignored);
      return DoAccept();
    }
  }
  shared_->stats.connections_open.fetch_add(1);
  WebSecurityPtr security = shared_->security.Load();
  std::shared_ptr<SessionBase> session;
  if (std::shared_ptr<net::ssl::context> tls = security->tls_context()) {
    auto tls_session = std::make_shared<HttpSession<TlsStream>>(shared_, std::move(security),
                                                                 std::move(socket), *tls);
    session = tls_session;
    shared_->Register(session);
    tls_session->Run();
  } else {
    auto plain_session =
        std::make_shared<HttpSession<PlainStream>>(shared_, std::move(security), std::move(socket));
    session = plain_session;
    shared_->Register(session);
    plain_session->Run();
  }
  DoAccept();
}

void HttpServer::BackOffAccept(const beast::error_code& ec) {
  // Out of file descriptors, the listen queue stays readable: retrying at once would spin.
  shared_->stats.accept_errors.fetch_add(1);
  accept_delay_ = accept_delay_.count() == 0 ? kMinAcceptDelay
                                              : std::min(accept_delay_ * 2, kMaxAcceptDelay);
  ++accept_failures_unlogged_;
  auto now = std::chrono::steady_clock::now();
  if (now - accept_last_log_ >= kAcceptLogInterval) {
    LogWarn("accept failed, retrying",
            {{"err", ec.message()},
             {"failures", std::to_string(accept_failures_unlogged_)},
             {"retry_in", FormatDuration(accept_delay_)}});
    accept_failures_unlogged_ = 0;
    accept_last_log_ = now;
  }
  accept_timer_.expires_after(accept_delay_);
  accept_timer_.async_wait([this](const beast::error_code& wait_ec) {
    if (!wait_ec && !shared_->stopping) DoAccept();
  });
}

void HttpServer::SetLimits(HttpLimits limits) {
  shared_->limits.Store(std::make_shared<const HttpLimits>(limits));
}

void HttpServer::SetSecurity(WebSecurityPtr security) {
  if (security == nullptr) security = std::make_shared<const WebSecurity>();
  shared_->security.Store(std::move(security));
}

void HttpServer::Stop() {
  if (shared_->stopping.exchange(true)) return;
  net::dispatch(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_timer_.cancel();
  });
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    MutexLock lock(shared_->sessions_mutex);
    for (auto& weak : shared_->sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->Shutdown();
}

}  // namespace metricsd
