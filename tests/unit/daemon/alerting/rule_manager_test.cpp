// The rule manager running groups on its timers over a QueryService (series in memory around
// the wall clock): /api/v1/rules shows each rule's type and query (a Prometheus-form rule printed
// back, a threshold rule compiled), a recording rule's results are a Source (one untyped family
// per record name) that WithRecordingSource adds to a SourceSet once.
#include "daemon/alerting/rule_manager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "daemon/alerting/alerting_config.h"
#include "daemon/query/promql/memory_queryable.h"

namespace metricsd::alerting {
namespace {

namespace promql = query::promql;

// Collects samples by family and label set.
class Collector final : public FamilyVisitor {
 public:
  void Family(std::string_view name, std::string_view, MetricType type) override {
    family_ = std::string(name);
    types[family_] = type;
  }
  void Sample(Labels labels, double value) override {
    std::string key = family_ + "{";
    for (const Label& label : labels) key += std::string(label.name) + "=" + std::string(label.value) + ",";
    samples[key + "}"] = value;
  }
  void Histogram(Labels, std::span<const double>, std::span<const std::uint64_t>, double, std::uint64_t) override {}
  void Summary(Labels, std::span<const Quantile>, double, std::uint64_t) override {}

  std::map<std::string, MetricType> types;
  std::map<std::string, double> samples;

 private:
  std::string family_;
};

TEST(RuleManagerTest, RulesJsonAndTheRecordingSource) {
  auto data = std::make_shared<promql::MemoryQueryable>();
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  for (std::int64_t t = now_ms - 10000; t <= now_ms + 10000; t += 1000) {
    data->Add({{"__name__", "g"}, {"host", "a"}, {"zone", "north"}}, {{t, 2}});
    data->Add({{"__name__", "g"}, {"host", "b"}, {"zone", "north"}}, {{t, 3}});
    data->Add({{"__name__", "g"}, {"host", "c"}, {"zone", "south"}}, {{t, 7}});
  }
  net::io_context ioc;
  auto manager = std::make_shared<RuleManager>(ioc, [] { return SourceSetPtr(); });
  manager->SetQueryService(std::make_shared<query::QueryService>(
      [data] { return data; }, promql::EngineOptions{}));
  auto config = std::make_shared<AlertingConfig>();
  config->groups = ParseRuleFile(R"(
groups:
  - name: g
    interval: 1s
    limit: 10
    rules:
      - record: zone:g:sum
        expr: sum by(zone)(g)
        labels: {team: games}
      - alert: Crowded
        expr: zone:g:sum > 6
      - alert: High
        metric: g
        op: '>'
        threshold: 6
)",
                                 "r.yaml", std::chrono::seconds(1));
  manager->Configure(config, "http://localhost:9");
  ioc.run_for(std::chrono::milliseconds(2500));
  manager->Stop();

  nlohmann::json group = manager->RulesJson()["data"]["groups"][0];
  EXPECT_EQ(group["limit"], 10);
  const nlohmann::json& record = group["rules"][0];
  EXPECT_EQ(record["type"], "recording");
  EXPECT_EQ(record["name"], "zone:g:sum");
  EXPECT_EQ(record["query"], "sum by (zone) (g)");  // printed back as Prometheus shows it
  EXPECT_EQ(record["health"], "ok");
  EXPECT_FALSE(record.contains("alerts"));
  // Recorded series reach history only through the sampler: none in memory here.
  EXPECT_EQ(group["rules"][1]["query"], "zone:g:sum > 6");
  EXPECT_EQ(group["rules"][1]["state"], "inactive");
  const nlohmann::json& high = group["rules"][2];
  EXPECT_EQ(high["type"], "alerting");
  EXPECT_EQ(high["query"], "g > 6");
  EXPECT_EQ(high["state"], "firing");
  EXPECT_EQ(high["alerts"][0]["labels"], (nlohmann::json{{"alertname", "High"}, {"host", "c"}, {"zone", "south"}}));

  Collector collector;
  manager->RecordingSource()->Visit(collector);
  EXPECT_EQ(collector.types, (std::map<std::string, MetricType>{{"zone:g:sum", MetricType::kUntyped}}));
  EXPECT_EQ(collector.samples, (std::map<std::string, double>{{"zone:g:sum{team=games,zone=north,}", 5},
                                                              {"zone:g:sum{team=games,zone=south,}", 7}}));

  SourceSetPtr with = manager->WithRecordingSource(nullptr);
  ASSERT_EQ(with->sources().size(), 1u);
  EXPECT_EQ(with->sources()[0], manager->RecordingSource());
  EXPECT_EQ(manager->WithRecordingSource(with), with);  // already there: the same set
}

}  // namespace
}  // namespace metricsd::alerting
