// The clients switched to HttpPool keep one connection to their server: the alert notifier
// (per destination) and the remote query engine (per remote API).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "daemon/alerting/notifier.h"
#include "daemon/analytics/remote_query_engine.h"
#include "tests/unit/daemon/client/test_http_server.h"

namespace metricsd {
namespace {

using namespace std::chrono_literals;
using test_http::Mode;
using test_http::TestServer;
namespace promql = query::promql;

class PooledClientsTest : public ::testing::Test {
 protected:
  PooledClientsTest() : guard_(net::make_work_guard(ioc_)) {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~PooledClientsTest() override {
    guard_.reset();
    ioc_.stop();
    for (auto& thread : threads_) thread.join();
  }

  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

TEST_F(PooledClientsTest, NotifierSendsEveryBatchOverOneConnection) {
  TestServer server(Mode::kKeepAlive);
  alerting::AlertingConfig config;
  alerting::DestinationConfig webhook;
  webhook.kind = alerting::DestinationConfig::Kind::kWebhook;
  webhook.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/hook";
  webhook.parsed = *ParseUrl(webhook.url);
  config.destinations.push_back(webhook);
  alerting::Notifier notifier(ioc_);
  notifier.Configure(config, "http://metricsd:9102");
  alerting::Notification alert;
  alert.labels = {{"alertname", "TooManyPlayers"}};
  alert.starts_at = 1700000000;
  alert.ends_at = 1700000600;
  constexpr int kBatches = 5;
  for (int i = 1; i <= kBatches; ++i) {
    notifier.Send({alert});
    auto until = std::chrono::steady_clock::now() + 20s;
    while (server.requests() < i && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(2ms);
    ASSERT_EQ(server.requests(), i);
  }
  EXPECT_EQ(server.connections(), 1);
  // The notifier's own count says the same.
  struct Collect : FamilyVisitor {
    std::string family;
    double connections = -1;
    void Family(std::string_view name, std::string_view, MetricType) override { family = name; }
    void Sample(Labels, double value) override {
      if (family == "metricsd_notifications_connections_opened_total") connections = value;
    }
    void Histogram(Labels, std::span<const double>, std::span<const std::uint64_t>, double, std::uint64_t) override {}
    void Summary(Labels, std::span<const Quantile>, double, std::uint64_t) override {}
  } collect;
  notifier.Visit(collect);
  EXPECT_EQ(collect.connections, 1);
  notifier.Stop();
}

TEST_F(PooledClientsTest, RemoteQueryEngineAsksEveryQueryOverOneConnection) {
  TestServer server(Mode::kPrometheusScalar);
  analytics::RemoteSource source;
  source.url = "http://127.0.0.1:" + std::to_string(server.port());
  source.timeout = std::chrono::seconds(20);
  analytics::RemoteQueryEngine engine(ioc_, source);
  for (int i = 0; i < 5; ++i) {
    promql::QueryResult result = engine.Instant("42", 1700000000000);
    ASSERT_TRUE(result.ok()) << result.error;
    const auto* scalar = std::get_if<promql::Scalar>(&result.value);
    ASSERT_NE(scalar, nullptr);
    EXPECT_EQ(scalar->v, 42);
  }
  EXPECT_EQ(server.requests(), 5);
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(PooledClientsTest, EnginesFromTheCacheShareConnectionsUntilTheSourceChanges) {
  TestServer server(Mode::kPrometheusScalar);
  analytics::RemoteSource source;
  source.url = "http://127.0.0.1:" + std::to_string(server.port());
  analytics::RemoteEngineCache cache(ioc_);
  for (int analysis = 0; analysis < 3; ++analysis) {
    std::unique_ptr<analytics::QueryEngine> engine = cache.Engine(source);
    EXPECT_EQ(engine->Describe(), source.url);
    ASSERT_TRUE(engine->Instant("42", 1700000000000).ok());
  }
  EXPECT_EQ(server.connections(), 1);
  source.timeout = std::chrono::seconds(30);  // a reload changed the source: a new engine
  ASSERT_TRUE(cache.Engine(source)->Instant("42", 1700000000000).ok());
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests(), 4);
}

}  // namespace
}  // namespace metricsd
