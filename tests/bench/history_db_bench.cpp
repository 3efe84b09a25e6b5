// What the history store's SQLite container costs: one flush of N head upserts (the write-ahead
// of the head, every flush_interval), and reading one series' week of closed chunks (what a
// 7-day range query fetches from disk before decoding).
//
// Run: build/tests/bench/history_db_bench   (databases go to mkdtemp directories under /tmp)
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/storage/history_db.h"

namespace metricsd::storage {
namespace {

// A fresh directory under /tmp, removed at the end.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/history_db_bench.XXXXXX";
    const char* made = ::mkdtemp(pattern);
    path_ = made != nullptr ? made : "/tmp";
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Key(std::uint32_t i) {
  return "__name__\xfe" "game_requests_total\xff" "instance\xfe" + std::to_string(i) + "\xff";
}

std::vector<std::uint8_t> Blob(std::size_t size, std::uint32_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed * 131 + i * 7);
  return bytes;
}

std::unique_ptr<HistoryDb> OpenOrDie(const std::string& directory, benchmark::State& state) {
  HistoryDb::OpenResult opened = HistoryDb::Open(directory);
  if (!opened.db) state.SkipWithError(opened.error.c_str());
  return std::move(opened.db);
}

// N series' heads (~100-byte blobs) upserted in one flush, as every flush after the first
// does; the series and their first heads are written before timing.
void BM_FlushHeadUpserts(benchmark::State& state) {
  const auto count = static_cast<std::uint32_t>(state.range(0));
  TempDir dir;
  auto db = OpenOrDie(dir.path(), state);
  if (!db) return;
  FlushBatch batch;
  for (std::uint32_t ref = 1; ref <= count; ++ref) {
    batch.new_series.emplace_back(ref, Key(ref));
    batch.heads.push_back(ChunkRecord{ref, Tier::kRaw, 0, 10'000, Blob(100, ref)});
  }
  std::string detail;
  if (db->Write(batch, &detail) != WriteError::kNone) return state.SkipWithError(detail.c_str());
  batch.new_series.clear();
  Timestamp t = 10'000;
  for (auto _ : state) {
    state.PauseTiming();
    t += 10'000;
    for (ChunkRecord& head : batch.heads) {
      head.max_t = t;
      head.data[head.data.size() - 1] = static_cast<std::uint8_t>(t);
    }
    state.ResumeTiming();
    if (db->Write(batch, &detail) != WriteError::kNone) return state.SkipWithError(detail.c_str());
    state.PauseTiming();
    // Retention checkpoints regularly; without it the WAL grows for the whole run.
    db->Checkpoint();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * count);
  state.counters["db_bytes"] = static_cast<double>(db->FileBytes());
}
BENCHMARK(BM_FlushHeadUpserts)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// The first flush after start-up of N new series: N series rows and N head inserts.
void BM_FirstFlushOfNewSeries(benchmark::State& state) {
  const auto count = static_cast<std::uint32_t>(state.range(0));
  FlushBatch batch;
  for (std::uint32_t ref = 1; ref <= count; ++ref) {
    batch.new_series.emplace_back(ref, Key(ref));
    batch.heads.push_back(ChunkRecord{ref, Tier::kRaw, 0, 10'000, Blob(100, ref)});
  }
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<TempDir>();
    auto db = OpenOrDie(dir->path(), state);
    if (!db) return;
    std::string detail;
    state.ResumeTiming();
    if (db->Write(batch, &detail) != WriteError::kNone) return state.SkipWithError(detail.c_str());
    state.PauseTiming();
    db.reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * count);
}
BENCHMARK(BM_FirstFlushOfNewSeries)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// One series × 7 days of closed raw chunks (84 chunks of 2 h, 120 samples at 1 min, dummy
// 150-byte blobs) among 1,000 series with the same week, read back through ReadChunks.
void BM_ReadChunksOneSeriesSevenDays(benchmark::State& state) {
  constexpr std::uint32_t kSeries = 1'000;
  constexpr int kChunks = 84;
  constexpr Timestamp kChunkMs = 2 * 3600 * 1000;
  TempDir dir;
  auto db = OpenOrDie(dir.path(), state);
  if (!db) return;
  FlushBatch batch;
  for (std::uint32_t ref = 1; ref <= kSeries; ++ref) {
    batch.new_series.emplace_back(ref, Key(ref));
    for (int c = 0; c < kChunks; ++c) {
      batch.closed.push_back(ChunkRecord{ref, Tier::kRaw, c * kChunkMs, (c + 1) * kChunkMs - 60'000,
                                         Blob(150, ref + static_cast<std::uint32_t>(c))});
    }
  }
  std::string detail;
  if (db->Write(batch, &detail) != WriteError::kNone) return state.SkipWithError(detail.c_str());
  db->Checkpoint();
  std::uint64_t bytes = 0;
  int chunks = 0;
  for (auto _ : state) {
    chunks = 0;
    db->ReadChunks(kSeries / 2, Tier::kRaw, 0, kChunks * kChunkMs, [&](const ChunkRecord& chunk) {
      bytes += chunk.data.size();
      ++chunks;
    });
    benchmark::DoNotOptimize(bytes);
  }
  if (chunks != kChunks) state.SkipWithError("wrong chunk count");
  state.counters["chunks"] = chunks;
}
BENCHMARK(BM_ReadChunksOneSeriesSevenDays)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace metricsd::storage

BENCHMARK_MAIN();
