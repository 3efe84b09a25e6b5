// One full host collection (every collector, on this machine's real /proc and /sys) and the
// serialization of its snapshot, which is all a scrape does.
//
// Run: build/tests/bench/host_bench [--benchmark_filter=BM_Collector/netclass]
#include <benchmark/benchmark.h>

#include <string>

#include "collectors/host/collectors.h"
#include "collectors/host/host_poller.h"
#include "daemon/core/source_set.h"
#include "daemon/core/text_writer.h"

namespace metricsd::host {
namespace {

HostConfig DefaultConfig() { return ParseHostConfig(ParseYaml("", "bench.yaml")); }

void BM_HostCollection(benchmark::State& state) {
  auto poller = std::make_shared<HostPoller>(DefaultConfig());
  for (auto _ : state) poller->CollectOnce();
}

void BM_HostSnapshotSerialization(benchmark::State& state) {
  auto poller = std::make_shared<HostPoller>(DefaultConfig());
  poller->CollectOnce();
  SourceSet set(poller->Sources());
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    out.reserve(bytes);
    TextWriter writer(out);
    set.Visit(writer);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

// Each collector alone, to see where a poll's time goes: BM_Collector/<name> for every collector
// the default config enables (the daemon's own list, MakeEnabledCollectors), registered in main.
// The collector persists across iterations, as in the daemon, so kept files count.
void BM_Collector(benchmark::State& state, std::size_t index) {
  auto collectors = MakeEnabledCollectors(DefaultConfig());
  HostCollector& collector = *collectors.at(index);
  for (auto _ : state) {
    FamilySet set;
    collector.Collect(set);
    benchmark::DoNotOptimize(set.series());
  }
}

void RegisterCollectorBenchmarks() {
  auto collectors = MakeEnabledCollectors(DefaultConfig());
  for (std::size_t i = 0; i < collectors.size(); ++i) {
    benchmark::RegisterBenchmark(("BM_Collector/" + std::string(collectors[i]->Name())).c_str(),
                                 BM_Collector, i)
        ->Unit(benchmark::kMicrosecond);
  }
}

BENCHMARK(BM_HostCollection)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HostSnapshotSerialization)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace metricsd::host

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  metricsd::host::RegisterCollectorBenchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
