#include "daemon/http/server.h"

#include <algorithm>
#include <optional>

#include "daemon/core/listen_endpoint.h"
#include "daemon/core/logging.h"
#include "daemon/core/snapshot.h"

namespace metricsd {

class HttpSession;

struct HttpServer::Shared {
  Shared(const Router& r, HttpLimits l)
      : router(r), limits(std::make_shared<const HttpLimits>(l)) {}

  void ForgetClosedSessions();
  HttpLimits Limits() const { return *limits.Load(); }

  const Router& router;  // outlives every request (the App owns it and stops the loop first)
  Snapshot<HttpLimits> limits;  // replaced on reload
  HttpServerStats stats;
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<HttpSession>> sessions;  // to close idle ones on Stop
};

// One connection. Lives as long as an operation holds shared_from_this().
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(net::ip::tcp::socket socket, std::shared_ptr<HttpServer::Shared> server)
      : stream_(std::move(socket)), server_(std::move(server)) {}

  ~HttpSession() {
    server_->stats.connections_open.fetch_sub(1);
    server_->ForgetClosedSessions();
  }

  void Run() {
    // Enter the strand the socket was accepted on, so every handler of this session is
    // serialised even when several threads run the io_context.
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
  }

  // Called by Stop(): close now if waiting for a request, otherwise after the response.
  void Shutdown() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (!self->writing_) self->stream_.socket().close();
    });
  }

 private:
  void DoRead() {
    if (closing_) return DoClose();
    // A fresh parser per request: limits apply to each request, not to the connection.
    HttpLimits limits = server_->Limits();
    parser_.emplace();
    parser_->header_limit(limits.header_limit);
    parser_->body_limit(limits.body_limit);
    stream_.expires_after(limits.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == net::error::bad_descriptor) {
      return DoClose();  // the client closed, or Stop() closed an idle connection
    }
    if (ec) {
      server_->stats.bad_requests.fetch_add(1);
      if (ec == beast::error::timeout) return DoClose();
      LogDebug("bad HTTP request", {{"err", ec.message()}});
      http::status status = http::status::bad_request;
      if (ec == http::error::header_limit) status = http::status::request_header_fields_too_large;
      if (ec == http::error::body_limit) status = http::status::payload_too_large;
      HttpRequest empty;
      empty.version(11);
      HttpResponse response = MakeResponse(empty, status, std::string(http::obsolete_reason(status)) + "\n");
      response.keep_alive(false);  // the stream is out of sync after a parse error
      return DoWrite(std::move(response));
    }
    const HttpRequest& request = parser_->get();
    HttpResponse response = server_->router.Handle(request);
    if (request.method() == http::verb::head) response.body().clear();
    if (closing_ || server_->stopping) response.keep_alive(false);
    DoWrite(std::move(response));
  }

  void DoWrite(HttpResponse response) {
    response_ = std::move(response);
    writing_ = true;
    stream_.expires_after(server_->Limits().write_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return DoClose();
    if (!response_.keep_alive()) return DoClose();
    response_ = {};
    DoRead();
  }

  void DoClose() {
    beast::error_code ec;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpServer::Shared> server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpResponse response_;
  bool writing_ = false;
  bool closing_ = false;
};

HttpServer::HttpServer(net::io_context& ioc, const Router& router, HttpLimits limits)
    : ioc_(ioc),
      shared_(std::make_shared<Shared>(router, limits)),
      acceptor_(net::make_strand(ioc)) {}

HttpServer::~HttpServer() = default;

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
  if (shared_->stopping) return;
  if (ec) {
    if (ec != net::error::operation_aborted) LogWarn("accept failed", {{"err", ec.message()}});
  } else if (shared_->stats.connections_open.load() >= shared_->Limits().max_connections) {
    shared_->stats.connections_rejected.fetch_add(1);
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    shared_->stats.connections_open.fetch_add(1);
    auto session = std::make_shared<HttpSession>(std::move(socket), shared_);
    {
      std::lock_guard lock(shared_->sessions_mutex);
      shared_->sessions.push_back(session);
    }
    session->Run();
  }
  DoAccept();
}

void HttpServer::Shared::ForgetClosedSessions() {
  // Called from a session's destructor: its own weak_ptr has already expired.
  std::lock_guard lock(sessions_mutex);
  std::erase_if(sessions, [](const std::weak_ptr<HttpSession>& weak) { return weak.expired(); });
}

void HttpServer::SetLimits(HttpLimits limits) {
  shared_->limits.Store(std::make_shared<const HttpLimits>(limits));
}

void HttpServer::Stop() {
  if (shared_->stopping.exchange(true)) return;
  net::dispatch(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  std::vector<std::shared_ptr<HttpSession>> live;
  {
    std::lock_guard lock(shared_->sessions_mutex);
    for (auto& weak : shared_->sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->Shutdown();
}

}  // namespace metricsd
