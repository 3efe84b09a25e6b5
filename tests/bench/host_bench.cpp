// One full host collection (every collector, on this machine's real /proc and /sys) and the
// serialization of its snapshot, which is all a scrape does.
//
// Run: build/tests/bench/host_bench
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

// Each collector alone, to see where a poll's time goes.
void BM_Collector(benchmark::State& state) {
  auto collectors = MakeEnabledCollectors(DefaultConfig());
  HostCollector& collector = *collectors.at(static_cast<std::size_t>(state.range(0)));
  state.SetLabel(std::string(collector.Name()));
  for (auto _ : state) {
    FamilySet set;
    collector.Collect(set);
    benchmark::DoNotOptimize(set.series());
  }
}

BENCHMARK(BM_Collector)->DenseRange(0, 13)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HostCollection)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HostSnapshotSerialization)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace metricsd::host

BENCHMARK_MAIN();
