// An in-process HTTP(S)/1.1 server on 127.0.0.1 for the HTTP client tests: one thread per
// connection, each treated by a Mode; counts connections and requests.
//
// Thread-safety: connections() and requests() from any thread; construct and destroy on one.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <list>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ssl.hpp>

#include "daemon/core/beast.h"
#include "daemon/core/mutex.h"
#include "tests/unit/support/self_signed_cert.h"

namespace metricsd::test_http {

using test_support::CertAndKey;
inline CertAndKey SelfSignedLocalhost() { return test_support::SelfSignedCert("localhost"); }

using namespace std::chrono_literals;
using tcp = net::ip::tcp;

// How the test server treats each connection.
enum class Mode {
  kKeepAlive,           // answers every request, keeps the connection
  kCloseEach,           // answers with `Connection: close` and closes
  kHttp10,              // answers as HTTP/1.0 without keep-alive, then closes
  kCloseAfterResponse,  // answers as if keeping the connection, then closes it silently
  kDropSecond,          // answers the first request; reads the second and closes unanswered
  kDropAll,             // reads every request and closes unanswered
  kHang,                // reads the request and never answers
  kBigBody,             // answers with a 1 MB body
  kPrometheusScalar,    // answers a Prometheus API scalar result (JSON)
};

// A blocking HTTP/1.1 server, one thread per connection; counts connections and requests.
class TestServer {
 public:
  TestServer(Mode mode, const CertAndKey* tls = nullptr, std::chrono::milliseconds delay = 0ms)
      : mode_(mode), delay_(delay), acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    if (tls != nullptr) {
      tls_.emplace(net::ssl::context::tls_server);
      tls_->use_certificate_chain(net::buffer(tls->cert_pem));
      tls_->use_private_key(net::buffer(tls->key_pem), net::ssl::context::pem);
    }
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestServer() {
    stopping_ = true;
    {
      boost::system::error_code ignored;
      tcp::socket wake(ioc_);
      wake.connect({net::ip::make_address("127.0.0.1"), port_}, ignored);
      accept_thread_.join();
    }
    {
      MutexLock lock(mutex_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& thread : threads_) thread.join();
  }

  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }

 private:
  void AcceptLoop() {
    for (;;) {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_ || ec) return;
      connections_.fetch_add(1);
      {
        MutexLock lock(mutex_);
        fds_.push_back(socket.native_handle());
      }
      threads_.emplace_back([this, socket = std::move(socket)]() mutable {
        if (!tls_) return Serve(socket);
        net::ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
        boost::system::error_code error;
        stream.handshake(net::ssl::stream_base::server, error);
        if (!error) Serve(stream);
      });
    }
  }

  template <typename Stream>
  void Serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (int n = 0;; ++n) {
      http::request<http::string_body> request;
      boost::system::error_code ec;
      http::read(stream, buffer, request, ec);
      if (ec) return;
      requests_.fetch_add(1);
      if ((mode_ == Mode::kDropSecond && n == 1) || mode_ == Mode::kDropAll) return;
      if (mode_ == Mode::kHang) {
        while (!stopping_) std::this_thread::sleep_for(10ms);
        return;
      }
      if (delay_ > 0ms) std::this_thread::sleep_for(delay_);
      http::response<http::string_body> response{http::status::ok, mode_ == Mode::kHttp10 ? 10 : 11};
      if (mode_ == Mode::kPrometheusScalar) {
        response.set(http::field::content_type, "application/json");
        response.body() = R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}})";
      } else if (mode_ == Mode::kBigBody) {
        response.body() = std::string(1 << 20, 'x');
      } else {
        response.body() = std::string(request.target()) + " " + std::to_string(request.body().size());
      }
      response.keep_alive(mode_ != Mode::kCloseEach && mode_ != Mode::kHttp10 && request.keep_alive());
      response.prepare_payload();
      http::write(stream, response, ec);
      if (ec || !response.keep_alive() || mode_ == Mode::kCloseAfterResponse) return;
    }
  }

  Mode mode_;
  std::chrono::milliseconds delay_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::optional<net::ssl::context> tls_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0}, requests_{0};
  std::thread accept_thread_;
  std::list<std::thread> threads_;  // touched by the accept thread, then joined after it
  Mutex mutex_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace metricsd::test_http
