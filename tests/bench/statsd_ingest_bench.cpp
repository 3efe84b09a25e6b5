// StatsD's whole per-line path: parse + map + aggregate into a shard, ns per line, for 100 and
// 100,000 distinct names (the working set that fits in cache, and one that does not); plus
// a scrape of the result, and the shard index's hash map against absl::flat_hash_map.
//
// Run: build/tests/bench/statsd_ingest_bench
#include <benchmark/benchmark.h>

#include <string>
#include <unordered_map>
#include <vector>

#ifdef METRICSD_BENCH_ABSL
#include <absl/container/flat_hash_map.h>
#endif

#include "collectors/statsd/aggregator.h"
#include "collectors/statsd/statsd_source.h"
#include "daemon/core/text_writer.h"

namespace metricsd::statsd {
namespace {

constexpr const char* kMapping = R"(
defaults: {observer_type: histogram}
mappings:
  - match: game.battle.*.duration
    name: battle_phase_seconds
    labels: {phase: "$1"}
  - match: 'db\.(\w+)\.(\w+)'
    match_type: regex
    name: db_query_seconds
    labels: {table: "$1", op: "$2"}
)";

std::shared_ptr<Aggregator> MakeAggregator(std::size_t line_cache_size = IngestSettings{}.line_cache_size,
                                           const char* mapping = kMapping) {
  ConfigNode root = ParseYaml(mapping, "bench.yaml");
  IngestSettings settings;
  settings.line_cache_size = line_cache_size;
  settings.mapper = std::make_shared<const Mapper>(
      ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary));
  return std::make_shared<Aggregator>(std::move(settings), 1000000);
}

// 20-line packets over `names` distinct names: counters, timers and tagged timers.
std::vector<std::string> MakePackets(int names, bool tags) {
  std::vector<std::string> packets;
  std::string packet;
  for (int i = 0, line = 0; i < std::max(names, 2000); ++i) {
    int n = i % names;
    switch (i % 3) {
      case 0: packet += "game.hits." + std::to_string(n) + ":1|c"; break;
      case 1: packet += "game.battle.p" + std::to_string(n) + ".duration:" + std::to_string(i % 500) + "|ms"; break;
      default: packet += "db.t" + std::to_string(n) + ".select:" + std::to_string(i % 90) + ".5|ms"; break;
    }
    if (tags) packet += "|#region:eu,shard:" + std::to_string(i % 4);
    packet += '\n';
    if (++line == 20) {
      packets.push_back(std::move(packet));
      packet.clear();
      line = 0;
    }
  }
  if (!packet.empty()) packets.push_back(packet);
  return packets;
}

// Args: distinct names, tags (0/1), line cache size (0: the default, 100000). 100,000 names
// with a cache of 80,000 shows how the cost degrades past the cache's size (gradually: it
// evicts one random line per new one).
void BM_Ingest(benchmark::State& state) {
  auto aggregator = state.range(2) > 0 ? MakeAggregator(static_cast<std::size_t>(state.range(2))) : MakeAggregator();
  Ingester ingester(*aggregator, aggregator->AddShard());
  auto packets = MakePackets(static_cast<int>(state.range(0)), state.range(1) != 0);
  {
    // Steady state: every series exists (creating them is a one-off, measured by BM_Scrape's
    // setup, not here).
    Ingester::Batch batch(ingester);
    for (const auto& packet : packets) ingester.Lines(packet);
  }
  std::size_t lines = 0, next = 0;
  for (auto _ : state) {
    Ingester::Batch batch(ingester);
    for (int i = 0; i < 8; ++i) {  // a recvmmsg batch's worth of packets per lock
      lines += ingester.Lines(packets[next]).accepted;
      next = next + 1 == packets.size() ? 0 : next + 1;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(lines));
  state.counters["series"] = static_cast<double>(aggregator->table().size());
}
BENCHMARK(BM_Ingest)->ArgNames({"names", "tags", "cache"})->Args({100, 0, 0})->Args({100, 1, 0})
    ->Args({100000, 0, 0})->Args({100000, 1, 0})->Args({100000, 0, 400000})->Args({100000, 1, 400000})
    ->Args({100000, 0, 80000});

// Touches a line of every 64 bytes: what leaves little of the aggregation in the caches.
constexpr std::size_t kEvictionBytes = 4 << 20;
void Walk(std::vector<char>& memory) {
  for (std::size_t at = 0; at < memory.size(); at += 64) memory[at] = static_cast<char>(memory[at] + 1);
}

// compare_statsd.py's 1-line timer shape without the kernel: one "name:V.5|ms" line per
// datagram over 100 names, summaries with statsd_exporter's defaults (500 samples, 5 buckets
// over 10 minutes), 128 datagrams per lock as a recvmmsg batch. Arg: 0 untagged, 1 tagged.
void BM_IngestTimerLines(benchmark::State& state) {
  auto aggregator = MakeAggregator(IngestSettings{}.line_cache_size,
                                   "defaults: {observer_type: summary}\nmappings: []\n");
  Ingester ingester(*aggregator, aggregator->AddShard());
  std::vector<std::string> lines;
  for (int i = 0; i < 100000; ++i) {
    lines.push_back("bench.timer." + std::to_string(i % 100) + ":" + std::to_string(i % 1000) + ".5|ms" +
                    (state.range(0) != 0 ? "|#region:eu,shard:" + std::to_string(i % 4) : ""));
  }
  // cold: each batch first walks 4 MiB, as the kernel's receive path between batches leaves
  // little of the aggregation's data in the caches (counted in the time: compare with 0).
  std::vector<char> evict(state.range(1) != 0 ? kEvictionBytes : 0);
  std::size_t accepted = 0, next = 0;
  for (auto _ : state) {
    Walk(evict);
    Ingester::Batch batch(ingester);
    for (int i = 0; i < 128; ++i) {
      accepted += ingester.Lines(lines[next]).accepted;
      next = next + 1 == lines.size() ? 0 : next + 1;
    }
  }
  benchmark::DoNotOptimize(evict.data());
  state.SetItemsProcessed(static_cast<std::int64_t>(accepted));
}
BENCHMARK(BM_IngestTimerLines)->ArgNames({"tags", "cold"})->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1});

