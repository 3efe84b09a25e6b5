// Import: series from /api/v1/import (a restored backup, history moved between hosts, weeks of
// synthetic history for tests). All or nothing: every series is checked and every chunk built
// before one transaction writes them; none of their samples is visible before it commits.
//
// Imported samples never rewrite what is stored: each series gets new closed chunks holding
// only the samples at timestamps it does not have yet, so importing the same data twice
// stores nothing the second time, and readers merge overlapping chunks by timestamp. Tier
// points of the hour windows an import touches are then recomputed from the raw samples.
#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/core/logging.h"
#include "daemon/storage/downsample.h"
#include "daemon/storage/series_key.h"
#include "daemon/storage/store.h"
#include "daemon/storage/store_state.h"

namespace metricsd::storage {
namespace {

// Sorts by time and keeps the first sample of each timestamp.
void Normalise(std::vector<Sample>& samples) {
  std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  samples.erase(std::unique(samples.begin(), samples.end(),
                            [](const Sample& a, const Sample& b) { return a.t == b.t; }),
                samples.end());
}

}  // namespace

bool Store::Import(std::vector<SeriesSamples> input, std::string* error) {
  State& s = *state_;
  MutexLock write(s.write_mutex);
  // Two lines of one request may name the same series: join them first.
  std::sort(input.begin(), input.end(), [](const SeriesSamples& a, const SeriesSamples& b) { return a.key < b.key; });
  std::vector<SeriesSamples> joined;
  for (SeriesSamples& series : input) {
    if (KeyName(series.key).empty()) {
      *error = "a series without a metric name";
      return false;
    }
    // Only canonical keys (what SeriesKeyBuilder makes) are indexed; check before writing.
    if (std::optional<std::string> canonical = KeyOf(LabelsOfKey(series.key));
        !canonical || *canonical != series.key) {
      *error = "a series whose labels are not a valid label set";
      return false;
    }
    if (!joined.empty() && joined.back().key == series.key) {
      joined.back().samples.insert(joined.back().samples.end(), series.samples.begin(), series.samples.end());
    } else {
      joined.push_back(std::move(series));
    }
  }
  FlushBatch batch;
  struct Planned {
    SeriesRef ref;
    Timestamp min_t;
    Timestamp max_t;
  };
  std::vector<Planned> planned;
  // A new series gets its ref, its index entry and its (empty) place in the series table below,
  // before anything is written: the sampler creates series under `mutex` alone, so a ref
  // planned from a copy of next_ref could be handed to one of its series meanwhile, and the
  // import's series would then fail to index and vanish. Until the write commits, such a series
  // is known with no samples; if the import fails, it is forgotten again (kept for the next
  // flush if the sampler appended to it meanwhile).
  std::vector<SeriesRef> created;  // ascending
  auto forget_created = [&] {
    WriterMutexLock lock(s.mutex);
    s.ForgetUnlessAppended(created);
  };
  std::erase_if(joined, [](SeriesSamples& series) {
    Normalise(series.samples);
    return series.samples.empty();
  });
  // Each series' ref: found, or created, in one hold of the table lock.
  std::vector<SeriesRef> refs;
  {
    WriterMutexLock lock(s.mutex);
    for (const SeriesSamples& series : joined) {
      if (std::optional<SeriesRef> found = s.index.Find(series.key)) {
        refs.push_back(*found);
        continue;
      }
      if (s.index.size() >= options_.max_series) break;
      SeriesRef ref = s.next_ref++;
      s.index.Insert(ref, series.key);  // checked canonical above, and not indexed yet
      if (s.series.size() <= ref) s.series.resize(static_cast<std::size_t>(ref) + 1);
      s.series[ref] = std::make_unique<MemSeries>();
      created.push_back(ref);
      refs.push_back(ref);
    }
  }
  if (refs.size() < joined.size()) {
    *error = "importing would exceed history.max_series (" + std::to_string(options_.max_series) + ")";
    forget_created();
    return false;
  }
  for (std::size_t i = 0; i < joined.size(); ++i) {
    SeriesSamples& series = joined[i];
    Planned plan{refs[i], series.samples.front().t, series.samples.back().t};
    std::vector<Sample> fresh;
    if (!std::binary_search(created.begin(), created.end(), plan.ref)) {
      std::vector<Sample> stored;
      RawSamples(plan.ref, plan.min_t, plan.max_t, stored);
      std::size_t j = 0;
      for (const Sample& sample : series.samples) {
        while (j < stored.size() && stored[j].t < sample.t) ++j;
        if (j < stored.size() && stored[j].t == sample.t) continue;  // already stored
        fresh.push_back(sample);
      }
    } else {
      batch.new_series.emplace_back(plan.ref, series.key);
      fresh = std::move(series.samples);
    }
    if (fresh.empty()) continue;
    std::vector<ChunkRecord> chunks = ChunksOf(plan.ref, fresh);
    for (ChunkRecord& chunk : chunks) batch.closed.push_back(std::move(chunk));
    planned.push_back(plan);
  }
  if (batch.empty()) return true;
  {
    // Readers of a known series skip the database for ranges after its newest chunk on disk:
    // raised before the chunks are written, so none is ever missed (a failed write leaves the
    // bound only higher than needed, which costs a query, never a sample).
    ReaderMutexLock lock(s.mutex);
    for (const Planned& plan : planned) {
      MemSeries& series = *s.series[plan.ref];
      MutexLock stripe(s.StripeOf(plan.ref));
      series.disk_max_t = std::max(series.disk_max_t, plan.max_t);
    }
  }
  std::string detail;
  if (WriteError failed = s.WriteCounted(batch, "history import failed; nothing of it is stored", &detail);
      failed != WriteError::kNone) {
    *error = "storing the import failed (" + std::string(WriteErrorReason(failed)) + "): " + detail;
    forget_created();
    return false;
  }
  {
    ReaderMutexLock lock(s.mutex);
    for (const Planned& plan : planned) {
      MemSeries& series = *s.series[plan.ref];
      MutexLock stripe(s.StripeOf(plan.ref));
      // The series' range on disk is no longer known exactly; a sample in the future of the
      // head moves the out-of-order guard, so no later head chunk can start at an imported
      // chunk's first timestamp.
      series.first_t = kMinTime;
      series.newest_t = series.newest_t == kMinTime ? kMinTime : std::max(series.newest_t, plan.max_t);
      series.last_t = std::max(series.last_t, plan.max_t);
    }
  }
  // Windows already downsampled that the import reached are recomputed.
  std::set<Timestamp> windows;
  Timestamp until = s.downsampled_until.load();
  for (const Planned& plan : planned) {
    for (Timestamp w = BucketStart(plan.min_t, kHourMs); w <= plan.max_t && w < until; w += kHourMs) {
      windows.insert(w);
    }
  }
  // One transaction per window: windows of one day (or one 6 h row) rewrite the same tier
  // rows, each reading what the previous one wrote.
  for (Timestamp window : windows) {
    FlushBatch tiers;
    for (const Planned& plan : planned) {
      if (plan.max_t < window || plan.min_t >= window + kHourMs) continue;
      DownsampleWindow(plan.ref, window, tiers);
    }
    if (tiers.empty()) continue;
    if (s.WriteCounted(tiers, "history import: the raw samples are stored, their tier points not",
                       &detail) != WriteError::kNone) {
      break;
    }
  }
  return true;
}

}  // namespace metricsd::storage
