// Connection reuse, measured (issue 16): N POSTs of a B-byte body to an in-process HTTP(S)
// server on 127.0.0.1, over HttpPool (keep-alive), over HttpPool with max_idle 0 (a new
// connection per request, closed after it) and over RunExchange (the probes' one-shot
// exchange, `Connection: close`). Prints requests per second and the CPU per request of the
// client's io_context thread and of the server's, each measured with its own thread clock.
//
//   build/tests/bench/http_pool_bench [--requests 2000] [--body 10240] [--concurrency 1]
#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/beast/ssl.hpp>

#include "daemon/client/exchange.h"
#include "daemon/client/http_pool.h"
#include "daemon/core/beast.h"
#include "tests/unit/support/self_signed_cert.h"

namespace metricsd {
namespace {

using tcp = net::ip::tcp;

// An asynchronous keep-alive server: answers every request 200 "ok", closes when asked to.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  explicit Session(Stream stream) : stream_(std::move(stream)) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Read();
    } else {
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](const boost::system::error_code& ec) {
                                if (!ec) self->Read();
                              });
    }
  }

 private:
  void Read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       if (!ec) self->Answer();
                     });
  }

  void Answer() {
    response_ = {http::status::ok, 11};
    response_.body() = "ok";
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        if (!ec && self->response_.keep_alive()) self->Read();
                      });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

class Server {
 public:
  explicit Server(const test_support::CertAndKey* tls) : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    if (tls != nullptr) {
      tls_.emplace(net::ssl::context::tls_server);
      tls_->use_certificate_chain(net::buffer(tls->cert_pem));
      tls_->use_private_key(net::buffer(tls->key_pem), net::ssl::context::pem);
    }
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~Server() {
    ioc_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  pthread_t thread() { return thread_.native_handle(); }
  std::uint64_t connections() const { return connections_.load(); }

 private:
  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      connections_.fetch_add(1);
      socket.set_option(tcp::no_delay(true));
      beast::tcp_stream stream(std::move(socket));
      if (tls_) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(std::move(stream), *tls_))
            ->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(stream))->Start();
      }
      Accept();
    });
  }

  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  std::optional<net::ssl::context> tls_;
  std::atomic<std::uint64_t> connections_{0};
  std::thread thread_;
};

double ThreadCpuSeconds(pthread_t thread) {
  clockid_t clock;
  pthread_getcpuclockid(thread, &clock);
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

enum class Client { kPool, kPoolNoReuse, kRunExchange };

struct Figures {
  double seconds = 0, client_cpu = 0, server_cpu = 0;
  std::uint64_t connections = 0, errors = 0;
};

Figures Run(Client client, bool https, int requests, std::size_t body, int concurrency) {
  static const test_support::CertAndKey pair = test_support::SelfSignedCert("localhost");
  Server server(https ? &pair : nullptr);
  net::io_context ioc{1};
  auto guard = net::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });

  std::shared_ptr<net::ssl::context> tls;
  if (https) {
    tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    tls->set_verify_mode(net::ssl::verify_peer);
    tls->add_certificate_authority(net::buffer(pair.cert_pem));
  }
  HttpPoolOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.tls = tls;
  options.server_name = "localhost";
  options.max_idle = client == Client::kPoolNoReuse ? 0 : 8;
  std::optional<HttpPool> pool;
  if (client != Client::kRunExchange) pool.emplace(ioc, options);

  ExchangeRequest request;
  request.host = "127.0.0.1";
  request.port = server.port();
  request.use_tls = https;
  request.tls = tls;
  request.server_name = "localhost";
  request.url.host = "127.0.0.1";
  request.url.port = server.port();
  request.url.https = https;
  request.url.target = "/api/v1/write";
  request.method = "POST";
  request.headers = {{"Content-Type", "application/x-protobuf"}};
  request.body = std::string(body, 'x');
  request.follow_redirects = false;

  std::mutex mutex;
  std::condition_variable finished;
  int started = 0, done = 0;
  std::uint64_t errors = 0;
  std::function<void()> next;
  next = [&] {
    // Called with `mutex` held.
    ++started;
    auto callback = [&](ExchangeResult result) {
      std::lock_guard lock(mutex);
      if (result.outcome != Outcome::kOk || result.status != 200) {
        if (errors++ == 0) std::fprintf(stderr, "error: %s\n", result.error.c_str());
      }
      if (++done == requests) finished.notify_all();
      if (started < requests) next();
    };
    if (pool) pool->Request(request, callback);
    else RunExchange(ioc, request, callback);
  };

  double client_before = ThreadCpuSeconds(io.native_handle());
  double server_before = ThreadCpuSeconds(server.thread());
  auto start = std::chrono::steady_clock::now();
  {
    std::unique_lock lock(mutex);
    for (int i = 0; i < concurrency && started < requests; ++i) next();
    finished.wait(lock, [&] { return done == requests; });
  }
  Figures figures;
  figures.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  figures.client_cpu = ThreadCpuSeconds(io.native_handle()) - client_before;
  figures.server_cpu = ThreadCpuSeconds(server.thread()) - server_before;
  figures.connections = server.connections();
  figures.errors = errors;
  pool.reset();
  guard.reset();
  io.join();
  return figures;
}

int Main(int argc, char** argv) {
  int requests = 2000;
  std::size_t body = 10 * 1024;
  int concurrency = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--requests") == 0) requests = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--body") == 0) body = static_cast<std::size_t>(std::atol(argv[i + 1]));
    else if (std::strcmp(argv[i], "--concurrency") == 0) concurrency = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--requests N] [--body BYTES] [--concurrency C]\n", argv[0]);
      return 2;
    }
  }
  std::printf("%d POSTs of %zu bytes, %d in flight; CPU per request in microseconds\n", requests, body,
              concurrency);
  std::printf("%-6s %-22s %10s %12s %12s %12s %7s\n", "scheme", "client", "req/s", "client_cpu", "server_cpu",
              "connections", "errors");
  for (bool https : {false, true}) {
    for (Client client : {Client::kPool, Client::kPoolNoReuse, Client::kRunExchange}) {
      Figures f = Run(client, https, requests, body, concurrency);
      const char* name = client == Client::kPool           ? "HttpPool (keep-alive)"
                         : client == Client::kPoolNoReuse ? "HttpPool max_idle=0"
                                                          : "RunExchange (fresh)";
      std::printf("%-6s %-22s %10.0f %12.1f %12.1f %12llu %7llu\n", https ? "https" : "http", name,
                  requests / f.seconds, f.client_cpu / requests * 1e6, f.server_cpu / requests * 1e6,
                  static_cast<unsigned long long>(f.connections), static_cast<unsigned long long>(f.errors));
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace
}  // namespace metricsd

int main(int argc, char** argv) { return metricsd::Main(argc, argv); }
