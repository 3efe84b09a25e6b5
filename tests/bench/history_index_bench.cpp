// The history store's label index over 100,000 series shaped like this daemon's own: StatsD game
// metrics and host series, ~6 labels each, two of them high-cardinality (player, endpoint).
// Issue 12's goals: /api/v1/series over 100k series with a regex matcher <= 50 ms, and <= 250
// bytes per active series beyond chunk data for the whole store (the index aims at <= 150).
//
// Run: build/tests/bench/history_index_bench
// Counters: bytes_per_series (MemoryBytes()/series), per_insert, per_find (time per operation),
// selected (series a Select returns).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "daemon/storage/label_index.h"
#include "daemon/storage/series_key.h"

namespace metricsd::storage {
namespace {

constexpr std::size_t kSeries = 100'000;

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = [] {
    std::mt19937 rng(42);
    const char* game_names[] = {"game_requests_total", "game_errors_total", "game_latency_seconds_bucket",
                                "game_sessions", "game_matchmaking_seconds_sum", "game_items_bought_total"};
    const char* host_names[] = {"node_cpu_seconds_total", "node_network_receive_bytes_total",
                                "node_disk_read_bytes_total", "http_requests_total"};
    const char* zones[] = {"eu", "us", "ap"};
    std::vector<std::string> out;
    SeriesKeyBuilder builder;
    while (out.size() < kSeries) {
      std::size_t i = out.size();
      bool game = rng() % 4 != 0;
      builder.Reset(game ? game_names[rng() % 6] : host_names[rng() % 4]);
      builder.Add("instance", "host-" + std::to_string(rng() % 20) + ":9100");
      builder.Add("job", game ? "statsd" : "node");
      builder.Add("zone", zones[rng() % 3]);
      builder.Add("shard", std::to_string(rng() % 64));
      if (game) {
        builder.Add("player", "p" + std::to_string(i));                               // unique per series
        builder.Add("endpoint", "/api/v1/items/" + std::to_string(rng() % 2000));  // high cardinality
      } else {
        builder.Add("cpu", std::to_string(i % 64));
        builder.Add("device", "dev" + std::to_string(i));
      }
      out.emplace_back(*builder.Finish());
    }
    return out;
  }();
  return keys;
}

const LabelIndex& Index() {
  static const LabelIndex* index = [] {
    auto* built = new LabelIndex;
    const auto& keys = Keys();
    for (std::size_t i = 0; i < keys.size(); ++i) built->Insert(static_cast<SeriesRef>(i + 1), keys[i]);
    return built;
  }();
  return *index;
}

LabelMatcher M(MatchType type, std::string name, std::string value) {
  std::string error;
  return *LabelMatcher::Make(type, std::move(name), std::move(value), &error);
}

void BM_Insert(benchmark::State& state) {
  const auto& keys = Keys();
  std::size_t bytes = 0;
  for (auto _ : state) {
    LabelIndex index;
    for (std::size_t i = 0; i < keys.size(); ++i) index.Insert(static_cast<SeriesRef>(i + 1), keys[i]);
    bytes = index.MemoryBytes();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["per_insert"] = benchmark::Counter(static_cast<double>(state.iterations() * keys.size()),
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_series"] = static_cast<double>(bytes) / static_cast<double>(keys.size());
  std::size_t key_bytes = 0;
  for (const auto& key : keys) key_bytes += key.size();
  state.counters["key_bytes_per_series"] = static_cast<double>(key_bytes) / static_cast<double>(keys.size());
}
BENCHMARK(BM_Insert)->Unit(benchmark::kMillisecond);

void BM_Find(benchmark::State& state) {
  const LabelIndex& index = Index();
  const auto& keys = Keys();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.Find(keys[i]));
    i = (i + 7919) % keys.size();  // jump around: the cache does not hold 100k keys
  }
  state.counters["per_find"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Find);

void RunSelect(benchmark::State& state, const std::vector<LabelMatcher>& matchers) {
  const LabelIndex& index = Index();
  std::size_t selected = 0;
  for (auto _ : state) {
    auto refs = index.Select(matchers);
    selected = refs.size();
    benchmark::DoNotOptimize(refs.data());
  }
  state.counters["selected"] = static_cast<double>(selected);
}

void BM_Select_NameRegexAndZone(benchmark::State& state) {
  RunSelect(state, {M(MatchType::kRegexMatch, "__name__", "game_.*"), M(MatchType::kEqual, "zone", "eu")});
}
BENCHMARK(BM_Select_NameRegexAndZone)->Unit(benchmark::kMillisecond);

void BM_Select_NameRegexOnly(benchmark::State& state) {
  RunSelect(state, {M(MatchType::kRegexMatch, "__name__", "game_.*")});
}
BENCHMARK(BM_Select_NameRegexOnly)->Unit(benchmark::kMillisecond);

void BM_Select_HighCardinalityRegex(benchmark::State& state) {
  RunSelect(state, {M(MatchType::kRegexMatch, "player", "p1.*5")});
}
BENCHMARK(BM_Select_HighCardinalityRegex)->Unit(benchmark::kMillisecond);

void BM_Select_EqualAndNegativeRegex(benchmark::State& state) {
  RunSelect(state, {M(MatchType::kEqual, "__name__", "game_requests_total"), M(MatchType::kEqual, "shard", "7"),
                    M(MatchType::kRegexNoMatch, "endpoint", "/api/v1/items/1.*")});
}
BENCHMARK(BM_Select_EqualAndNegativeRegex)->Unit(benchmark::kMillisecond);

// /api/v1/series also writes every selected series' labels: Select plus Key per series.
void BM_SeriesEndpointWork(benchmark::State& state) {
  const LabelIndex& index = Index();
  std::vector<LabelMatcher> matchers = {M(MatchType::kRegexMatch, "__name__", "game_.*"), M(MatchType::kEqual, "zone", "eu")};
  for (auto _ : state) {
    std::size_t bytes = 0;
    for (SeriesRef ref : index.Select(matchers)) bytes += index.Key(ref).size();
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_SeriesEndpointWork)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace metricsd::storage

BENCHMARK_MAIN();
