#include "daemon/storage/store.h"

#include <algorithm>
#include <chrono>

#include "daemon/core/logging.h"
#include "daemon/storage/store_state.h"

namespace metricsd::storage {
namespace {

// Whether `samples` is what MergeSampleRuns makes of it alone: ascending, one per timestamp.
bool StrictlyAscending(const std::vector<Sample>& samples) {
  return std::adjacent_find(samples.begin(), samples.end(),
                            [](const Sample& a, const Sample& b) { return a.t >= b.t; }) == samples.end();
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void MergeSampleRuns(std::vector<std::vector<Sample>>& runs, std::vector<Sample>& out) {
  out.clear();
  std::size_t total = 0;
  for (const auto& run : runs) total += run.size();
  out.reserve(total);
  // Runs are few (a head, a handful of chunks): a stable sort of the concatenation keeps the
  // first run's sample first among equal timestamps.
  for (auto& run : runs) out.insert(out.end(), run.begin(), run.end());
  std::stable_sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  out.erase(std::unique(out.begin(), out.end(), [](const Sample& a, const Sample& b) { return a.t == b.t; }),
            out.end());
}

std::vector<ChunkRecord> ChunksOf(SeriesRef ref, std::span<const Sample> samples) {
  // Rows as compaction leaves them: one per 6-hour window (at most 60,000 samples).
  constexpr Timestamp kWindow = 6 * 3600 * 1000;
  constexpr std::uint16_t kMaxSamples = 60000;
  std::vector<ChunkRecord> chunks;
  std::size_t i = 0;
  while (i < samples.size()) {
    XorAppender appender;
    Timestamp window = samples[i].t / kWindow - (samples[i].t % kWindow < 0 ? 1 : 0);
    while (i < samples.size() && appender.count() < kMaxSamples &&
           samples[i].t / kWindow - (samples[i].t % kWindow < 0 ? 1 : 0) == window) {
      appender.Append(samples[i].t, samples[i].v);
      ++i;
    }
    chunks.push_back(ChunkRecord{ref, Tier::kRaw, appender.min_t(), appender.max_t(), Seal(appender.bytes())});
  }
  return chunks;
}

WriteError Store::State::WriteCounted(const FlushBatch& batch, std::string_view what_failed,
                                      std::string* detail) {
  WriteError error;
  {
    MutexLock lock(db_mutex);
    error = db->Write(batch, detail);
    disk_bytes = db->FileBytes();
  }
  if (error != WriteError::kNone) {
    write_errors[static_cast<int>(error)].fetch_add(1, std::memory_order_relaxed);
    LogWarn(what_failed, {{"reason", std::string(WriteErrorReason(error))}, {"err", *detail}});
  }
  return error;
}

void Store::State::ForgetUnlessAppended(std::span<const SeriesRef> refs) {
  std::vector<SeriesRef> removed;
  for (SeriesRef ref : refs) {
    if (ref >= series.size() || !series[ref]) continue;
    MemSeries& one = *series[ref];
    MutexLock stripe(StripeOf(ref));
    if (one.head.count() > 0 || !one.sealed.empty()) {
      new_series.emplace_back(ref, std::string(index.Key(ref)));
      one.head_on_disk = false;
      one.dirty = true;
      continue;
    }
    removed.push_back(ref);
  }
  std::sort(removed.begin(), removed.end());
  index.Remove(std::span<const SeriesRef>(removed));  // one pass per posting list
  for (SeriesRef ref : removed) series[ref].reset();
}

Store::Store(StoreOptions options) : options_(std::move(options)), state_(std::make_unique<State>()) {}
Store::~Store() = default;

std::shared_ptr<Store> Store::Open(const StoreOptions& options, std::string* error,
                                   std::string* warning) {
  HistoryDb::OpenResult opened = HistoryDb::Open(options.directory);
  if (!opened.db) {
    *error = opened.error;
    return nullptr;
  }
  if (!opened.moved_aside.empty()) {
    *warning = "history database was corrupt (" + opened.error + "); moved aside to " +
               opened.moved_aside + " and started afresh";
  }
  std::shared_ptr<Store> store(new Store(options));
  State& s = *store->state_;
  MutexLock write(s.write_mutex);
  WriterMutexLock lock(s.mutex);
  MutexLock db(s.db_mutex);
  s.db = std::move(opened.db);
  SeriesRef max_ref = s.db->MaxSeriesRef();
  s.series.resize(static_cast<std::size_t>(max_ref) + 1);
  s.next_ref = max_ref + 1;
  s.db->LoadSeries([&](SeriesRef ref, std::string_view key) {
    s.mutex.AssertHeld();  // held by Open (the analysis does not see into lambdas)
    // A row the index refuses (not a canonical key: written by something else) is skipped.
    if (ref == 0 || ref > max_ref || s.index.Find(key) || !s.index.Insert(ref, key)) return;
    auto series = std::make_unique<MemSeries>();
    series->first_t = kMinTime;  // older data may be on disk
    series->last_t_on_disk = true;
    series->disk_max_known = false;  // asked of the database at the first read
    s.series[ref] = std::move(series);
  });
  s.db->LoadHeads([&](const ChunkRecord& record) {
    s.mutex.AssertHeld();
    if (record.tier != Tier::kRaw || record.series >= s.series.size() || !s.series[record.series]) return;
    MemSeries& series = *s.series[record.series];
    if (!series.head.Resume(record.data)) return;
    series.head_on_disk = true;
    series.last_t_on_disk = false;
    series.last_t = series.head.count() > 0 ? series.head.max_t() : record.max_t;
    series.newest_t = series.last_t;
  });
  s.disk_bytes = s.db->FileBytes();
  Timestamp now_ms = static_cast<Timestamp>(WallSeconds() * 1000);
  // Downsampling resumes where it stopped; a fresh database starts at the current hour.
  std::optional<std::string> until = s.db->GetMeta("downsampled_until");
  Timestamp hour = 3600 * 1000;
  s.downsampled_until = until ? std::stoll(*until) : now_ms / hour * hour;
  return store;
}

Store::Appender Store::StartPass(Timestamp t) {
  state_->seen.clear();
  return Appender(this, t);
}

void Store::Appender::Append(std::string_view key, double v) {
  State& s = *store_->state_;
  // The series' stripe is taken with the table lock still held, so retention cannot forget
  // (and free) the series in between.
  auto append = [&](SeriesRef ref) {
    s.mutex.AssertReaderHeld();  // by both callers below (the analysis does not see into lambdas)
    MemSeries& series = *s.series[ref];
    MutexLock lock(s.StripeOf(ref));
    if (series.last_t_on_disk) {
      series.last_t_on_disk = false;
      MutexLock db(s.db_mutex);
      s.db->ReadChunks(ref, Tier::kRaw, t_, kMaxTime, [&](const ChunkRecord& chunk) {
        series.last_t = std::max(series.last_t, chunk.max_t);
      });
    }
    if (t_ <= series.last_t) {
      s.samples_out_of_order.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    store_->AppendLocked(ref, series, t_, v);
    s.seen.push_back(ref);
  };
  {
    ReaderMutexLock lock(s.mutex);
    if (std::optional<SeriesRef> found = s.index.Find(key)) {
      append(*found);
      return;
    }
  }
  WriterMutexLock lock(s.mutex);
  SeriesRef ref;
  if (std::optional<SeriesRef> found = s.index.Find(key)) {
    ref = *found;
  } else if (s.index.size() >= store_->options_.max_series) {
    s.series_dropped_max_series.fetch_add(1, std::memory_order_relaxed);
    return;
  } else {
    ref = s.next_ref++;
    if (!s.index.Insert(ref, key)) {  // not a canonical key: the builder's caller erred
      s.series_dropped_invalid.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (s.series.size() <= ref) s.series.resize(static_cast<std::size_t>(ref) + 1);
    s.series[ref] = std::make_unique<MemSeries>();
    s.new_series.emplace_back(ref, std::string(key));
  }
  append(ref);
}

void Store::Appender::DropInvalid() {
  store_->state_->series_dropped_invalid.fetch_add(1, std::memory_order_relaxed);
}

void Store::AppendLocked(SeriesRef ref, MemSeries& series, Timestamp t, double v) {
  if (series.head.count() > 0 &&
      (series.head.count() >= kSamplesPerChunk || t - series.head.min_t() >= kChunkWindowMs)) {
    SealHeadLocked(ref, series);
  }
  series.head.Append(t, v);
  series.first_t = std::min(series.first_t, t);
  series.last_t = t;
  series.newest_t = std::max(series.newest_t, t);
  series.dirty = true;
  state_->samples_appended.fetch_add(1, std::memory_order_relaxed);
}

void Store::SealHeadLocked(SeriesRef ref, MemSeries& series) {
  if (series.head.count() == 0) return;
  series.sealed.push_back(ChunkRecord{ref, Tier::kRaw, series.head.min_t(), series.head.max_t(),
                                      Seal(series.head.bytes())});
  series.head = XorAppender();
  series.dirty = true;
}

void Store::Appender::Commit() {
  State& s = *store_->state_;
  std::sort(s.seen.begin(), s.seen.end());
  // Series of the last pass missing from this one disappeared: a staleness marker ends them.
  std::vector<SeriesRef> gone;
  std::set_difference(s.previous_seen.begin(), s.previous_seen.end(), s.seen.begin(), s.seen.end(),
                      std::back_inserter(gone));
  ReaderMutexLock lock(s.mutex);
  for (SeriesRef ref : gone) {
    MemSeries* series = ref < s.series.size() ? s.series[ref].get() : nullptr;
    if (series == nullptr) continue;
    MutexLock stripe(s.StripeOf(ref));
    if (t_ > series->last_t) store_->AppendLocked(ref, *series, t_, StaleMarker());
  }
  s.previous_seen.swap(s.seen);
}

bool Store::Flush() {
  State& s = *state_;
  MutexLock write(s.write_mutex);
  auto start = std::chrono::steady_clock::now();
  Timestamp now_ms = static_cast<Timestamp>(WallSeconds() * 1000);
  FlushBatch batch;
  // What the batch took of each series, to forget exactly that once it is on disk.
  struct Taken {
    SeriesRef ref;
    std::size_t sealed;
    Timestamp head_max_t;  // kMinTime: the head was empty
  };
  std::vector<Taken> taken;
  {
    ReaderMutexLock lock(s.mutex);
    batch.new_series = s.new_series;
    for (SeriesRef ref = 1; ref < s.series.size(); ++ref) {
      MemSeries* series = s.series[ref].get();
      if (series == nullptr) continue;
      MutexLock stripe(s.StripeOf(ref));
      // An idle series' open chunk is sealed once its window has passed.
      if (series->head.count() > 0 && now_ms - series->head.min_t() >= kChunkWindowMs) {
        SealHeadLocked(ref, *series);
      }
      if (!series->dirty) continue;
      for (const ChunkRecord& sealed : series->sealed) batch.closed.push_back(sealed);
      Timestamp head_max_t = kMinTime;
      if (series->head.count() > 0) {
        auto bytes = series->head.bytes();
        head_max_t = series->head.max_t();
        batch.heads.push_back(ChunkRecord{ref, Tier::kRaw, series->head.min_t(), head_max_t,
                                          std::vector<std::uint8_t>(bytes.begin(), bytes.end())});
      } else if (series->head_on_disk) {
        batch.heads_closed.emplace_back(ref, Tier::kRaw);
      }
      taken.push_back(Taken{ref, series->sealed.size(), head_max_t});
    }
  }
  if (!batch.empty()) {
    std::string detail;
    if (s.WriteCounted(batch, "history flush failed; keeping the samples in memory for the next flush",
                       &detail) != WriteError::kNone) {
      DropPendingOverBudget();
      return false;
    }
    WriterMutexLock lock(s.mutex);
    s.new_series.erase(s.new_series.begin(),
                       s.new_series.begin() + static_cast<std::ptrdiff_t>(batch.new_series.size()));
    for (const Taken& t : taken) {
      MemSeries* series = s.series[t.ref].get();
      if (series == nullptr) continue;
      MutexLock stripe(s.StripeOf(t.ref));
      std::size_t written = std::min(t.sealed, series->sealed.size());
      // Forgotten from memory, so readers must now look for them on disk.
      for (std::size_t i = 0; i < written; ++i) {
        series->disk_max_t = std::max(series->disk_max_t, series->sealed[i].max_t);
      }
      series->sealed.erase(series->sealed.begin(), series->sealed.begin() + static_cast<std::ptrdiff_t>(written));
      series->head_on_disk = t.head_max_t != kMinTime;
      // Appended to (or sealed) since the batch copied it: the next flush writes it again.
      Timestamp head_now = series->head.count() > 0 ? series->head.max_t() : kMinTime;
      series->dirty = !series->sealed.empty() || head_now != t.head_max_t;
    }
  }
  s.flushes.fetch_add(1, std::memory_order_relaxed);
  s.last_flush_duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.last_flush_timestamp_seconds = WallSeconds();
  return true;
}

void Store::DropPendingOverBudget() {
  State& s = *state_;
  ReaderMutexLock lock(s.mutex);
  std::uint64_t bytes = 0;
  for (SeriesRef ref = 1; ref < s.series.size(); ++ref) {
    MemSeries* series = s.series[ref].get();
    if (series == nullptr) continue;
    MutexLock stripe(s.StripeOf(ref));
    for (const ChunkRecord& chunk : series->sealed) bytes += chunk.data.size() + sizeof(ChunkRecord);
  }
  if (bytes <= options_.max_pending_bytes) return;
  // Over budget while the disk fails: drop each series' oldest sealed chunk until under it.
  for (SeriesRef ref = 1; ref < s.series.size() && bytes > options_.max_pending_bytes; ++ref) {
    MemSeries* series = s.series[ref].get();
    if (series == nullptr) continue;
    MutexLock stripe(s.StripeOf(ref));
    if (series->sealed.empty()) continue;
    bytes -= series->sealed.front().data.size() + sizeof(ChunkRecord);
    series->sealed.erase(series->sealed.begin());
    s.pending_chunks_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

std::vector<SeriesRef> Store::Select(const std::vector<Matchers>& selectors, Timestamp mint,
                                     Timestamp maxt) const {
  const State& s = *state_;
  std::vector<SeriesRef> refs;
  {
    ReaderMutexLock lock(s.mutex);
    for (const Matchers& matchers : selectors) {
      std::vector<SeriesRef> some = s.index.Select(matchers);
      refs.insert(refs.end(), some.begin(), some.end());
    }
  }
  std::sort(refs.begin(), refs.end());
  refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  // Keep the series with data that may fall in [mint, maxt]. A range not known in memory
  // (data on disk from before a restart, or imported) keeps the series: Prometheus is as
  // coarse, a block overlapping the range keeps all its series.
  std::vector<SeriesRef> out;
  out.reserve(refs.size());
  ReaderMutexLock lock(s.mutex);
  for (SeriesRef ref : refs) {
    const MemSeries* series = ref < s.series.size() ? s.series[ref].get() : nullptr;
    if (series == nullptr) continue;
    MutexLock stripe(s.StripeOf(ref));
    bool unknown = series->first_t == kMinTime || series->newest_t == kMinTime;
    if (unknown || (series->first_t <= maxt && series->newest_t >= mint)) out.push_back(ref);
  }
  return out;
}

std::string Store::Key(SeriesRef ref) const {
  ReaderMutexLock lock(state_->mutex);
  return std::string(state_->index.Key(ref));
}

std::optional<SeriesRef> Store::Find(std::string_view key) const {
  ReaderMutexLock lock(state_->mutex);
  return state_->index.Find(key);
}

void Store::RawSamples(SeriesRef ref, Timestamp mint, Timestamp maxt,
                       std::vector<Sample>& out) const {
  const State& s = *state_;
  std::vector<std::vector<Sample>> runs;
  bool read_db = true;
  {
    ReaderMutexLock lock(s.mutex);
    MemSeries* series = ref < s.series.size() ? s.series[ref].get() : nullptr;
    if (series != nullptr) {
      MutexLock stripe(s.StripeOf(ref));
      // The range starts after every closed chunk on disk: memory holds all of it. Decided
      // under the stripe, so a flush cannot move sealed chunks to disk before they are copied.
      if (raw_samples_fast_path.load(std::memory_order_relaxed)) {
        if (!series->disk_max_known) {
          Timestamp on_disk = kMinTime;
          MutexLock db(s.db_mutex);
          if (s.db->MaxChunkEnd(ref, Tier::kRaw, &on_disk) == WriteError::kNone) {
            series->disk_max_t = std::max(series->disk_max_t, on_disk);
            series->disk_max_known = true;
          }
        }
        read_db = !series->disk_max_known || mint <= series->disk_max_t;
      }
      // The newest seconds of a series (remote_write, live dashboards, rules): the head alone,
      // decoded straight into `out` (the caller's reused buffer: no allocation).
      if (!read_db && std::none_of(series->sealed.begin(), series->sealed.end(), [&](const ChunkRecord& chunk) {
            return chunk.max_t >= mint && chunk.min_t <= maxt;
          })) {
        out.clear();
        if (series->head.count() > 0) DecodeChunk(series->head.bytes(), mint, maxt, out);
        if (StrictlyAscending(out)) return;
        runs.push_back(std::move(out));  // a damaged chunk: merged as any other read
        MergeSampleRuns(runs, out);
        return;
      }
      runs.emplace_back();
      if (series->head.count() > 0) DecodeChunk(series->head.bytes(), mint, maxt, runs.back());
      for (auto it = series->sealed.rbegin(); it != series->sealed.rend(); ++it) {
        if (it->max_t < mint || it->min_t > maxt) continue;
        runs.emplace_back();
        DecodeChunk(it->data, mint, maxt, runs.back());
      }
    }
  }
  if (read_db) {
    MutexLock db(s.db_mutex);
    s.db->ReadChunks(ref, Tier::kRaw, mint, maxt, [&](const ChunkRecord& chunk) {
      runs.emplace_back();
      DecodeChunk(chunk.data, mint, maxt, runs.back());
    });
  }
  // The common case, one chunk (the head) holding the range: already what merging would give
  // when its timestamps strictly increase (a damaged chunk's may not: then merge as always).
  if (runs.size() == 1 && StrictlyAscending(runs[0])) {
    out.swap(runs[0]);
    return;
  }
  MergeSampleRuns(runs, out);
}

void Store::TierPoints(SeriesRef ref, Tier tier, Timestamp mint, Timestamp maxt,
                       std::vector<AggregatePoint>& out) const {
  const State& s = *state_;
  out.clear();
  std::vector<AggregatePoint> points;
  MutexLock db(s.db_mutex);
  s.db->ReadChunks(ref, tier, mint, maxt, [&](const ChunkRecord& chunk) {
    points.clear();
    DecodeAggregates(chunk.data, points);
    for (const AggregatePoint& point : points) {
      if (point.t >= mint && point.t <= maxt) out.push_back(point);
    }
  });
  // Rows of a tier do not overlap; should two ever hold a bucket, the later row's point wins.
  std::stable_sort(out.begin(), out.end(), [](const AggregatePoint& a, const AggregatePoint& b) { return a.t < b.t; });
  for (std::size_t i = 0; i + 1 < out.size();) {
    if (out[i].t == out[i + 1].t) {
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

std::vector<std::string> Store::LabelNames(const std::vector<Matchers>& selectors, Timestamp mint,
                                           Timestamp maxt) const {
  if (selectors.empty()) {
    ReaderMutexLock lock(state_->mutex);
    return state_->index.LabelNames(nullptr);
  }
  std::vector<SeriesRef> refs = Select(selectors, mint, maxt);
  ReaderMutexLock lock(state_->mutex);
  return state_->index.LabelNames(&refs);
}

std::vector<std::string> Store::LabelValues(std::string_view name,
                                            const std::vector<Matchers>& selectors,
                                            Timestamp mint, Timestamp maxt) const {
  if (selectors.empty()) {
    ReaderMutexLock lock(state_->mutex);
    return state_->index.LabelValues(name, nullptr);
  }
  std::vector<SeriesRef> refs = Select(selectors, mint, maxt);
  ReaderMutexLock lock(state_->mutex);
  return state_->index.LabelValues(name, &refs);
}

StoreStats Store::Stats() const {
  const State& s = *state_;
  StoreStats stats;
  stats.samples_appended = s.samples_appended.load();
  stats.samples_out_of_order = s.samples_out_of_order.load();
  stats.series_dropped_max_series = s.series_dropped_max_series.load();
  stats.series_dropped_invalid = s.series_dropped_invalid.load();
  for (int i = 0; i < 7; ++i) stats.write_errors[i] = s.write_errors[i].load();
  for (int i = 0; i < 3; ++i) {
    stats.retention_deleted[i] = s.retention_deleted[i].load();
    stats.tier_bytes[i] = s.tier_bytes[i].load();
  }
  stats.pending_chunks_dropped = s.pending_chunks_dropped.load();
  stats.flushes = s.flushes.load();
  stats.last_flush_duration_seconds = s.last_flush_duration_seconds.load();
  stats.last_flush_timestamp_seconds = s.last_flush_timestamp_seconds.load();
  stats.disk_bytes = s.disk_bytes.load();
  ReaderMutexLock lock(s.mutex);
  stats.series = s.index.size();
  stats.index_bytes = s.index.MemoryBytes();
  for (SeriesRef ref = 1; ref < s.series.size(); ++ref) {
    const MemSeries* series = s.series[ref].get();
    if (series == nullptr) continue;
    MutexLock stripe(s.StripeOf(ref));
    if (series->head.count() > 0) {
      ++stats.chunks;
      stats.head_bytes += series->head.bytes().size();
    }
    stats.chunks += series->sealed.size();
    for (const ChunkRecord& chunk : series->sealed) stats.head_bytes += chunk.data.size();
  }
  return stats;
}

}  // namespace metricsd::storage
