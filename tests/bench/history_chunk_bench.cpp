// History chunks: the cost of XorAppender::Append per sample, and bytes per sample of the kXor
// chunk and of the sealed chunk (what the database keeps) for the kinds of series the host
// collectors and StatsD produce, at 10 s with the sampler's slot-aligned timestamps.
// Counters: xor_bytes_per_sample, sealed_bytes_per_sample (120-sample chunks, headers included),
// sealed720_bytes_per_sample (EncodeSamples over 720 samples, as if the store merged 6 chunks),
// decimal_chunks (the share of chunks Seal() turned into kDecimal).
//
// Run: build/tests/bench/history_chunk_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "daemon/storage/chunk.h"

namespace metricsd::storage {
namespace {

constexpr Timestamp kStart = 1'700'000'000'000;
constexpr Timestamp kInterval = 10'000;
constexpr std::size_t kChunks = 200;  // 200 × 120 samples: ~2.8 days at 10 s

enum class Kind {
  kConstantGauge,
  kRegularCounter,
  kJitteredCounter,
  kMemoryBytes,
  kTwoDecimalGauge,
  kCpuSecondsCounter,
  kRandomFloatGauge,
  kJitteredTimestamps,
  kTimerSum,
};

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kConstantGauge: return "constant_gauge";
    case Kind::kRegularCounter: return "regular_counter";
    case Kind::kJitteredCounter: return "jittered_counter";
    case Kind::kMemoryBytes: return "memory_bytes";
    case Kind::kTwoDecimalGauge: return "two_decimal_gauge";
    case Kind::kCpuSecondsCounter: return "cpu_seconds_counter";
    case Kind::kRandomFloatGauge: return "random_float_gauge";
    case Kind::kJitteredTimestamps: return "jittered_timestamps_counter";
    case Kind::kTimerSum: return "timer_seconds_sum";
  }
  return "?";
}

// A synthetic series of kChunks × kSamplesPerChunk samples of `kind`.
std::vector<Sample> MakeSeries(Kind kind) {
  std::mt19937_64 rng(42);
  const std::size_t n = kChunks * kSamplesPerChunk;
  std::vector<Sample> series;
  series.reserve(n);
  double counter = 1e6;
  std::int64_t pages = 2'000'000;  // 8 GB in 4096-byte pages
  std::int64_t centi = 4523;       // 45.23
  std::int64_t ticks = 123'456'789;
  Timestamp t = kStart;
  for (std::size_t i = 0; i < n; ++i) {
    double v = 0;
    switch (kind) {
      case Kind::kConstantGauge:
        v = 1.0;
        break;
      case Kind::kRegularCounter:
        counter += 100;  // a request counter at a steady 10/s
        v = counter;
        break;
      case Kind::kJitteredTimestamps:
      case Kind::kJitteredCounter:
        counter += static_cast<double>(90 + rng() % 21);
        v = counter;
        break;
      case Kind::kMemoryBytes:
        pages += static_cast<std::int64_t>(rng() % 101) - 50;
        v = static_cast<double>(pages * 4096);
        break;
      case Kind::kTwoDecimalGauge:
        centi += static_cast<std::int64_t>(rng() % 11) - 5;
        v = static_cast<double>(centi) / 100;  // as a parsed "45.23"
        break;
      case Kind::kCpuSecondsCounter:
        ticks += 990 + static_cast<std::int64_t>(rng() % 11);  // USER_HZ 100, one busy cpu mode
        v = static_cast<double>(ticks) / 100;  // node_exporter: ticks / USER_HZ
        break;
      case Kind::kTimerSum:  // a StatsD timer's _sum: 20 ms timings an interval, in seconds
        for (int event = 0; event < 20; ++event) {
          counter += static_cast<double>(1 + rng() % 500) / 1000;
        }
        v = counter;
        break;
      case Kind::kRandomFloatGauge:
        v = std::uniform_real_distribution<double>(0, 1)(rng);
        break;
    }
    series.push_back({t, v});
    t += kInterval;
    if (kind == Kind::kJitteredTimestamps) t += static_cast<Timestamp>(rng() % 21) - 10;
  }
  return series;
}

