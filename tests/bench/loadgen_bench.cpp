// What one `metricsd loadgen` sending thread can generate: game lines drawn per second (with
// and without server tags) and packed into datagrams. The sockets come on top (see the
// README's load testing figures for whole runs).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "daemon/loadgen/game_profile.h"
#include "daemon/loadgen/statsd_sender.h"

namespace metricsd::loadgen {
namespace {

void BM_GameProfileNext(benchmark::State& state) {
  GameProfileOptions options;
  options.servers = static_cast<int>(state.range(0));
  GameProfile profile(options);
  std::string line;
  for (auto _ : state) {
    profile.Next(line);
    benchmark::DoNotOptimize(line.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GameProfileNext)->Arg(0)->Arg(100);

void BM_PackLines(benchmark::State& state) {
  GameProfileOptions options;
  GameProfile profile(options);
  std::vector<std::string> lines(4096);
  for (std::string& line : lines) profile.Next(line);
  std::vector<Packet> packets;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PackLines(lines, kMaxDatagramBytes, packets));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
}
BENCHMARK(BM_PackLines);

}  // namespace
}  // namespace metricsd::loadgen

BENCHMARK_MAIN();
