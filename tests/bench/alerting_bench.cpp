// What an alert rule group costs per run: reading the types of the families its threshold rules
// name out of the Source stream (the rest skipped), and evaluating rules through the PromQL
// engine over many series with a full window of 1-second history (in memory).
//
// Run: build/tests/bench/alerting_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "daemon/alerting/alerting_config.h"
#include "daemon/alerting/family_selector.h"
#include "daemon/alerting/rule_evaluator.h"
#include "daemon/query/promql/memory_queryable.h"

namespace metricsd::alerting {
namespace {

// `families` counter families of 100 series each, two labels: a StatsD-sized Source.
class ManyFamilies final : public Source {
 public:
  explicit ManyFamilies(int families) {
    for (int f = 0; f < families; ++f) names_.push_back("game_requests_" + std::to_string(f) + "_total");
    for (int i = 0; i < 100; ++i) values_.push_back("instance_" + std::to_string(i));
  }
  std::string_view Name() const override { return "synthetic"; }
  void Visit(FamilyVisitor& v) const override {
    for (const std::string& name : names_) {
      v.Family(name, "Requests handled.", MetricType::kCounter);
      for (std::size_t i = 0; i < values_.size(); ++i) {
        Label labels[] = {{"instance", values_[i]}, {"method", i % 2 ? "get" : "put"}};
        v.Sample(labels, static_cast<double>(i));
      }
    }
  }

 private:
  std::vector<std::string> names_, values_;
};

// The types of 2 families out of 100,000 series: what a group pays to read the Sources.
void BM_SelectTwoFamiliesOf100kSeries(benchmark::State& state) {
  ManyFamilies source(1000);
  for (auto _ : state) {
    FamilyTypeReader reader({"game_requests_10_total", "game_requests_500_total"});
    source.Visit(reader);
    FamilyTypes types = reader.Take();
    benchmark::DoNotOptimize(types);
  }
}
BENCHMARK(BM_SelectTwoFamiliesOf100kSeries)->Unit(benchmark::kMillisecond);

Rule RuleFrom(const std::string& fields) {
  return ParseRuleFile("groups:\n  - name: g\n    rules:\n      - alert: A\n" + fields, "bench.yaml",
                       std::chrono::seconds(1))
      .at(0).rules.at(0);
}

namespace promql = query::promql;

// One evaluation of `rule` over `series` series of `type`, each with 61 one-second samples
// (a histogram: 12 buckets), as the sampler writes them.
void Evaluate(benchmark::State& state, const Rule& rule, MetricType type) {
  const int series = static_cast<int>(state.range(0));
  auto data = std::make_shared<promql::MemoryQueryable>();
  const char* bounds[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"};
  for (int i = 0; i < series; ++i) {
    promql::Labels labels{{"action", "a" + std::to_string(i % 20)}, {"process", "p" + std::to_string(i)}};
    auto add = [&](std::string name, const char* le, double base) {
      promql::Labels with = labels;
      with.push_back({"__name__", std::move(name)});
      if (le != nullptr) with.push_back({"le", le});
      std::sort(with.begin(), with.end());
      std::vector<promql::Point> points;
      for (int t = 0; t <= 60; ++t) points.push_back({t * 1000, base + t});
      data->Add(std::move(with), std::move(points));
    };
    if (type == MetricType::kHistogram) {
      for (int b = 0; b < 12; ++b) add(rule.metric + "_bucket", bounds[b], b * 10.0);
    } else {
      add(rule.metric, nullptr, i);
    }
  }
  query::QueryService service([data] { return data; }, promql::EngineOptions{});
  FamilyTypes types{{rule.metric, type}};
  RuleState rule_state;
  for (auto _ : state) {
    EvaluateRule(rule, 60, service, types, {}, 0, rule_state);
  }
  if (!rule_state.last_error.empty()) state.SkipWithError(rule_state.last_error.c_str());
  state.SetItemsProcessed(state.iterations() * series);
}

void BM_RateOverOneMinute(benchmark::State& state) {
  Evaluate(state, RuleFrom("        metric: c\n        value: rate\n        window: 1m\n        op: '>'\n"
                           "        threshold: 1e9\n"),
           MetricType::kCounter);
}
BENCHMARK(BM_RateOverOneMinute)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_HistogramP95OverOneMinuteSummedByAction(benchmark::State& state) {
  Evaluate(state, RuleFrom("        metric: h\n        value: quantile\n        quantile: 0.95\n        window: 1m\n"
                           "        aggregate: {op: sum, by: [action]}\n        op: '>'\n        threshold: 1e9\n"),
           MetricType::kHistogram);
}
BENCHMARK(BM_HistogramP95OverOneMinuteSummedByAction)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_LastValueFiringForEverySeries(benchmark::State& state) {
  Evaluate(state, RuleFrom("        metric: g\n        op: '>='\n        threshold: 0\n"
                           "        annotations: {summary: '{{ $labels.process }} at {{ $value | humanize }}'}\n"),
           MetricType::kGauge);
}
BENCHMARK(BM_LastValueFiringForEverySeries)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace metricsd::alerting

BENCHMARK_MAIN();