// The cold variant's eviction walk alone, to subtract.
void BM_EvictionWalk(benchmark::State& state) {
  std::vector<char> evict(kEvictionBytes);
  for (auto _ : state) Walk(evict);
  benchmark::DoNotOptimize(evict.data());
}
BENCHMARK(BM_EvictionWalk);

void BM_Scrape(benchmark::State& state) {
  auto aggregator = MakeAggregator();
  Ingester ingester(*aggregator, aggregator->AddShard());
  auto packets = MakePackets(static_cast<int>(state.range(0)), false);
  {
    Ingester::Batch batch(ingester);
    for (const auto& packet : packets) ingester.Lines(packet);
  }
  StatsdSource source(aggregator);
  std::string text;
  for (auto _ : state) {
    text.clear();
    TextWriter writer(text);
    source.Visit(writer);
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["series"] = static_cast<double>(aggregator->table().size());
  state.counters["bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_Scrape)->Arg(100)->Arg(100000)->Unit(benchmark::kMillisecond);

// The shard index's access pattern: a series key built per line, looked up by string_view.
struct Hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

std::vector<std::string> MakeKeys(int names) {
  std::vector<std::string> keys;
  for (int i = 0; i < names; ++i) {
    keys.push_back("battle_phase_seconds\xffphase\xfep" + std::to_string(i) + "\xffregion\xfe" "eu");
  }
  return keys;
}

// `View` is the map's heterogeneous key type (Debian's absl has its own string_view).
template <typename View, typename Map>
void LookupLoop(benchmark::State& state, Map& map, const std::vector<std::string>& keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) map.emplace(keys[i], static_cast<std::uint32_t>(i));
  std::size_t next = 0, found = 0;
  std::uint64_t step = 0x9e3779b97f4a7c15ULL;
  for (auto _ : state) {
    step = step * 6364136223846793005ULL + 1442695040888963407ULL;
    next = static_cast<std::size_t>(step >> 33) % keys.size();
    auto it = map.find(View(keys[next].data(), keys[next].size()));
    found += it != map.end() ? it->second : 0;
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
}

void BM_IndexStdUnorderedMap(benchmark::State& state) {
  auto keys = MakeKeys(static_cast<int>(state.range(0)));
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> map;
  LookupLoop<std::string_view>(state, map, keys);
}
BENCHMARK(BM_IndexStdUnorderedMap)->Arg(100)->Arg(100000);

#ifdef METRICSD_BENCH_ABSL
void BM_IndexAbslFlatHashMap(benchmark::State& state) {
  auto keys = MakeKeys(static_cast<int>(state.range(0)));
  absl::flat_hash_map<std::string, std::uint32_t> map;  // absl hashes string_view transparently
  LookupLoop<absl::string_view>(state, map, keys);
}
BENCHMARK(BM_IndexAbslFlatHashMap)->Arg(100)->Arg(100000);
#endif

}  // namespace
}  // namespace metricsd::statsd

BENCHMARK_MAIN();
