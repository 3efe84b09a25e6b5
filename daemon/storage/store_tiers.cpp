// Downsampling: once an hour window has passed (plus a flush interval's grace, so late
// appends are in), every series' raw samples in it become 1-minute points (one tier-1 chunk
// per series and hour) and one 1-hour point (merged into the series' tier-2 chunk of that day).
// Points are computed from the raw samples, never accumulated on the fly, so a window can be
// recomputed at any time (an import into the past does) with the same result.
#include <string>

#include "daemon/core/logging.h"
#include "daemon/storage/downsample.h"
#include "daemon/storage/store.h"
#include "daemon/storage/store_state.h"

namespace metricsd::storage {

// Windows that ended this long ago are final: samples are appended within a flush interval,
// imports recompute what they touch.
inline constexpr Timestamp kDownsampleGraceMs = 5 * kMinuteMs;
// At most this many windows per run, so a daemon back from a long outage catches up gradually.
inline constexpr int kMaxWindowsPerRun = 6;

void Store::DownsampleWindow(SeriesRef ref, Timestamp start, FlushBatch& batch) {
  const State& s = *state_;
  std::vector<Sample> samples;
  RawSamples(ref, start, start + kHourMs - 1, samples);
  std::vector<AggregatePoint> minutes;
  DownsampleSamples(samples, kMinuteMs, minutes);
  if (minutes.empty()) return;
  batch.closed.push_back(ChunkRecord{ref, Tier::kMinute, start, minutes.back().t, EncodeAggregates(minutes)});
  // The day's hour chunk gains (or replaces) this hour's point.
  Timestamp day = BucketStart(start, kDayMs);
  std::vector<AggregatePoint> hours;
  {
    MutexLock db(s.db_mutex);
    s.db->ReadChunks(ref, Tier::kHour, day, day, [&](const ChunkRecord& chunk) {
      if (chunk.min_t == day) DecodeAggregates(chunk.data, hours);
    });
  }
  std::erase_if(hours, [&](const AggregatePoint& p) { return p.t == start || p.t < day || p.t >= day + kDayMs; });
  hours.push_back(Combine(minutes, start));
  std::sort(hours.begin(), hours.end(), [](const AggregatePoint& a, const AggregatePoint& b) { return a.t < b.t; });
  batch.closed.push_back(ChunkRecord{ref, Tier::kHour, day, hours.back().t, EncodeAggregates(hours)});
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
    batch.meta.emplace_back("downsampled_until", std::to_string(start + kHourMs));
    std::string detail;
    MutexLock db(s.db_mutex);
    WriteError error = s.db->Write(batch, &detail);
    if (error != WriteError::kNone) {
      s.write_errors[static_cast<int>(error)].fetch_add(1, std::memory_order_relaxed);
      LogWarn("history downsampling failed; retrying at the next flush",
              {{"reason", std::string(WriteErrorReason(error))}, {"err", detail}});
      return;
    }
    s.downsampled_until = start + kHourMs;
  }
}

}  // namespace metricsd::storage