void BM_Append(benchmark::State& state) {
  const auto kind = static_cast<Kind>(state.range(0));
  const std::vector<Sample> series = MakeSeries(kind);
  std::size_t samples = 0;
  for (auto _ : state) {
    for (std::size_t c = 0; c < kChunks; ++c) {
      XorAppender appender;
      for (std::size_t i = c * kSamplesPerChunk; i < (c + 1) * kSamplesPerChunk; ++i) {
        appender.Append(series[i].t, series[i].v);
      }
      benchmark::DoNotOptimize(appender.bytes().data());
    }
    samples += series.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(samples));
  state.counters["ns_per_sample"] = benchmark::Counter(
      static_cast<double>(samples), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(KindName(kind));
}

// Encodes and seals every chunk of the series once, reporting sizes; the timed part is Seal().
void BM_Seal(benchmark::State& state) {
  const auto kind = static_cast<Kind>(state.range(0));
  const std::vector<Sample> series = MakeSeries(kind);
  std::vector<std::vector<std::uint8_t>> chunks;
  std::size_t xor_bytes = 0;
  for (std::size_t c = 0; c < kChunks; ++c) {
    XorAppender appender;
    for (std::size_t i = c * kSamplesPerChunk; i < (c + 1) * kSamplesPerChunk; ++i) {
      appender.Append(series[i].t, series[i].v);
    }
    chunks.emplace_back(appender.bytes().begin(), appender.bytes().end());
    xor_bytes += chunks.back().size();
  }
  std::size_t sealed_bytes = 0;
  std::size_t decimal_chunks = 0;
  for (auto _ : state) {
    sealed_bytes = 0;
    decimal_chunks = 0;
    for (const auto& chunk : chunks) {
      const std::vector<std::uint8_t> sealed = Seal(chunk);
      sealed_bytes += sealed.size();
      if (sealed[0] == static_cast<std::uint8_t>(ChunkEncoding::kDecimal)) ++decimal_chunks;
    }
  }
  // The same samples sealed 720 at a time (2 h at 10 s), as a store merging head chunks would.
  std::size_t merged_bytes = 0;
  for (std::size_t i = 0; i < series.size(); i += 720) {
    merged_bytes +=
        EncodeSamples(std::span(series).subspan(i, std::min<std::size_t>(720, series.size() - i)))
            .size();
  }
  const auto n = static_cast<double>(series.size());
  state.counters["sealed720_bytes_per_sample"] = static_cast<double>(merged_bytes) / n;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * series.size()));
  state.counters["xor_bytes_per_sample"] = static_cast<double>(xor_bytes) / n;
  state.counters["sealed_bytes_per_sample"] = static_cast<double>(sealed_bytes) / n;
  state.counters["decimal_chunks"] =
      static_cast<double>(decimal_chunks) / static_cast<double>(chunks.size());
  state.SetLabel(KindName(kind));
}

// Decoding sealed chunks, as a read of one series does.
void BM_Decode(benchmark::State& state) {
  const auto kind = static_cast<Kind>(state.range(0));
  const std::vector<Sample> series = MakeSeries(kind);
  std::vector<std::vector<std::uint8_t>> chunks;
  for (std::size_t c = 0; c < kChunks; ++c) {
    XorAppender appender;
    for (std::size_t i = c * kSamplesPerChunk; i < (c + 1) * kSamplesPerChunk; ++i) {
      appender.Append(series[i].t, series[i].v);
    }
    chunks.push_back(Seal(appender.bytes()));
  }
  std::vector<Sample> out;
  for (auto _ : state) {
    out.clear();
    for (const auto& chunk : chunks) DecodeChunk(chunk, kStart, kStart * 2, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * series.size()));
  state.SetLabel(KindName(kind));
}

constexpr int kKinds = static_cast<int>(Kind::kTimerSum) + 1;

BENCHMARK(BM_Append)->DenseRange(0, kKinds - 1);
BENCHMARK(BM_Seal)->DenseRange(0, kKinds - 1);
BENCHMARK(BM_Decode)->DenseRange(0, kKinds - 1);

}  // namespace
}  // namespace metricsd::storage

BENCHMARK_MAIN();
