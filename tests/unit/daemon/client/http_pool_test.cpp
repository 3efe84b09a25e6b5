// HttpPool against an in-process HTTP(S) server on 127.0.0.1: reuse, servers that close,
// the keep-alive race, deadlines, the body limit, TLS, concurrency and destruction in flight.
#include "daemon/client/http_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "tests/unit/daemon/client/test_http_server.h"

namespace metricsd {
namespace {

using namespace std::chrono_literals;
using test_http::CertAndKey;
using test_http::Mode;
using test_http::SelfSignedLocalhost;
using test_http::TestServer;

class HttpPoolTest : public ::testing::Test {
 protected:
  HttpPoolTest() : guard_(net::make_work_guard(ioc_)) {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~HttpPoolTest() override {
    guard_.reset();
    ioc_.stop();
    for (auto& thread : threads_) thread.join();
  }

  HttpPoolOptions Options(const TestServer& server) {
    HttpPoolOptions options;
    options.host = "127.0.0.1";
    options.port = server.port();
    return options;
  }

  static ExchangeRequest Post(std::string target, std::string body = "payload",
                              Duration timeout = std::chrono::seconds(10)) {
    ExchangeRequest request;
    request.method = "POST";
    request.url.host = "127.0.0.1";
    request.url.target = std::move(target);
    request.body = std::move(body);
    request.timeout = timeout;
    return request;
  }

  // One request, waited for (bounded).
  static ExchangeResult Send(HttpPool& pool, ExchangeRequest request) {
    auto promise = std::make_shared<std::promise<ExchangeResult>>();
    auto future = promise->get_future();
    pool.Request(std::move(request), [promise](ExchangeResult result) { promise->set_value(std::move(result)); });
    if (future.wait_for(30s) != std::future_status::ready) {
      ADD_FAILURE() << "no answer within 30 s";
      return {};
    }
    return future.get();
  }

  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

TEST_F(HttpPoolTest, SequentialRequestsShareOneConnection) {
  TestServer server(Mode::kKeepAlive);
  HttpPool pool(ioc_, Options(server));
  for (int i = 0; i < 20; ++i) {
    ExchangeResult result = Send(pool, Post("/r" + std::to_string(i), std::string(1000, 'b')));
    ASSERT_EQ(result.outcome, Outcome::kOk) << result.error;
    EXPECT_EQ(result.status, 200u);
    EXPECT_EQ(result.body, "/r" + std::to_string(i) + " 1000");
    if (i == 0) {
      EXPECT_GT(result.connect, 0.0);
    } else {
      EXPECT_EQ(result.connect, 0.0) << "a reused connection has no connect phase";
    }
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.requests(), 20);
  HttpPoolStats stats = pool.Stats();
  EXPECT_EQ(stats.requests, 20u);
  EXPECT_EQ(stats.connections_opened, 1u);
  EXPECT_EQ(stats.reused, 19u);
  EXPECT_EQ(stats.retried, 0u);
  EXPECT_EQ(stats.idle, 1u);
}

TEST_F(HttpPoolTest, ServerThatClosesGetsNewConnections) {
  for (Mode mode : {Mode::kCloseEach, Mode::kHttp10}) {
    TestServer server(mode);
    HttpPool pool(ioc_, Options(server));
    for (int i = 0; i < 5; ++i) {
      ExchangeResult result = Send(pool, Post("/x"));
      ASSERT_EQ(result.outcome, Outcome::kOk) << result.error;
    }
    EXPECT_EQ(server.connections(), 5);
    EXPECT_EQ(pool.Stats().connections_opened, 5u);
    EXPECT_EQ(pool.Stats().reused, 0u);
    EXPECT_EQ(pool.Stats().idle, 0u);
  }
}

TEST_F(HttpPoolTest, IdleConnectionClosedByServerIsReplaced) {
  // The server closes after each response without saying so: the next request finds the
  // connection closed, either before sending (stale) or by its EOF (retried). Never an error.
  TestServer server(Mode::kCloseAfterResponse);
  HttpPool pool(ioc_, Options(server));
  for (int i = 0; i < 5; ++i) {
    ExchangeResult result = Send(pool, Post("/x"));
    ASSERT_EQ(result.outcome, Outcome::kOk) << result.error;
  }
  HttpPoolStats stats = pool.Stats();
  EXPECT_EQ(server.connections(), 5);
  EXPECT_EQ(stats.stale + stats.retried, 4u);
  std::printf("FIGURE http_pool_stale_detected %llu\nFIGURE http_pool_retried %llu\n",
              static_cast<unsigned long long>(stats.stale), static_cast<unsigned long long>(stats.retried));
}

TEST_F(HttpPoolTest, KeepAliveRaceIsRetriedOnceOnANewConnection) {
  // The server reads the second request and closes without a byte of answer: the request
  // went out on a reused connection, so it is sent again on a new one.
  TestServer server(Mode::kDropSecond);
  HttpPool pool(ioc_, Options(server));
  ASSERT_EQ(Send(pool, Post("/first")).outcome, Outcome::kOk);
  ExchangeResult second = Send(pool, Post("/second"));
  ASSERT_EQ(second.outcome, Outcome::kOk) << second.error;
  EXPECT_EQ(second.body, "/second 7");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests(), 3);  // first, second (dropped), second again
  EXPECT_EQ(pool.Stats().retried, 1u);
  EXPECT_EQ(pool.Stats().connections_opened, 2u);
}

TEST_F(HttpPoolTest, DropOnAFreshConnectionIsAnErrorNotARetry) {
  // Only a reused connection may have been closed by the server in between; a new one that
  // drops the request is the server's answer.
  TestServer server(Mode::kDropAll);
  HttpPool pool(ioc_, Options(server));
  ExchangeResult result = Send(pool, Post("/first"));
  EXPECT_EQ(result.outcome, Outcome::kBadResponse);
  EXPECT_NE(result.error.find("read response header"), std::string::npos) << result.error;
  EXPECT_EQ(pool.Stats().retried, 0u);
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(HttpPoolTest, MaxIdleZeroNeverReuses) {
  TestServer server(Mode::kKeepAlive);
  HttpPoolOptions options = Options(server);
  options.max_idle = 0;
  HttpPool pool(ioc_, options);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Send(pool, Post("/x")).outcome, Outcome::kOk);
  EXPECT_EQ(pool.Stats().connections_opened, 3u);
  EXPECT_EQ(pool.Stats().reused, 0u);
  EXPECT_EQ(server.connections(), 3);
}

TEST_F(HttpPoolTest, HangingServerTimesOut) {
  TestServer server(Mode::kHang);
  HttpPool pool(ioc_, Options(server));
  auto start = std::chrono::steady_clock::now();
  ExchangeResult result = Send(pool, Post("/hang", "x", std::chrono::milliseconds(300)));
  EXPECT_EQ(result.outcome, Outcome::kTimeout);
  EXPECT_NE(result.error.find("timed out after 300ms"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("read response header"), std::string::npos) << result.error;
  std::printf("FIGURE http_pool_timeout_seconds %.3f\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  EXPECT_EQ(pool.Stats().idle, 0u);  // a timed-out connection is not kept
}

TEST_F(HttpPoolTest, BodyOverTheLimitFailsAndTheConnectionIsNotReused) {
  TestServer server(Mode::kBigBody);
  HttpPool pool(ioc_, Options(server));
  ExchangeRequest request = Post("/big");
  request.body_limit = 1000;
  ExchangeResult result = Send(pool, request);
  EXPECT_EQ(result.outcome, Outcome::kBadResponse);
  EXPECT_NE(result.error.find("body larger than the limit of 1000 bytes"), std::string::npos) << result.error;
  request.body_limit = 2 << 20;
  ExchangeResult whole = Send(pool, request);
  ASSERT_EQ(whole.outcome, Outcome::kOk) << whole.error;
  EXPECT_EQ(whole.body.size(), 1u << 20);
  EXPECT_EQ(pool.Stats().connections_opened, 2u);
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpPoolTest, RefusedConnectionIsAConnectError) {
  std::uint16_t port;
  {
    TestServer gone(Mode::kKeepAlive);
    port = gone.port();
  }
  HttpPoolOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  HttpPool pool(ioc_, options);
  ExchangeResult result = Send(pool, Post("/"));
  EXPECT_EQ(result.outcome, Outcome::kConnectError);
  EXPECT_NE(result.error.find("connect"), std::string::npos) << result.error;
}

TEST_F(HttpPoolTest, TlsConnectionIsReused) {
  CertAndKey pair = SelfSignedLocalhost();
  TestServer server(Mode::kKeepAlive, &pair);
  auto tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  tls->set_verify_mode(net::ssl::verify_peer);
  tls->add_certificate_authority(net::buffer(pair.cert_pem));
  HttpPoolOptions options = Options(server);
  options.tls = tls;
  options.server_name = "localhost";
  HttpPool pool(ioc_, options);
  for (int i = 0; i < 10; ++i) {
    ExchangeResult result = Send(pool, Post("/tls"));
    ASSERT_EQ(result.outcome, Outcome::kOk) << result.error;
    EXPECT_EQ(result.body, "/tls 7");
    if (i == 0) {
      EXPECT_GT(result.tls, 0.0);
    } else {
      EXPECT_EQ(result.tls, 0.0);
    }
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(pool.Stats().reused, 9u);

  // A name the certificate does not have fails the handshake.
  options.server_name = "other.example";
  HttpPool wrong(ioc_, options);
  ExchangeResult refused = Send(wrong, Post("/tls"));
  EXPECT_EQ(refused.outcome, Outcome::kTlsError) << refused.error;
}

TEST_F(HttpPoolTest, ConcurrentRequestsKeepAtMostMaxIdle) {
  TestServer server(Mode::kKeepAlive, nullptr, 50ms);
  HttpPoolOptions options = Options(server);
  options.max_idle = 4;
  HttpPool pool(ioc_, options);
  constexpr int kRequests = 16;
  std::vector<std::future<ExchangeResult>> answers;
  for (int i = 0; i < kRequests; ++i) {
    auto promise = std::make_shared<std::promise<ExchangeResult>>();
    answers.push_back(promise->get_future());
    pool.Request(Post("/c" + std::to_string(i)), [promise](ExchangeResult r) { promise->set_value(std::move(r)); });
  }
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(answers[i].wait_for(30s), std::future_status::ready);
    ExchangeResult result = answers[i].get();
    ASSERT_EQ(result.outcome, Outcome::kOk) << result.error;
    EXPECT_EQ(result.body, "/c" + std::to_string(i) + " 7");
  }
  HttpPoolStats stats = pool.Stats();
  EXPECT_EQ(stats.idle, std::min<std::uint64_t>(4, stats.connections_opened));
  std::printf("FIGURE http_pool_concurrent_connections %llu\n",
              static_cast<unsigned long long>(stats.connections_opened));
  // The next requests go over the kept connections.
  std::uint64_t opened = stats.connections_opened;
  for (int i = 0; i < 4; ++i) ASSERT_EQ(Send(pool, Post("/again")).outcome, Outcome::kOk);
  EXPECT_EQ(pool.Stats().connections_opened, opened);
}

TEST_F(HttpPoolTest, IdleConnectionsCloseAfterIdleTimeout) {
  TestServer server(Mode::kKeepAlive);
  HttpPoolOptions options = Options(server);
  options.idle_timeout = std::chrono::milliseconds(100);
  HttpPool pool(ioc_, options);
  ASSERT_EQ(Send(pool, Post("/a")).outcome, Outcome::kOk);
  auto until = std::chrono::steady_clock::now() + 10s;
  while (pool.Stats().idle != 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(pool.Stats().idle, 0u);
  ASSERT_EQ(Send(pool, Post("/b")).outcome, Outcome::kOk);
  EXPECT_EQ(pool.Stats().connections_opened, 2u);
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpPoolTest, DestructionEndsRequestsInFlightOnce) {
  TestServer server(Mode::kHang);
  constexpr int kRequests = 5;
  std::atomic<int> calls{0}, closed_errors{0};
  std::vector<std::future<void>> done;
  {
    HttpPool pool(ioc_, Options(server));
    for (int i = 0; i < kRequests; ++i) {
      auto promise = std::make_shared<std::promise<void>>();
      done.push_back(promise->get_future());
      pool.Request(Post("/hang", "x", std::chrono::seconds(60)), [&, promise](ExchangeResult result) {
        calls.fetch_add(1);
        if (result.outcome == Outcome::kConnectError && result.error.find("HTTP pool closed") != std::string::npos) {
          closed_errors.fetch_add(1);
        }
        promise->set_value();  // a second call would throw
      });
    }
    // Wait until the server holds every request, so they are truly in flight.
    auto until = std::chrono::steady_clock::now() + 10s;
    while (server.requests() < kRequests && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(server.requests(), kRequests);
  }
  for (auto& future : done) ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(calls.load(), kRequests);
  EXPECT_EQ(closed_errors.load(), kRequests);
}

TEST_F(HttpPoolTest, DestructionWithIdleConnectionsClosesThem) {
  TestServer server(Mode::kKeepAlive);
  {
    HttpPool pool(ioc_, Options(server));
    ASSERT_EQ(Send(pool, Post("/a")).outcome, Outcome::kOk);
    EXPECT_EQ(pool.Stats().idle, 1u);
  }
  // The pool's connection is closed on its strand: the server's read ends (its thread
  // returns and is joined by ~TestServer); ASan checks nothing is left behind.
  EXPECT_EQ(server.connections(), 1);
}

}  // namespace
}  // namespace metricsd
