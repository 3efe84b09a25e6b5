// What an alert rule group costs per run: reading the named families out of the Source
// stream (the rest skipped), and evaluating rules over many series with their windows.
//
// Run: build/tests/bench/alerting_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "daemon/alerting/alerting_config.h"
#include "daemon/alerting/family_selector.h"
#include "daemon/alerting/rule_evaluator.h"

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

// Selecting 2 families out of 100,000 series: what a group pays to read the Sources.
void BM_SelectTwoFamiliesOf100kSeries(benchmark::State& state) {
  ManyFamilies source(1000);
  for (auto _ : state) {
    FamilySelector selector({"game_requests_10_total", "game_requests_500_total"});
    source.Visit(selector);
    Selection selection = selector.Take();
    benchmark::DoNotOptimize(selection);
  }
}
BENCHMARK(BM_SelectTwoFamiliesOf100kSeries)->Unit(benchmark::kMillisecond);

Rule RuleFrom(const std::string& fields) {
  return ParseRuleFile("groups:\n  - name: g\n    rules:\n      - alert: A\n" + fields, "bench.yaml",
                       std::chrono::seconds(1))
      .at(0).rules.at(0);
}

// One evaluation of `rule` over `series` series, each with a full window of history.
void Evaluate(benchmark::State& state, const Rule& rule, MetricType type) {
  const int series = static_cast<int>(state.range(0));
  Selection selection;
  SelectedFamily& family = selection[rule.metric];
  family.type = type;
  for (int i = 0; i < series; ++i) {
    SelectedSeries s;
    s.labels = {{"action", "a" + std::to_string(i % 20)}, {"process", "p" + std::to_string(i)}};
    s.value = i;
    s.bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    for (std::size_t b = 0; b <= s.bounds.size(); ++b) s.buckets.push_back(static_cast<double>(b * 10));
    s.count = s.buckets.back();
    family.series.push_back(std::move(s));
  }
  RuleState rule_state;
  double now = 0;
  for (int warm = 0; warm < 60; ++warm) EvaluateRule(rule, selection, now++, {}, rule_state);  // fill windows
  for (auto _ : state) {
    for (auto& s : family.series) {
      s.value += 1;
      for (double& b : s.buckets) b += 1;
    }
    EvaluateRule(rule, selection, now++, {}, rule_state);
  }
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
