// Downsampling: once an hour window has passed (plus a grace, so late appends are in), every
// series' raw samples in it become 1-minute points and one 1-hour point. Points are computed
// from the raw samples, never accumulated on the fly, so a window can be recomputed at any time
// (an import into the past does) with the same result.
//
// Rows: a tier chunk holds a fixed window (minute points: 6 h, min_t the window's start; hour
// points: one day) and is rewritten as its window fills, so each series has few rows per tier.
// Raw chunks (120 samples each, 20 minutes at 10 s) are compacted the same way: once a 6-hour
// window has passed, a series' chunks starting in it become one row, so SQLite's per-row cost
// (about 55 bytes) is paid per 6 hours, not per 120 samples.
#include <algorithm>
#include <string>

#include "daemon/core/logging.h"
#include "daemon/storage/downsample.h"
#include "daemon/storage/store.h"
#include "daemon/storage/store_state.h"

namespace metricsd::storage {
namespace {

// Windows that ended this long ago are final: samples are appended within a flush interval,
// imports recompute what they touch.
constexpr Timestamp kDownsampleGraceMs = 5 * kMinuteMs;
// At most this many windows per run, so a daemon back from a long outage catches up gradually.
constexpr int kMaxWindowsPerRun = 6;
// The window of a minute-tier row and of raw compaction.
constexpr Timestamp kRowWindowMs = 6 * kHourMs;
// A compacted raw row holds at most this many samples (the chunk count is 16 bits).
constexpr std::size_t kMaxSamplesPerRow = 60000;

bool ByTime(const AggregatePoint& a, const AggregatePoint& b) { return a.t < b.t; }

}  // namespace

// The tier row starting at `row_start` gains `points` (replacing its points in [from, to)).
void Store::MergeTierRow(SeriesRef ref, Tier tier, Timestamp row_start, Timestamp from,
                         Timestamp to, std::span<const AggregatePoint> points, FlushBatch& batch) {
  const State& s = *state_;
  std::vector<AggregatePoint> row;
  {
    MutexLock db(s.db_mutex);
    s.db->ReadChunks(ref, tier, row_start, row_start, [&](const ChunkRecord& chunk) {
      if (chunk.min_t == row_start) DecodeAggregates(chunk.data, row);
    });
  }
  std::erase_if(row, [&](const AggregatePoint& p) { return p.t >= from && p.t < to; });
  row.insert(row.end(), points.begin(), points.end());
  if (row.empty()) return;
  std::sort(row.begin(), row.end(), ByTime);
  batch.closed.push_back(ChunkRecord{ref, tier, row_start, row.back().t, EncodeAggregates(row)});
}

void Store::DownsampleWindow(SeriesRef ref, Timestamp start, FlushBatch& batch) {
  std::vector<Sample> samples;
  RawSamples(ref, start, start + kHourMs - 1, samples);
  std::vector<AggregatePoint> minutes;
  DownsampleSamples(samples, kMinuteMs, minutes);
  if (minutes.empty()) return;
  MergeTierRow(ref, Tier::kMinute, BucketStart(start, kRowWindowMs), start, start + kHourMs, minutes, batch);
  AggregatePoint hour = Combine(minutes, start);
  MergeTierRow(ref, Tier::kHour, BucketStart(start, kDayMs), start, start + kHourMs,
               std::span<const AggregatePoint>(&hour, 1), batch);
}

void Store::CompactRaw(SeriesRef ref, Timestamp start, FlushBatch& batch) {
  const State& s = *state_;
  std::vector<std::vector<Sample>> runs;
  std::vector<Timestamp> starts;
  {
    MutexLock db(s.db_mutex);
    s.db->ReadChunks(ref, Tier::kRaw, start, start + kRowWindowMs - 1, [&](const ChunkRecord& chunk) {
      if (chunk.min_t < start || chunk.min_t >= start + kRowWindowMs) return;
      starts.push_back(chunk.min_t);
      runs.emplace_back();
      DecodeChunk(chunk.data, kMinTime, kMaxTime, runs.back());
    });
  }
  if (runs.size() < 2) return;
  std::vector<Sample> merged;
  MergeSampleRuns(runs, merged);
  if (merged.empty()) return;
  for (Timestamp min_t : starts) batch.deleted.emplace_back(ref, Tier::kRaw, min_t);
  for (std::size_t i = 0; i < merged.size(); i += kMaxSamplesPerRow) {
    std::size_t end = std::min(merged.size(), i + kMaxSamplesPerRow);
    XorAppender appender;
    for (std::size_t j = i; j < end; ++j) appender.Append(merged[j].t, merged[j].v);
    batch.closed.push_back(ChunkRecord{ref, Tier::kRaw, appender.min_t(), appender.max_t(), Seal(appender.bytes())});
  }
}

void Store::Downsample(Timestamp now) {
  MutexLock write(state_->write_mutex);
  DownsampleLocked(now);
}

void Store::DownsampleLocked(Timestamp now) {
  State& s = *state_;
  for (int run = 0; run < kMaxWindowsPerRun; ++run) {
    Timestamp start = s.downsampled_until.load();
    if (start + kHourMs + kDownsampleGraceMs > now) return;
    std::vector<SeriesRef> refs;
    {
      ReaderMutexLock lock(s.mutex);
      for (SeriesRef ref = 1; ref < s.series.size(); ++ref) {
        if (s.series[ref]) refs.push_back(ref);
      }
    }
    FlushBatch batch;
    for (SeriesRef ref : refs) DownsampleWindow(ref, start, batch);
    // The 6-hour window this hour ends has passed: its raw chunks become one row per series.
    Timestamp end = start + kHourMs;
    if (end % kRowWindowMs == 0) {
      for (SeriesRef ref : refs) CompactRaw(ref, end - kRowWindowMs, batch);
    }
    batch.meta.emplace_back("downsampled_until", std::to_string(start + kHourMs));
    std::string detail;
    if (s.WriteCounted(batch, "history downsampling failed; retrying at the next flush", &detail) !=
        WriteError::kNone) {
      return;
    }
    s.downsampled_until = start + kHourMs;
  }
}

}  // namespace metricsd::storage
