#include "daemon/http/server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace metricsd {
namespace {

using namespace std::chrono_literals;

// A blocking loopback client with a receive timeout, so no test can hang.
class Client {
 public:
  explicit Client(unsigned short port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  void Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Everything until the server closes (or 5 s pass).
  std::string ReadAll() {
    std::string out;
    char buffer[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return out;
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // At least `bytes` bytes, or what came before a close or timeout.
  std::string Read(std::size_t bytes) {
    std::string out;
    char buffer[4096];
    while (out.size() < bytes) {
      ssize_t n = ::recv(fd_, buffer, std::min(sizeof buffer, bytes - out.size()), 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

  // Reads until `marker` is seen (or close/timeout).
  std::string ReadUntil(std::string_view marker) {
    std::string out;
    char c;
    while (out.find(marker) == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) out += c;
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

int CountOf(const std::string& text, std::string_view what) {
  int count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(http::verb::post, "/echo", [this](const HttpRequest& request) {
      ++echoed_;
      return MakeResponse(request, http::status::ok, "echo:" + request.body());
    });
    router_.Add(http::verb::get, "/smuggled", [this](const HttpRequest& request) {
      ++smuggled_;
      return MakeResponse(request, http::status::ok, "smuggled\n");
    });
    router_.Add(http::verb::get, "/light", [](const HttpRequest& request) {
      return MakeResponse(request, http::status::ok, "light\n");
    });
    router_.Add(
        http::verb::get, "/heavy",
        [this](const HttpRequest& request) {
          ++heavy_started_;
          release_heavy_.wait();
          return MakeResponse(request, http::status::ok, "heavy\n");
        },
        {.heavy = true});
  }

  void Start(HttpLimits limits) {
    server_ = std::make_unique<HttpServer>(ioc_, router_, limits);
    port_ = server_->Listen(*ParseListenAddress("127.0.0.1:0")).port();
    server_->Start();
    // One io thread: a handler running on it would stall every other connection.
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override {
    release_.set_value();
    if (server_) server_->Stop();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  static bool WaitFor(const std::function<bool()>& condition) {
    for (int i = 0; i < 500; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  net::io_context ioc_{1};
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  unsigned short port_ = 0;
  std::atomic<int> echoed_{0}, smuggled_{0}, heavy_started_{0};
  std::promise<void> release_;
  std::shared_future<void> release_heavy_ = release_.get_future().share();
};

TEST_F(HttpServerTest, ChunkedBodyIsRead) {
  Start({});
  Client client(port_);
  client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
              "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  std::string answer = client.ReadAll();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(answer.find("echo:abc"), std::string::npos) << answer;
}

TEST_F(HttpServerTest, TransferEncodingOtherThanChunkedIs400AndTheBodyNeverRuns) {
  Start({});
  for (std::string_view coding : {"chunked, identity", "identity", "gzip, chunked", "chunked,"}) {
    SCOPED_TRACE(coding);
    Client client(port_);
    client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + std::string(coding) +
                "\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string answer = client.ReadAll();  // the server closes after the 400
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
    EXPECT_EQ(CountOf(answer, "HTTP/1.1 "), 1) << answer;
  }
  EXPECT_EQ(smuggled_.load(), 0);
  EXPECT_EQ(echoed_.load(), 0);
}

TEST_F(HttpServerTest, TwoTransferEncodingFieldsOrOneWithContentLengthAre400) {
  Start({});
  for (std::string_view fields :
       {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"}) {
    SCOPED_TRACE(fields);
    Client client(port_);
    client.Send("POST /echo HTTP/1.1\r\nHost: x\r\n" + std::string(fields) +
                "\r\n3\r\nabc\r\n0\r\n\r\n");
    std::string answer = client.ReadAll();
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
    EXPECT_EQ(CountOf(answer, "HTTP/1.1 "), 1) << answer;
  }
  EXPECT_EQ(echoed_.load(), 0);
  EXPECT_GE(server_->stats()->bad_requests.load(), 2u);
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
  Start({});
  Client client(port_);
  client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              "Expect: 100-continue\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(client.Read(25), "HTTP/1.1 100 Continue\r\n\r\n");
  client.Send("hello");
  std::string answer = client.ReadAll();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(answer.find("echo:hello"), std::string::npos);
}

TEST_F(HttpServerTest, ExpectContinueWithATooLargeBodyIs413WithoutContinue) {
  HttpLimits limits;
  limits.body_limit = 100;
  Start(limits);
  Client client(port_);
  client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
              "Expect: 100-continue\r\n\r\n");
  std::string answer = client.ReadAll();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer;
  EXPECT_EQ(answer.find("100 Continue"), std::string::npos);
  EXPECT_EQ(echoed_.load(), 0);
}

TEST_F(HttpServerTest, ExpectContinueForAnUnknownPathIs404WithoutContinue) {
  Start({});
  Client client(port_);
  client.Send("POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
              "Expect: 100-continue\r\n\r\n");
  std::string answer = client.ReadAll();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 404")) << answer;
}

TEST_F(HttpServerTest, AtTheCapTheLongestWaitingConnectionMakesRoom) {
  HttpLimits limits;
  limits.max_connections = 2;
  Start(limits);
  Client oldest(port_), idle(port_);
  ASSERT_TRUE(WaitFor([&] { return server_->open_connections() == 2; }));
  idle.Send("GET /light HTTP/1.1\r\n");  // a slow header: still waiting, but newer
  std::this_thread::sleep_for(20ms);

  Client scrape(port_);
  scrape.Send("GET /light HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(scrape.ReadAll().starts_with("HTTP/1.1 200"));
  EXPECT_EQ(oldest.ReadAll(), "");  // closed without an answer
  EXPECT_EQ(server_->stats()->connections_evicted.load(), 1u);
  EXPECT_EQ(server_->stats()->connections_rejected.load(), 0u);
  // The newer slow one was left alone: it may still finish its request.
  idle.Send("Host: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(idle.ReadAll().starts_with("HTTP/1.1 200"));
}

TEST_F(HttpServerTest, AConnectionBeingAnsweredIsNeverEvicted) {
  HttpLimits limits;
  limits.max_connections = 1;
  Start(limits);
  Client busy(port_);
  busy.Send("GET /heavy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(WaitFor([&] { return heavy_started_ == 1; }));
  Client extra(port_);
  EXPECT_EQ(extra.ReadAll(), "");  // refused: the only connection is being answered
  EXPECT_EQ(server_->stats()->connections_rejected.load(), 1u);
  release_.set_value();
  release_ = {};
  EXPECT_TRUE(busy.ReadAll().starts_with("HTTP/1.1 200"));
}

TEST_F(HttpServerTest, HeavyRoutesRunOffTheIoThreadAndAreCapped) {
  HttpLimits limits;
  limits.max_requests = 1;
  Start(limits);
  Client first(port_);
  first.Send("GET /heavy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(WaitFor([&] { return heavy_started_ == 1; }));

  // The only io thread is free while the heavy handler blocks.
  Client light(port_);
  light.Send("GET /light HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(light.ReadAll().starts_with("HTTP/1.1 200"));

  Client second(port_);
  second.Send("GET /heavy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(second.ReadAll().starts_with("HTTP/1.1 503"));
  EXPECT_EQ(server_->stats()->requests_throttled.load(), 1u);

  release_.set_value();
  release_ = {};
  EXPECT_TRUE(first.ReadAll().starts_with("HTTP/1.1 200"));
  // The slot is free again once the answer is written.
  Client third(port_);
  third.Send("GET /heavy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(third.ReadAll().starts_with("HTTP/1.1 200"));
}

TEST_F(HttpServerTest, HeadOfAHeavyRouteHasNoBody) {
  Start({});
  release_.set_value();
  release_ = {};
  Client client(port_);
  client.Send("HEAD /heavy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string answer = client.ReadAll();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_EQ(answer.find("heavy\n"), std::string::npos);
}

// A streaming route: chunked encoding, the chunks in order, and the connection still usable
// for the next request once the last chunk is written.
TEST_F(HttpServerTest, StreamingRouteIsWrittenChunkByChunk) {
  router_.Add(Route{
      .path = "/stream",
      .methods = {http::verb::get},
      .stream =
          [](const HttpRequest& request) {
            auto count = std::make_shared<int>(0);
            return StreamedResponse{
                .head = MakeResponse(request, http::status::ok, "", "application/stream+json"),
                .next = [count](std::string& chunk) {
                  chunk = "line" + std::to_string(++*count) + "\n";
                  return *count < 3;
                }};
          },
      .heavy = true});
  Start({});
  Client client(port_);
  client.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string answer = client.ReadUntil("0\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(answer.find("Transfer-Encoding: chunked"), std::string::npos) << answer;
  EXPECT_NE(answer.find("6\r\nline1\n\r\n6\r\nline2\n\r\n6\r\nline3\n\r\n0\r\n\r\n"),
            std::string::npos)
      << answer;
  client.Send("GET /light HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(client.ReadAll().find("light"), std::string::npos);
}

// An endless producer is held back by the reader (one chunk at a time) and freed when the
// reader goes away.
TEST_F(HttpServerTest, StreamingStopsWhenTheReaderLeaves) {
  auto produced = std::make_shared<std::atomic<int>>(0);
  std::weak_ptr<std::atomic<int>> alive = produced;
  router_.Add(Route{.path = "/endless",
                    .methods = {http::verb::get},
                    .stream =
                        [produced](const HttpRequest& request) {
                          return StreamedResponse{
                              .head = MakeResponse(request, http::status::ok, ""),
                              .next = [produced](std::string& chunk) {
                                ++*produced;
                                chunk.assign(64 * 1024, 'x');
                                return true;
                              }};
                        },
                    .heavy = true});
  Start({});
  {
    Client client(port_);
    client.Send("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(client.Read(256 * 1024).size(), 256u * 1024);
    // Not reading: the socket buffers fill and the producer waits (a few MiB at most).
    std::this_thread::sleep_for(200ms);
    int before = produced->load();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(produced->load(), before);
    EXPECT_LT(before, 200);
  }
  produced.reset();
  // The route's handler still holds one reference; the response's producer lets go.
  EXPECT_TRUE(WaitFor([&] { return alive.use_count() <= 1; }));
  Client next(port_);
  next.Send("GET /light HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(next.ReadAll().find("light"), std::string::npos);
}

TEST_F(HttpServerTest, StreamingRouteErrorBeforeStreamingIsAnOrdinaryResponse) {
  router_.Add(Route{.path = "/stream",
                    .methods = {http::verb::get},
                    .stream =
                        [](const HttpRequest& request) {
                          return StreamedResponse{
                              .head = MakeResponse(request, http::status::bad_request, "bad\n")};
                        },
                    .heavy = true});
  Start({});
  Client client(port_);
  client.Send("GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string answer = client.ReadAll();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(answer.find("Content-Length: 4"), std::string::npos) << answer;
}

// A route's own body limit: larger than the server's for an import, and still enforced.
TEST_F(HttpServerTest, RouteBodyLimitOverridesTheServers) {
  router_.Add(Route{.path = "/big",
                    .methods = {http::verb::post},
                    .handler =
                        [](const HttpRequest& request) {
                          return MakeResponse(request, http::status::ok,
                                              std::to_string(request.body().size()));
                        },
                    .max_body_bytes = 200 * 1024});
  Start({});
  std::string body(100 * 1024, 'x');
  {
    Client client(port_);
    client.Send("POST /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body);
    std::string answer = client.ReadAll();
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer.substr(0, 200);
    EXPECT_NE(answer.find("102400"), std::string::npos);
  }
  {
    // The server's default still applies to every other route.
    Client client(port_);
    client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_TRUE(client.ReadAll().starts_with("HTTP/1.1 413"));
    EXPECT_EQ(echoed_, 0);
  }
  {
    std::string too_big(300 * 1024, 'x');
    Client client(port_);
    client.Send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                std::to_string(too_big.size()) + "\r\n\r\n");
    EXPECT_TRUE(client.ReadAll().starts_with("HTTP/1.1 413"));
  }
}

}  // namespace
}  // namespace metricsd
