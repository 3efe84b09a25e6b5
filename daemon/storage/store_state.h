// The store's private state, shared by its implementation files (store.cpp: open, append,
// flush, reads; store_import.cpp; store_tiers.cpp: downsampling; store_retention.cpp).
//
// Locks, always taken in this order: write_mutex (one writer of the database at a time:
// flush, import, downsampling, retention) → mutex (the index and the series table; shared for
// lookups) → a series' stripe (its head and sealed chunks) → db_mutex (the SQLite connection).
// Readers copy a series' in-memory chunks under its stripe first and read the database after,
// so a flush moving chunks from memory to disk in between shows them twice (deduplicated by
// timestamp), never not at all; a range after every closed chunk on disk (MemSeries::
// disk_max_t, checked under the stripe) is read from memory alone.
#pragma once

#include <array>
#include <atomic>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "daemon/core/mutex.h"
#include "daemon/storage/chunk.h"
#include "daemon/storage/history_db.h"
#include "daemon/storage/label_index.h"
#include "daemon/storage/store.h"

namespace metricsd::storage {

inline constexpr Timestamp kMinTime = std::numeric_limits<Timestamp>::min();
inline constexpr Timestamp kMaxTime = std::numeric_limits<Timestamp>::max();

// A head chunk is cut at kSamplesPerChunk samples or when it spans this long (Prometheus's
// 2 h), and an idle series' open chunk is sealed once its window has passed, so a series that
// disappeared does not keep a head forever.
inline constexpr Timestamp kChunkWindowMs = 2 * 3600 * 1000;

// One series in memory: its open raw chunk and the chunks sealed since the last flush.
struct MemSeries {
  XorAppender head;
  std::vector<ChunkRecord> sealed;  // not yet on disk, ascending
  Timestamp first_t = kMaxTime;     // oldest sample known (kMinTime: unknown, from before a restart)
  Timestamp last_t = kMinTime;      // newest sample appended (out-of-order guard)
  Timestamp newest_t = kMinTime;    // newest sample anywhere, imports included (kMinTime: unknown)
  bool dirty = false;               // head changed since the last flush
  bool head_on_disk = false;        // the database has a head row for it
  // Loaded without a head row: its newest sample is in a closed chunk on disk, read once at the
  // first append after the restart (so a clock gone back cannot add older samples).
  bool last_t_on_disk = false;
  // No closed raw chunk in the database ends after disk_max_t (kMinTime: none at all), so a
  // read of [mint, maxt] with mint > disk_max_t finds everything in memory (head and sealed)
  // and skips SQLite. An upper bound, never too low: raised before an import writes, and when
  // a flush forgets the sealed chunks it wrote (in the same stripe hold, so a reader sees the
  // chunks in memory or the raised bound); retention and compaction only delete or merge rows,
  // which leaves it an upper bound. Unknown for a series loaded at start-up until the first
  // read asks the database (HistoryDb::MaxChunkEnd); raises before that still apply.
  Timestamp disk_max_t = kMinTime;
  bool disk_max_known = true;
};

// Test-only: false makes every RawSamples read the database as well (the path before the
// in-memory shortcut), so tests compare the two.
inline std::atomic<bool> raw_samples_fast_path{true};

struct Store::State {
  std::atomic<std::uint64_t> samples_appended{0};
  std::atomic<std::uint64_t> samples_out_of_order{0};
  std::atomic<std::uint64_t> series_dropped_max_series{0};
  std::atomic<std::uint64_t> series_dropped_invalid{0};
  std::atomic<std::uint64_t> write_errors[7] = {};
  std::atomic<std::uint64_t> retention_deleted[3] = {};
  std::atomic<std::uint64_t> pending_chunks_dropped{0};
  std::atomic<std::uint64_t> flushes{0};
  std::atomic<double> last_flush_duration_seconds{0};
  std::atomic<double> last_flush_timestamp_seconds{0};
  std::atomic<std::uint64_t> disk_bytes{0};
  std::atomic<std::uint64_t> tier_bytes[3] = {};

  Mutex write_mutex;

  mutable SharedMutex mutex;
  LabelIndex index ABSL_GUARDED_BY(mutex);
  std::vector<std::unique_ptr<MemSeries>> series ABSL_GUARDED_BY(mutex);  // by ref; [0] unused
  std::vector<std::pair<SeriesRef, std::string>> new_series ABSL_GUARDED_BY(mutex);  // unflushed
  SeriesRef next_ref ABSL_GUARDED_BY(mutex) = 1;

  static constexpr std::size_t kStripes = 256;
  mutable std::array<Mutex, kStripes> stripes;
  Mutex& StripeOf(SeriesRef ref) const { return stripes[ref % kStripes]; }

  mutable Mutex db_mutex;
  std::unique_ptr<HistoryDb> db ABSL_GUARDED_BY(db_mutex);

  // The appender's own (one pass at a time): series seen in this pass and the last.
  std::vector<SeriesRef> seen;
  std::vector<SeriesRef> previous_seen;

  // Downsampling progress: every hour window before this is in the tiers.
  std::atomic<Timestamp> downsampled_until{0};

  // Writes `batch` in one transaction and refreshes disk_bytes; a failure is counted by reason
  // and logged as `what_failed`, with SQLite's message in `detail`.
  WriteError WriteCounted(const FlushBatch& batch, std::string_view what_failed, std::string* detail);

  // Forgets `refs` (series with no data left on disk, or whose import failed): each leaves the
  // index and the series table, unless it was appended to meanwhile: then it stays, and the
  // next flush writes it anew.
  void ForgetUnlessAppended(std::span<const SeriesRef> refs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex);
};

// Merges sorted sample runs into one ascending run with one sample per timestamp (the first
// run holding a timestamp wins).
void MergeSampleRuns(std::vector<std::vector<Sample>>& runs, std::vector<Sample>& out);

// Cuts ascending samples into sealed chunks, one per 6-hour window (the rows compaction makes).
std::vector<ChunkRecord> ChunksOf(SeriesRef ref, std::span<const Sample> samples);

}  // namespace metricsd::storage
