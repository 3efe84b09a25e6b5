// /metrics rendering: our TextWriter visiting a Source, against building prometheus-cpp
// MetricFamily objects from the same Source and running TextSerializer (the reference path).
//
// Run: build/tests/bench/exposition_bench
// The target: the writer at least 5x faster on 100,000 series.
#include <benchmark/benchmark.h>
#include <prometheus/text_serializer.h>

#include <string>
#include <vector>

#include "daemon/core/family_builder.h"
#include "daemon/core/text_writer.h"

namespace metricsd {
namespace {

// `series` counter series shaped like a StatsD or node_exporter family: two labels, values
// that are mostly integers with some fractions, in families of 100 series each.
class SyntheticSource final : public Source {
 public:
  explicit SyntheticSource(int series) {
    for (int i = 0; i < series; ++i) {
      rows_.push_back({"instance_" + std::to_string(i % 100), i % 7 == 0 ? "get" : "put",
                       i % 3 == 0 ? i * 1.5 + 0.25 : static_cast<double>(i) * 1000});
    }
    for (int f = 0; f * 100 < series; ++f) names_.push_back("game_requests_" + std::to_string(f) + "_total");
  }
  std::string_view Name() const override { return "synthetic"; }
  void Visit(FamilyVisitor& v) const override {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (i % 100 == 0) v.Family(names_[i / 100], "Requests handled.", MetricType::kCounter);
      Label labels[] = {{"handler", rows_[i].handler}, {"method", rows_[i].method}};
      v.Sample(labels, rows_[i].value);
    }
  }

 private:
  struct Row {
    std::string handler, method;
    double value;
  };
  std::vector<Row> rows_;
  std::vector<std::string> names_;
};

void BM_TextWriter(benchmark::State& state) {
  SyntheticSource source(static_cast<int>(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    out.reserve(bytes);
    TextWriter writer(out);
    source.Visit(writer);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_MetricFamilyPlusTextSerializer(benchmark::State& state) {
  SyntheticSource source(static_cast<int>(state.range(0)));
  prometheus::TextSerializer serializer;
  for (auto _ : state) {
    std::string out = serializer.Serialize(CollectFamilies(source));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_TextWriter)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MetricFamilyPlusTextSerializer)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace metricsd

BENCHMARK_MAIN();
